// Large DICOM files stream: Pixel Data goes from the file into the image, and from the image into the file,
// in chunks, never as a second copy in memory. The bytes written are checked against an encoding done here,
// independently of the writer: little and big endian, colour by pixel and by plane, odd lengths.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::run_command;
using medcrypt::test::ScratchDir;

constexpr std::uint64_t kMiB = 1 << 20;

// A byte pattern cheap to compute at any index, so that a large image can be checked without a copy of it.
std::uint8_t pattern_byte(std::uint64_t index) {
  std::uint64_t x = (index + 1) * 0x9e3779b97f4a7c15ull;
  return static_cast<std::uint8_t>((x ^ (x >> 29)) >> 24);
}

Image pattern_image(const Geometry& geometry) {
  auto image = Image::create(geometry);
  EXPECT_TRUE(image) << image.error().message;
  auto bytes = image->bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = pattern_byte(i);
  return std::move(image).value();
}

bool holds_pattern(ByteView bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != pattern_byte(i)) return false;
  }
  return true;
}

// The process's resident memory (VmRSS) and its peak since the last reset_peak_memory() (VmHWM), in bytes.
struct Memory {
  std::uint64_t now = 0;
  std::uint64_t peak = 0;
};

std::optional<Memory> memory() {
  std::ifstream status("/proc/self/status");
  Memory m;
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string name;
    std::uint64_t kib = 0;
    fields >> name >> kib;
    if (name == "VmRSS:") m.now = kib * 1024;
    if (name == "VmHWM:") m.peak = kib * 1024;
  }
  if (m.now == 0 || m.peak == 0) return std::nullopt;
  return m;
}

// Linux resets the peak when "5" is written to clear_refs; without it the memory checks are skipped.
bool reset_peak_memory() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

// Where Pixel Data starts in a file that ends with it: the element's 12-byte header (tag, VR, reserved,
// 32-bit length in the file's byte order), then its value.
struct PixelElement {
  Bytes header;
  std::uint64_t value_offset = 0;
};

PixelElement pixel_element(const std::filesystem::path& path, std::uint64_t value_length) {
  const std::uint64_t size = std::filesystem::file_size(path);
  PixelElement element;
  element.value_offset = size - value_length;
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(element.value_offset - 12));
  element.header.resize(12);
  in.read(reinterpret_cast<char*>(element.header.data()), 12);
  return element;
}

Bytes explicit_header(bool big_endian, const char* vr, std::uint32_t length) {
  Bytes h = big_endian ? Bytes{0x7f, 0xe0, 0x00, 0x10} : Bytes{0xe0, 0x7f, 0x10, 0x00};
  h.push_back(static_cast<std::uint8_t>(vr[0]));
  h.push_back(static_cast<std::uint8_t>(vr[1]));
  h.insert(h.end(), {0, 0});
  for (int i = 0; i < 4; ++i) {
    const int shift = big_endian ? 24 - 8 * i : 8 * i;
    h.push_back(static_cast<std::uint8_t>(length >> shift));
  }
  return h;
}

// Compares a file's bytes from `offset` on with what `expected(i)` says byte i should be, a chunk at a time.
template <typename Expected>
std::string compare_file(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t count,
                         Expected&& expected) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::vector<char> chunk(kMiB);
  for (std::uint64_t done = 0; done < count;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), count - done));
    if (!in.read(chunk.data(), static_cast<std::streamsize>(n))) return "file ends early";
    for (std::size_t i = 0; i < n; ++i) {
      if (static_cast<std::uint8_t>(chunk[i]) != expected(done + i)) {
        return "byte " + std::to_string(done + i) + " of Pixel Data differs";
      }
    }
    done += n;
  }
  return "";
}

// 512x512x400 16-bit samples, 200 MiB: written and read again with memory to spare for little more than the
// image itself, and every byte of Pixel Data on disk as DICOM Explicit VR Little Endian stores it.
TEST(image_dicom_streaming, LargeMultiFrameFileIsWrittenAndReadWithoutASecondCopy) {
  const Geometry geometry{
      .width = 512, .height = 512, .frames = 400, .bits_allocated = 16, .bits_stored = 16};
  const std::uint64_t pixel_bytes = geometry.byte_size();
  auto attributes = new_dicom_attributes("OT", geometry);
  ASSERT_TRUE(attributes) << attributes.error().message;
  ScratchDir scratch;
  const auto path = scratch / "large.dcm";
  const bool measured = reset_peak_memory() && memory().has_value();
  // Headroom for the writer's and reader's buffers and DCMTK's own use; a second copy would need 200 MiB.
  const std::uint64_t headroom = 40 * kMiB;
  {
    const Image image = pattern_image(geometry);
    const auto before = memory();
    reset_peak_memory();
    ASSERT_TRUE(write_image_file(path, image, FileFormat::kDicom, *attributes));
    if (measured) {
      const auto after = memory();
      EXPECT_LE(after->peak, before->now + headroom) << "writing held more than the image";
    }
  }

  const PixelElement element = pixel_element(path, pixel_bytes);
  EXPECT_EQ(element.header, explicit_header(false, "OW", static_cast<std::uint32_t>(pixel_bytes)));
  EXPECT_EQ(compare_file(path, element.value_offset, pixel_bytes, pattern_byte), "");
  const std::string dump = run_command("dcmdump -q +P PixelData " + quote(path)).out;
  EXPECT_NE(dump.find("# " + std::to_string(pixel_bytes) + ", 1 PixelData"), std::string::npos) << dump;

  const auto before = memory();
  reset_peak_memory();
  auto loaded = read_image_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  if (measured) {
    const auto after = memory();
    EXPECT_LE(after->peak, before->now + pixel_bytes + headroom) << "reading held more than the image";
  }
  EXPECT_EQ(loaded->image.geometry(), geometry);
  EXPECT_TRUE(holds_pattern(loaded->image.bytes()));
}

// The attributes of a small file with `geometry`'s samples and bits, after `command` (FILE standing for the
// file) changed it with DCMTK's tools; the writer keeps their syntax and Planar Configuration for any size.
Bytes attributes_after(const std::string& command, Geometry geometry, const ScratchDir& scratch) {
  geometry.width = 4;
  geometry.height = 3;
  geometry.frames = 2;
  auto fresh = new_dicom_attributes("OT", geometry);
  EXPECT_TRUE(fresh);
  const auto path = scratch / "attributes.dcm";
  EXPECT_TRUE(write_image_file(path, random_image(geometry, 1), FileFormat::kDicom, *fresh));
  std::string line = command;
  for (auto at = line.find("FILE"); at != std::string::npos; at = line.find("FILE", at)) {
    line.replace(at, 4, quote(path));
  }
  auto run = run_command(line);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  auto loaded = read_image_file(path);
  EXPECT_TRUE(loaded) << loaded.error().message;
  return loaded ? loaded->dicom_attributes : Bytes{};
}

// Big endian words swapped and colour planes separated a chunk at a time, past the reader's 16 MiB chunks.
TEST(image_dicom_streaming, BigEndianColourByPlaneIsConvertedInChunks) {
  const Geometry geometry{.width = 257,
                          .height = 129,
                          .frames = 100,
                          .samples = 3,
                          .bits_allocated = 16,
                          .bits_stored = 12,
                          .photometric = "RGB"};
  ScratchDir scratch;
  const Bytes attributes =
      attributes_after("dcmodify -nb -m '(0028,0006)=1' FILE && dcmconv +tb FILE FILE.be && mv FILE.be FILE",
                       geometry, scratch);
  const Image image = pattern_image(geometry);
  const auto path = scratch / "planar.dcm";
  ASSERT_TRUE(write_image_file(path, image, FileFormat::kDicom, attributes));
  const std::uint64_t pixel_bytes = geometry.byte_size();
  const PixelElement element = pixel_element(path, pixel_bytes);
  EXPECT_EQ(element.header, explicit_header(true, "OW", static_cast<std::uint32_t>(pixel_bytes)));
  // Byte i on disk: byte 1 - i % 2 of word i / 2 of the planes, which is a word of the interleaved image.
  const std::uint64_t frame_words = geometry.pixels_per_frame() * 3;
  const std::uint64_t plane_words = geometry.pixels_per_frame();
  EXPECT_EQ(compare_file(path, element.value_offset, pixel_bytes,
                         [&](std::uint64_t i) {
                           const std::uint64_t word = i / 2;
                           const std::uint64_t frame = word / frame_words;
                           const std::uint64_t sample = word % frame_words / plane_words;
                           const std::uint64_t pixel = word % plane_words;
                           const std::uint64_t source = frame * frame_words + pixel * 3 + sample;
                           return pattern_byte(source * 2 + 1 - i % 2);
                         }),
            "");
  auto loaded = read_image_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->image, image);
  EXPECT_NE(dcmdump(path).find("(0002,0010) UI =BigEndianExplicit"), std::string::npos);
}

// 8-bit colour by plane with an odd number of bytes per frame and in all: planes cross the writer's chunks at
// odd offsets, and the value ends with a zero pad byte.
TEST(image_dicom_streaming, OddLengthColourByPlaneIsPadded) {
  const Geometry geometry{.width = 333, .height = 201, .frames = 41, .samples = 3, .photometric = "RGB"};
  ASSERT_EQ(geometry.byte_size() % 2, 1u);
  ScratchDir scratch;
  const Bytes attributes = attributes_after("dcmodify -nb -m '(0028,0006)=1' FILE", geometry, scratch);
  const Image image = pattern_image(geometry);
  const auto path = scratch / "planar.dcm";
  ASSERT_TRUE(write_image_file(path, image, FileFormat::kDicom, attributes));
  const std::uint64_t value_bytes = geometry.byte_size() + 1;
  const PixelElement element = pixel_element(path, value_bytes);
  EXPECT_EQ(element.header, explicit_header(false, "OB", static_cast<std::uint32_t>(value_bytes)));
  const std::uint64_t frame_bytes = geometry.frame_bytes();
  const std::uint64_t plane_bytes = geometry.pixels_per_frame();
  EXPECT_EQ(compare_file(path, element.value_offset, value_bytes,
                         [&](std::uint64_t i) -> std::uint8_t {
                           if (i == geometry.byte_size()) return 0;
                           const std::uint64_t frame = i / frame_bytes;
                           const std::uint64_t sample = i % frame_bytes / plane_bytes;
                           const std::uint64_t pixel = i % plane_bytes;
                           return pattern_byte(frame * frame_bytes + pixel * 3 + sample);
                         }),
            "");
  auto loaded = read_image_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->image, image);
  EXPECT_EQ(encode_image(image, FileFormat::kDicom, attributes).value(), read_bytes(path))
      << "the file and the in-memory encoding agree";
}

// Compressed frames split over several fragments, with and without an offset table, decode frame by frame to
// the pixels of the uncompressed original.
TEST(image_dicom_streaming, FragmentedCompressedFramesDecodeToTheOriginal) {
  const std::vector<std::pair<Geometry, std::string>> images = {
      {{.width = 64, .height = 48, .frames = 6, .bits_allocated = 16, .bits_stored = 16}, "grey"},
      {{.width = 40, .height = 30, .frames = 5, .samples = 3, .photometric = "RGB"}, "rgb"},
  };
  const std::vector<std::string> encoders = {"dcmcrle +fs 1",      "dcmcrle +fs 1 -ot",
                                             "dcmcjpeg +e1 +fs 1", "dcmcjpeg +e1 +fs 1 -ot",
                                             "dcmcjpls +fs 1",     "dcmcjpls +fs 1 -ot"};
  ScratchDir scratch;
  std::uint32_t seed = 20;
  for (const auto& [geometry, label] : images) {
    const Image image = random_image(geometry, seed++);
    auto attributes = new_dicom_attributes("OT", geometry);
    ASSERT_TRUE(attributes);
    const auto original = scratch / (label + ".dcm");
    ASSERT_TRUE(write_image_file(original, image, FileFormat::kDicom, *attributes));
    for (const auto& encoder : encoders) {
      SCOPED_TRACE(label + " via " + encoder);
      const auto encoded = scratch / "encoded.dcm";
      auto run = run_command(encoder + " " + quote(original) + " " + quote(encoded));
      ASSERT_EQ(run.exit_code, 0) << run.out;
      auto decoded = read_image_file(encoded);
      ASSERT_TRUE(decoded) << decoded.error().message;
      EXPECT_EQ(decoded->image, image);
    }
  }
}

}  // namespace
}  // namespace medcrypt::image::test
