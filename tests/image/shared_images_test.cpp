// Every readable image under ../shared/data: decoded as an independent decoder decodes it, written back
// to its own format and to TIFF and read again unchanged; for DICOM, dcmdump sees the same attributes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::ScratchDir;
using medcrypt::test::shared_images;

bool is_dicom(const std::filesystem::path& path) { return path.extension() == ".dcm"; }

std::vector<std::filesystem::path> shared_dicom_files() {
  auto files = shared_images();
  std::erase_if(files, [](const auto& path) { return !is_dicom(path); });
  return files;
}

std::string test_name(const testing::TestParamInfo<std::filesystem::path>& info) {
  std::string name = info.param.parent_path().filename().string() + "_" + info.param.filename().string();
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

// Where two pixel buffers first differ, for a readable failure message.
std::string first_difference(ByteView a, ByteView b) {
  if (a.size() != b.size()) return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size());
  auto [x, y] = std::mismatch(a.begin(), a.end(), b.begin());
  if (x == a.end()) return "none";
  return "byte " + std::to_string(x - a.begin()) + ": " + std::to_string(*x) + " vs " + std::to_string(*y);
}

// dcmdump lines that decompression is documented to change: the transfer syntax and the meta header's
// group length, the Photometric Interpretation where a decoder converted colour, Pixel Data (encapsulated
// items become one value), a group length covering it, and dcmdump's warnings about the encapsulated data.
std::string without_decompression_changes(const std::string& dump) {
  static const std::vector<std::string> changed = {"(0002,0000)",    "(0002,0010)", "# Used TransferSyntax",
                                                   "(0028,0004)",    "(7fe0,0000)", "(7fe0,0010)",
                                                   "(fffe,e000) pi", "(fffe,e0dd)"};
  std::istringstream lines(dump);
  std::string line;
  std::string kept;
  while (std::getline(lines, line)) {
    const std::string_view text =
        std::string_view(line).substr(std::min(line.find_first_not_of(' '), line.size()));
    const bool pixel_warning = text.starts_with("W: ") && text.find("(7fe0,0010)") != std::string_view::npos;
    if (pixel_warning ||
        std::ranges::any_of(changed, [&](const std::string& c) { return text.starts_with(c); })) {
      continue;
    }
    kept += line + "\n";
  }
  return kept;
}

class SharedImage : public testing::TestWithParam<std::filesystem::path> {};
class SharedDicom : public testing::TestWithParam<std::filesystem::path> {};

TEST(image_shared, DataIsPresent) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  EXPECT_GE(shared_images().size(), 40u);
}

TEST_P(SharedImage, MatchesAnIndependentDecoder) {
  const auto& path = GetParam();
  auto loaded = read_image_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  ScratchDir scratch;
  MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(path) + " " + quote(scratch / "reference.raw"));
  const ReferencePixels reference = parse_reference(run, scratch / "reference.raw");
  const Geometry& g = loaded->image.geometry();
  EXPECT_EQ(reference.shape, (std::vector<std::uint64_t>{g.frames, g.height, g.width, g.samples}))
      << reference.via;
  EXPECT_TRUE(std::ranges::equal(reference.words, loaded->image.bytes()))
      << "pixels differ from " << reference.via << " at "
      << first_difference(reference.words, loaded->image.bytes());
}

TEST_P(SharedImage, RoundTripsThroughItsOwnFormat) {
  const auto& path = GetParam();
  auto loaded = read_image_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  // JPEG is not written (lossy); a JPEG's pixels go to PNG.
  const FileFormat format = loaded->format == FileFormat::kJpeg ? FileFormat::kPng : loaded->format;
  ScratchDir scratch;
  const auto copy = scratch / "copy";
  ASSERT_TRUE(write_image_file(copy, loaded->image, format, loaded->dicom_attributes));
  auto again = read_image_file(copy);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->format, format);
  EXPECT_EQ(again->image.geometry(), loaded->image.geometry());
  EXPECT_TRUE(again->image == loaded->image) << first_difference(again->image.bytes(), loaded->image.bytes());
  EXPECT_TRUE(again->notes.empty()) << again->notes.front();
}

TEST_P(SharedImage, RoundTripsThroughTiff) {
  auto loaded = read_image_file(GetParam());
  ASSERT_TRUE(loaded) << loaded.error().message;
  ScratchDir scratch;
  ASSERT_TRUE(write_image_file(scratch / "copy.tif", loaded->image, FileFormat::kTiff));
  auto again = read_image_file(scratch / "copy.tif");
  ASSERT_TRUE(again) << again.error().message;
  // TIFF keeps the samples; it has no place for Bits Stored or for photometrics other than grey and RGB.
  const Geometry& a = loaded->image.geometry();
  const Geometry& b = again->image.geometry();
  EXPECT_EQ(std::tie(a.width, a.height, a.frames, a.samples, a.bits_allocated, a.is_signed),
            std::tie(b.width, b.height, b.frames, b.samples, b.bits_allocated, b.is_signed));
  EXPECT_TRUE(std::ranges::equal(again->image.bytes(), loaded->image.bytes()));
}

TEST_P(SharedDicom, DcmdumpSeesTheSameAttributesAfterRewrite) {
  const auto& path = GetParam();
  auto loaded = read_image_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  ScratchDir scratch;
  const auto copy = scratch / "copy.dcm";
  ASSERT_TRUE(write_image_file(copy, loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
  bool ok = false;
  const std::string original = dcmdump(path, &ok);
  ASSERT_TRUE(ok) << original;
  const std::string written = dcmdump(copy, &ok);
  ASSERT_TRUE(ok) << written;
  if (is_native_syntax(original)) {
    EXPECT_EQ(written, original);
    EXPECT_EQ(read_bytes(copy), read_bytes(path)) << "a native file is written back byte for byte";
  } else {
    EXPECT_EQ(without_decompression_changes(written), without_decompression_changes(original));
    EXPECT_NE(written.find("(0002,0010) UI =LittleEndianExplicit"), std::string::npos);
    EXPECT_NE(written.find("(0028,0004) CS [" + loaded->image.geometry().photometric + "]"),
              std::string::npos);
  }
}

TEST_P(SharedDicom, WrittenFileDecodesAlikeInPydicom) {
  auto loaded = read_image_file(GetParam());
  ASSERT_TRUE(loaded) << loaded.error().message;
  ScratchDir scratch;
  const auto copy = scratch / "copy.dcm";
  ASSERT_TRUE(write_image_file(copy, loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
  MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(copy) + " " + quote(scratch / "reference.raw"));
  const ReferencePixels reference = parse_reference(run, scratch / "reference.raw");
  EXPECT_EQ(reference.via, "pydicom");  // the copy is uncompressed: no DCMTK tool involved
  EXPECT_TRUE(std::ranges::equal(reference.words, loaded->image.bytes()))
      << first_difference(reference.words, loaded->image.bytes());
}

TEST_P(SharedDicom, AttributesAreAPart10StreamWithoutPixelData) {
  auto loaded = read_image_file(GetParam());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_FALSE(loaded->modality.empty());
  ScratchDir scratch;
  ASSERT_TRUE(write_file_atomic(scratch / "attributes.dcm", loaded->dicom_attributes));
  bool ok = false;
  const std::string dump = dcmdump(scratch / "attributes.dcm", &ok);
  EXPECT_TRUE(ok) << dump;
  EXPECT_EQ(dump.find("(7fe0,0010)"), std::string::npos);
  EXPECT_NE(dump.find("(0028,0004) CS [" + loaded->image.geometry().photometric + "]"), std::string::npos)
      << dump;
}

INSTANTIATE_TEST_SUITE_P(image_shared, SharedImage, testing::ValuesIn(shared_images()), test_name);
INSTANTIATE_TEST_SUITE_P(image_shared, SharedDicom, testing::ValuesIn(shared_dicom_files()), test_name);
// Without ../shared/data there is nothing to instantiate; image_shared.DataIsPresent reports the skip.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedImage);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedDicom);

}  // namespace
}  // namespace medcrypt::image::test
