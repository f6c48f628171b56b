// DICOM: generated valid and malformed files, truncation at every length, DCMTK's own lossless encoders,
// the writer's attribute handling and new_dicom_attributes.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::run_command;
using medcrypt::test::ScratchDir;
using medcrypt::test::shared_data;

// The files image_reference.py dicom-cases generates, made once for all tests of the suite.
class image_dicom_cases : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    cases_ = std::make_unique<ScratchDir>();
    generated_ = run_reference_script("dicom-cases " + quote(cases_->path()));
  }
  static void TearDownTestSuite() { cases_.reset(); }

  static std::unique_ptr<ScratchDir> cases_;
  static ScriptRun generated_;
};

std::unique_ptr<ScratchDir> image_dicom_cases::cases_;
ScriptRun image_dicom_cases::generated_;

#define REQUIRE_GENERATED_CASES()                                                         \
  do {                                                                                    \
    if (generated_.exit_code == kSkipExit) GTEST_SKIP() << "SKIPPED: " << generated_.out; \
    ASSERT_EQ(generated_.exit_code, 0) << generated_.out;                                 \
  } while (0)

TEST_F(image_dicom_cases, GeneratedFilesDecodeToTheirPixelsAndRoundTrip) {
  REQUIRE_GENERATED_CASES();
  int checked = 0;
  for (const auto& path : files_with_extension(cases_->path(), ".dcm")) {
    const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
    if (!json.contains("geometry")) continue;
    SCOPED_TRACE(path.filename().string());
    auto loaded = read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image.geometry(), geometry_from_json(json.at("geometry")));
    EXPECT_EQ(loaded->image.bytes().size(),
              read_bytes(std::filesystem::path(path).replace_extension(".raw")).size());
    EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(),
                                   read_bytes(std::filesystem::path(path).replace_extension(".raw"))));

    ScratchDir scratch;
    const auto copy = scratch / "copy.dcm";
    ASSERT_TRUE(write_image_file(copy, loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
    auto again = read_image_file(copy);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->image, loaded->image);
    // Native files (planar, big endian, odd length included) come back as they were.
    const std::string original_dump = dcmdump(path);
    if (is_native_syntax(original_dump)) {
      EXPECT_EQ(dcmdump(copy), original_dump);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 11);
}

TEST_F(image_dicom_cases, JpegTwoThousandColourTransformBecomesRgb) {
  REQUIRE_GENERATED_CASES();
  auto loaded = read_image_file(cases_->path() / "j2k_ybr_rct.dcm");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->image.geometry().photometric, "RGB");
  EXPECT_NE(
      std::find_if(loaded->notes.begin(), loaded->notes.end(),
                   [](const std::string& note) { return note.find("YBR_RCT to RGB") != std::string::npos; }),
      loaded->notes.end());
  ScratchDir scratch;
  ASSERT_TRUE(
      write_image_file(scratch / "copy.dcm", loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
  const std::string dump = dcmdump(scratch / "copy.dcm");
  EXPECT_NE(dump.find("(0028,0004) CS [RGB]"), std::string::npos) << dump;
  EXPECT_NE(dump.find("(0002,0010) UI =LittleEndianExplicit"), std::string::npos) << dump;
}

// The elements of an Explicit VR Little Endian stretch: offset, tag, and header plus value size.
struct RawElement {
  std::size_t offset = 0;
  std::uint16_t group = 0;
  std::uint16_t element = 0;
  std::size_t size = 0;
};

std::vector<RawElement> explicit_le_elements(const Bytes& data, std::size_t begin, std::size_t end) {
  std::vector<RawElement> elements;
  auto u16 = [&data](std::size_t at) { return static_cast<std::uint16_t>(data[at] | (data[at + 1] << 8)); };
  for (std::size_t at = begin; at + 8 <= end;) {
    const std::string vr(reinterpret_cast<const char*>(&data[at + 4]), 2);
    const bool long_form = std::string_view("OB OW OF OD OL OV SQ UC UR UT UN SV UV").find(vr) !=
                           std::string_view::npos;
    const std::size_t size =
        long_form ? 12 + (u16(at + 8) | (std::size_t{u16(at + 10)} << 16)) : std::size_t{8} + u16(at + 6);
    elements.push_back({at, u16(at), u16(at + 2), size});
    at += size;
  }
  return elements;
}

// Only group 0002 belongs in the File Meta Information. An element found there, because the meta group
// length runs into the data set or a tag was damaged, goes into the data set, or is dropped where the data
// set has its own; either way the file written back reads as the same image (the fuzzer found a damaged
// tag whose file did not read back at all). A repeated meta element, which DCMTK drops, leaves a group
// length that is too long: it is corrected, or the file written back would lose its first attributes to the
// meta header (the fuzzer found that too).
TEST_F(image_dicom_cases, StrayMetaElementsMoveIntoTheDataSet) {
  REQUIRE_GENERATED_CASES();
  for (const char* name : {"odd_length8.dcm", "j2k_one_fragment_per_frame.dcm"}) {
    SCOPED_TRACE(name);
    const auto path = cases_->path() / name;
    const Bytes original = read_bytes(path);
    auto expected = read_image_bytes(original);
    ASSERT_TRUE(expected) << expected.error().message;
    // After the preamble and "DICM": the group length element (8 bytes of header, a 32-bit value), the rest
    // of the meta header, then the data set.
    constexpr std::size_t kGroupLengthValue = 132 + 8;
    auto group_length = [](const Bytes& data) {
      std::uint32_t value = 0;
      for (std::size_t i = 4; i-- > 0;) value = (value << 8) | data[kGroupLengthValue + i];
      return value;
    };
    const std::size_t meta_end = kGroupLengthValue + 4 + group_length(original);
    const auto meta = explicit_le_elements(original, kGroupLengthValue + 4, meta_end);
    const auto dataset = explicit_le_elements(original, meta_end, meta_end + 64);
    ASSERT_GE(meta.size(), 2u);
    ASSERT_TRUE(meta[1].group == 0x0002 && meta[1].element == 0x0002);  // Media Storage SOP Class UID
    ASSERT_FALSE(dataset.empty());
    ASSERT_TRUE(dataset.front().group == 0x0008 && dataset.front().element == 0x0016);  // SOP Class UID

    Bytes swallowing = original;  // the group length takes in the data set's first element
    const auto longer = static_cast<std::uint32_t>(group_length(original) + dataset.front().size);
    for (std::size_t i = 0; i < 4; ++i) {
      swallowing[kGroupLengthValue + i] = static_cast<std::uint8_t>(longer >> (8 * i));
    }
    Bytes damaged = original;  // (0002,0002) becomes (0028,0002), Samples per Pixel, which the data set has
    damaged[meta[1].offset] = 0x28;
    Bytes repeated = original;  // (0002,0002) twice, the group length counting both
    repeated.insert(repeated.begin() + static_cast<std::ptrdiff_t>(meta[1].offset + meta[1].size),
                    original.begin() + static_cast<std::ptrdiff_t>(meta[1].offset),
                    original.begin() + static_cast<std::ptrdiff_t>(meta[1].offset + meta[1].size));
    const auto counting_both = static_cast<std::uint32_t>(group_length(original) + meta[1].size);
    for (std::size_t i = 0; i < 4; ++i) {
      repeated[kGroupLengthValue + i] = static_cast<std::uint8_t>(counting_both >> (8 * i));
    }
    const std::pair<Bytes, std::string> cases[] = {
        {swallowing, "moved SOPClassUID (0008,0016) from the File Meta Information into the data set"},
        {damaged,
         "dropped SamplesPerPixel (0028,0002) from the File Meta Information: the data set has its own"},
        {repeated, "File Meta Information Group Length corrected from " + std::to_string(counting_both) +
                       " to " + std::to_string(group_length(original))}};
    for (const auto& [input, note] : cases) {
      auto loaded = read_image_bytes(input);
      ASSERT_TRUE(loaded) << loaded.error().message;
      EXPECT_EQ(loaded->image, expected->image);
      EXPECT_TRUE(std::ranges::find(loaded->notes, note) != loaded->notes.end()) << note;
      ScratchDir scratch;
      ASSERT_TRUE(write_image_file(scratch / "copy.dcm", loaded->image, FileFormat::kDicom,
                                   loaded->dicom_attributes));
      auto again = read_image_file(scratch / "copy.dcm");
      ASSERT_TRUE(again) << again.error().message;
      EXPECT_EQ(again->image, expected->image);
      const std::string dump = dcmdump(scratch / "copy.dcm");
      // Each tag once, and in the data set.
      const auto data_set = dump.find("# Dicom-Data-Set");
      for (const char* tag : {"(0008,0016)", "(0028,0002)"}) {
        EXPECT_NE(dump.find(tag), std::string::npos) << tag << dump;
        EXPECT_GT(dump.find(tag), data_set) << tag << dump;
        EXPECT_EQ(dump.find(tag), dump.rfind(tag)) << tag << dump;
      }
      // A native file whose group length (or a repeat) was all that was wrong comes back as it was before.
      if ((input == swallowing || input == repeated) && is_native_syntax(dcmdump(path))) {
        EXPECT_EQ(dump, dcmdump(path));
      }
    }
  }
}

TEST_F(image_dicom_cases, MalformedFilesFailWithTheRightCodeAndOneQuietLine) {
  REQUIRE_GENERATED_CASES();
  int checked = 0;
  const std::string printed = capture_stderr([&] {
    for (const auto& path : files_with_extension(cases_->path(), ".dcm")) {
      const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
      if (!json.contains("error")) continue;
      SCOPED_TRACE(path.filename().string());
      auto loaded = read_image_file(path);
      ASSERT_FALSE(loaded);
      EXPECT_EQ(loaded.error().code, error_code_from_name(json.at("error"))) << loaded.error().message;
      EXPECT_NE(loaded.error().message.find(json.at("contains").get<std::string>()), std::string::npos)
          << loaded.error().message;
      EXPECT_EQ(loaded.error().message.find('\n'), std::string::npos);
      ++checked;
    }
  });
  EXPECT_EQ(printed, "");
  EXPECT_EQ(checked, 31);
}

TEST(image_dicom_errors, SharedTruncatedFileIsAnInvalidImage) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  Result<LoadedImage> loaded = make_error(ErrorCode::kInternal, "not run");
  const std::string printed =
      capture_stderr([&] { loaded = read_image_file(shared_data() / "dicom/MR_truncated.dcm"); });
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidImage);
  EXPECT_NE(loaded.error().message.find(
                "truncated DICOM: PixelData (7fe0,0010) declares 8192 bytes but only 8130 remain"),
            std::string::npos)
      << loaded.error().message;
  EXPECT_EQ(printed, "") << "DCMTK's logger is silenced";
}

// A prefix of a file never gives a partial image: it fails, or, where it ends at an element boundary after
// Pixel Data (trailing padding cut off), it is a whole file that decodes to the full image. Below 132 bytes
// there is no DICOM signature yet (some preambles carry a TIFF header, so those fail as TIFF).
void expect_every_truncation_fails(const std::filesystem::path& path, std::size_t step) {
  const Bytes bytes = read_bytes(path);
  auto full = read_image_bytes(bytes);
  ASSERT_TRUE(full) << full.error().message;
  const std::string printed = capture_stderr([&] {
    for (std::size_t length = 0; length < bytes.size(); length += length < 200 ? 1 : step) {
      auto loaded = read_image_bytes(ByteView(bytes).first(length));
      if (loaded) {
        ASSERT_EQ(loaded->image, full->image) << "prefix of " << length << " bytes decoded differently";
        continue;
      }
      const ErrorCode code = loaded.error().code;
      if (length == 0 || length >= 132) {
        ASSERT_EQ(code, ErrorCode::kInvalidImage) << length << ": " << loaded.error().message;
      } else {
        ASSERT_TRUE(code == ErrorCode::kUnsupported || code == ErrorCode::kInvalidImage) << length;
      }
    }
  });
  EXPECT_EQ(printed, "");
}

TEST(image_dicom_errors, EveryTruncationFails) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  for (const char* name : {"MR_small.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
                           "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"}) {
    SCOPED_TRACE(name);
    expect_every_truncation_fails(shared_data() / "dicom" / name, 1);
  }
  expect_every_truncation_fails(shared_data() / "dicom/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm", 397);
  expect_every_truncation_fails(shared_data() / "dicom/US1_J2KR.dcm", 997);
}

// Damaged compressed data either decodes (to something) or fails cleanly; it never crashes or hangs.
TEST(image_dicom_errors, CorruptCompressedDataNeverCrashes) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  for (const char* name : {"MR_small_jp2klossless.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                           "JPGLosslessP14SV1_1s_1f_8b.dcm"}) {
    SCOPED_TRACE(name);
    const Bytes original = read_bytes(shared_data() / "dicom" / name);
    auto clean = read_image_bytes(original);
    ASSERT_TRUE(clean) << clean.error().message;
    const std::string printed = capture_stderr([&] {
      for (std::size_t at = 1500; at < original.size(); at += original.size() / 300 + 1) {
        Bytes damaged = original;
        damaged[at] ^= 0x5a;
        auto loaded = read_image_bytes(damaged);
        if (loaded) {
          EXPECT_EQ(loaded->image.geometry(), clean->image.geometry());
        } else {
          EXPECT_TRUE(loaded.error().code == ErrorCode::kInvalidImage ||
                      loaded.error().code == ErrorCode::kLimits ||
                      loaded.error().code == ErrorCode::kUnsupported)
              << loaded.error().message;
        }
      }
    });
    EXPECT_EQ(printed, "");
  }
}

// DCMTK's own encoders compress shared uncompressed files losslessly; decoding must give the originals.
TEST(image_dicom, LosslessDcmtkEncodingsDecodeToTheOriginalPixels) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir scratch;
  const std::vector<std::pair<std::string, std::string>> encoders = {
      {"dcmcrle", "rle"}, {"dcmcjpeg +e1", "jpeg_lossless"}, {"dcmcjpls", "jpegls"}};
  for (const char* name : {"US1_UNCR.dcm", "MR_small.dcm", "emri_small.dcm", "VL1_UNC.dcm"}) {
    auto original = read_image_file(shared_data() / "dicom" / name);
    ASSERT_TRUE(original) << original.error().message;
    for (const auto& [command, label] : encoders) {
      SCOPED_TRACE(std::string(name) + " via " + command);
      const auto encoded = scratch / (label + "_" + name);
      auto run = run_command(command + " " + quote(shared_data() / "dicom" / name) + " " + quote(encoded));
      ASSERT_EQ(run.exit_code, 0) << run.out;
      auto decoded = read_image_file(encoded);
      ASSERT_TRUE(decoded) << decoded.error().message;
      EXPECT_EQ(decoded->image, original->image);
    }
  }
}

// The attributes of a dcmdump text, one per line, without the meta header (group 0002), whose writer details
// differ, and Pixel Data.
std::string dataset_lines(const std::string& dump) {
  std::string kept;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("(0002,", 0) == 0 || line.rfind("(7fe0,0010)", 0) == 0) continue;
    kept += line + "\n";
  }
  return kept;
}

// medcrypt decodes JPEG-LS with CharLS 2, not DCMTK's codec (see jpegls.hpp). On valid data both must agree:
// each interleave mode, near-lossless coding, fragmented frames without an offset table give the pixels and
// the attributes (Planar Configuration, Lossy Image Compression, Number of Frames) that DCMTK's decoder,
// dcmdjpls, gives.
TEST(image_dicom, JpeglsDecodesAsDcmtkDoes) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir scratch;
  const std::vector<std::string> lossless = {"+il", "+is", "+in", "+fs 1 -ot"};
  std::vector<std::string> all = lossless;
  all.insert(all.end(), {"+en", "+en +md 7 +in"});  // dcmcjpls codes unsigned pixels only near-losslessly
  const std::vector<std::pair<std::string, const std::vector<std::string>*>> cases = {
      {"VL1_UNC.dcm", &all}, {"US1_UNCR.dcm", &all}, {"emri_small.dcm", &all}, {"CT_small.dcm", &lossless}};
  int compared = 0;
  for (const auto& [name, list] : cases) {
    const std::vector<std::string>& options = *list;
    for (std::size_t i = 0; i < options.size(); ++i) {
      SCOPED_TRACE(name + " dcmcjpls " + options[i]);
      const auto encoded = scratch / ("jls" + std::to_string(i) + "_" + name);
      const auto reference = scratch / ("ref" + std::to_string(i) + "_" + name);
      // Lossy Image Compression is removed after encoding, so that the decoders' setting of it shows.
      auto run = run_command("dcmcjpls " + options[i] + " " + quote(shared_data() / "dicom" / name) + " " +
                             quote(encoded) + " && dcmodify -nb -imt -ea '(0028,2110)' " + quote(encoded) +
                             " && dcmdjpls " + quote(encoded) + " " + quote(reference));
      ASSERT_EQ(run.exit_code, 0) << run.out;
      auto ours = read_image_file(encoded);
      ASSERT_TRUE(ours) << ours.error().message;
      auto theirs = read_image_file(reference);
      ASSERT_TRUE(theirs) << theirs.error().message;
      EXPECT_EQ(ours->image, theirs->image);
      const auto written = scratch / ("out" + std::to_string(i) + "_" + name);
      ASSERT_TRUE(write_image_file(written, ours->image, FileFormat::kDicom, ours->dicom_attributes));
      EXPECT_EQ(dataset_lines(dcmdump(written)), dataset_lines(dcmdump(reference)));
      ++compared;
    }
  }
  EXPECT_EQ(compared, 22);
}

// Inputs that once crashed a reader under the fuzzer (fuzz/corpus/dicom/regression_*) now fail with one clear
// error: JPEG-LS data that tripped an assertion in DCMTK's bundled CharLS 1.0 and aborted the process; a bare
// data set (no meta header) with an illegal group length out of order, which DCMTK sorts first, so that the
// file written back opened with group 0001 and was no longer recognised as DICOM.
TEST(image_dicom_errors, FuzzerFindingsFailCleanly) {
  const std::filesystem::path corpus = std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "fuzz/corpus/dicom";
  const std::vector<std::pair<std::string, std::string>> findings = {
      {"regression_jpegls_charls1_assert.dcm", "malformed JPEG-LS data"},
      {"regression_bare_reordered_roundtrip.dcm", "no longer open as a DICOM stream"}};
  for (const auto& [name, message] : findings) {
    SCOPED_TRACE(name);
    std::string printed = capture_stderr([&] {
      auto loaded = read_image_file(corpus / name);
      ASSERT_FALSE(loaded);
      EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidImage);
      EXPECT_NE(loaded.error().message.find(message), std::string::npos) << loaded.error().message;
    });
    EXPECT_EQ(printed, "");
  }
}

// Inputs on which the fuzzer's round trip failed (fuzz/corpus/dicom/regression_*roundtrip*): written back
// and read again, each gives the image it gave first. One repeats a meta header element, leaving a group
// length DCMTK did not correct.
TEST(image_dicom, FuzzerFindingsReadBackAsRead) {
  const std::filesystem::path corpus = std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "fuzz/corpus/dicom";
  for (const char* name : {"regression_meta_repeat_roundtrip.dcm"}) {
    SCOPED_TRACE(name);
    auto loaded = read_image_file(corpus / name);
    ASSERT_TRUE(loaded) << loaded.error().message;
    auto written = encode_image(loaded->image, FileFormat::kDicom, loaded->dicom_attributes);
    ASSERT_TRUE(written) << written.error().message;
    auto again = read_image_bytes(*written);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->image, loaded->image);
  }
}

// A dcmdump text without the meta header (group 0002) and the lines naming the transfer syntax used: the data
// set as DCMTK reads it, whatever its encoding.
std::string data_set_dump(const std::string& dump) {
  std::string kept;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("(0002,", 0) == 0 || line.rfind("# Used TransferSyntax", 0) == 0) continue;
    kept += line + "\n";
  }
  return kept;
}

// Deflated Explicit VR Little Endian: every attribute survives reading and writing back (they were once
// written through a deflate filter that was never flushed, leaving only the pixel module), and the file comes
// back as Explicit VR Little Endian holding the data set DCMTK reads from the original, sequences of either
// length encoding included.
TEST(image_dicom, DeflatedFilesKeepEveryAttribute) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir scratch;
  auto plain = read_image_file(shared_data() / "dicom/CT_small.dcm");
  ASSERT_TRUE(plain) << plain.error().message;
  for (const char* options : {"+td", "+td -e"}) {
    SCOPED_TRACE(std::string("dcmconv ") + options);
    const auto deflated = scratch / "deflated.dcm";
    auto run = run_command(std::string("dcmconv ") + options + " " +
                           quote(shared_data() / "dicom/CT_small.dcm") + " " + quote(deflated));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const std::string original_dump = dcmdump(deflated);
    ASSERT_NE(original_dump.find("(0002,0010) UI =DeflatedLittleEndianExplicit"), std::string::npos);
    auto loaded = read_image_file(deflated);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image, plain->image);
    const std::string note = "Deflated Explicit VR Little Endian data set inflated; it is written back as "
                             "Explicit VR Little Endian";
    EXPECT_TRUE(std::ranges::find(loaded->notes, note) != loaded->notes.end());
    auto from_memory = read_image_bytes(read_bytes(deflated));
    ASSERT_TRUE(from_memory) << from_memory.error().message;
    EXPECT_EQ(from_memory->dicom_attributes, loaded->dicom_attributes);

    const auto copy = scratch / "copy.dcm";
    ASSERT_TRUE(write_image_file(copy, loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
    const std::string copy_dump = dcmdump(copy);
    EXPECT_NE(copy_dump.find("(0002,0010) UI =LittleEndianExplicit"), std::string::npos) << copy_dump;
    EXPECT_NE(copy_dump.find("(0008,0018) UI [1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322]"),
              std::string::npos)
        << copy_dump;
    EXPECT_EQ(data_set_dump(copy_dump), data_set_dump(original_dump));
  }
}

// A deflated file whose attributes inflate far beyond its pixels (20 MiB of zeros in Encapsulated Document,
// 46 KB deflated, beside 32 KB of pixels) is refused rather than carried into every container made from it.
TEST(image_dicom_errors, DeflatedAttributesMayNotInflateFarBeyondThePixels) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir scratch;
  {
    std::ofstream zeros(scratch / "zeros.bin", std::ios::binary);
    const std::vector<char> block(1 << 20, 0);
    for (int i = 0; i < 20; ++i) zeros.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  const auto padded = scratch / "padded.dcm";
  const auto deflated = scratch / "deflated.dcm";
  auto run = run_command("cp " + quote(shared_data() / "dicom/CT_small.dcm") + " " + quote(padded) +
                         " && chmod u+w " + quote(padded) + " && cd " + quote(scratch.path()) +
                         " && dcmodify -nb -if '(0042,0011)=zeros.bin' padded.dcm && dcmconv +td " +
                         quote(padded) + " " + quote(deflated));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  ASSERT_LT(std::filesystem::file_size(deflated), 100'000u);
  auto loaded = read_image_file(deflated);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kLimits);
  EXPECT_NE(loaded.error().message.find("deflated DICOM attributes inflate to"), std::string::npos)
      << loaded.error().message;
  // Not deflated, the same attributes cost no more than the file's own size, and are kept.
  auto kept = read_image_file(padded);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_GT(kept->dicom_attributes.size(), 20u << 20);
}

// A frame coded smaller than Rows x Columns, as a whole-slide image's edge tile may be. DCMTK's JPEG decoder
// fills the frame's start with the JPEG's rows and leaves the rest zero; medcrypt once left the previous
// frame's pixels there. Both now give the same pixels, checked against dcmdjpeg's output read by pydicom, and
// the frame gets a note. RLE, JPEG-LS and JPEG 2000 frames of another size are refused, as DCMTK's dcmdrle
// and dcmdjpls refuse them.
TEST(image_dicom, FramesCodedSmallerThanTheImage) {
  ScratchDir scratch;
  const auto cases = scratch / "cases";
  std::filesystem::create_directory(cases);
  MEDCRYPT_RUN_REFERENCE(generated, "short-frame-cases " + quote(cases));
  int checked = 0;
  for (const auto& path : files_with_extension(cases, ".dcm")) {
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
    Result<LoadedImage> loaded = make_error(ErrorCode::kInternal, "not run");
    EXPECT_EQ(capture_stderr([&] { loaded = read_image_file(path); }), "");
    ++checked;
    if (json.contains("error")) {
      ASSERT_FALSE(loaded);
      EXPECT_EQ(loaded.error().code, error_code_from_name(json.at("error")));
      EXPECT_NE(loaded.error().message.find(json.at("contains").get<std::string>()), std::string::npos)
          << loaded.error().message;
      EXPECT_EQ(loaded.error().message.find('\n'), std::string::npos);
      continue;
    }
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto decoded = scratch / ("dcmtk_" + name);
    auto run =
        run_command(json.at("reference").get<std::string>() + " " + quote(path) + " " + quote(decoded));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const auto raw = scratch / (name + ".raw");
    MEDCRYPT_RUN_REFERENCE(reference_run, "decode " + quote(decoded) + " " + quote(raw));
    const ReferencePixels reference = parse_reference(reference_run, raw);
    const Geometry& g = loaded->image.geometry();
    ASSERT_EQ(reference.shape, (std::vector<std::uint64_t>{3, g.height, g.width, g.samples}));
    // What DCMTK does: frame 2 holds the JPEG's pixels, then zeros.
    const auto frame_bytes = static_cast<std::size_t>(g.frame_bytes());
    const std::size_t covered =
        json.at("covered_pixels").get<std::size_t>() * g.samples * g.bytes_per_sample();
    ASSERT_EQ(reference.words.size(), 3 * frame_bytes);
    EXPECT_TRUE(std::all_of(reference.words.begin() + static_cast<std::ptrdiff_t>(frame_bytes + covered),
                            reference.words.begin() + static_cast<std::ptrdiff_t>(2 * frame_bytes),
                            [](std::uint8_t byte) { return byte == 0; }));
    EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(), reference.words));
    const std::string note = "frame 2: JPEG covers " + json.at("covers").get<std::string>() +
                             "; its rows fill the frame's start and the rest is filled with zeros, as DCMTK "
                             "does";
    EXPECT_TRUE(std::ranges::find(loaded->notes, note) != loaded->notes.end()) << note;
    auto about_a_frame = [](const std::string& n) { return n.starts_with("frame "); };
    EXPECT_EQ(std::ranges::count_if(loaded->notes, about_a_frame), 1);
  }
  EXPECT_EQ(checked, 6);
}

TEST(image_dicom, UndefinedLengthSequencesStayUndefined) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir scratch;
  const auto undefined = scratch / "undefined.dcm";
  auto run =
      run_command("dcmconv -e " + quote(shared_data() / "dicom/CT_small.dcm") + " " + quote(undefined));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::string dump = dcmdump(undefined);
  ASSERT_NE(dump.find("(Sequence with undefined length"), std::string::npos) << dump;
  auto loaded = read_image_file(undefined);
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_TRUE(
      write_image_file(scratch / "copy.dcm", loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
  EXPECT_EQ(dcmdump(scratch / "copy.dcm"), dump);
}

// A cipher image written with the original's attributes but another geometry gets a matching pixel module.
TEST(image_dicom, WriterUpdatesThePixelModuleToTheImage) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto original = read_image_file(shared_data() / "dicom/MR_small.dcm");
  ASSERT_TRUE(original) << original.error().message;
  const Image image = random_image({.width = 10,
                                    .height = 7,
                                    .frames = 3,
                                    .samples = 3,
                                    .bits_allocated = 8,
                                    .bits_stored = 8,
                                    .photometric = "RGB"},
                                   8);
  ScratchDir scratch;
  ASSERT_TRUE(write_image_file(scratch / "rgb.dcm", image, FileFormat::kDicom, original->dicom_attributes));
  auto again = read_image_file(scratch / "rgb.dcm");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->image, image);
  const std::string dump = dcmdump(scratch / "rgb.dcm");
  EXPECT_NE(dump.find("(0028,0008) IS [3]"), std::string::npos) << dump;
  EXPECT_NE(dump.find("(0028,0006) US 0"), std::string::npos) << dump;
  EXPECT_NE(dump.find("(0028,0102) US 7"), std::string::npos) << dump;
  EXPECT_NE(dump.find("(0010,0010) PN [CompressedSamples^MR1]"), std::string::npos)
      << "other attributes kept";
}

struct NewAttributesCase {
  std::string modality;
  Geometry geometry;
  std::string sop_class;  // as dcmdump names it
};

TEST(image_dicom, NewAttributesMakeFilesThatPydicomDecodes) {
  const std::vector<NewAttributesCase> cases = {
      {"CT",
       {.width = 32, .height = 24, .bits_allocated = 16, .bits_stored = 12, .is_signed = true},
       "=CTImageStorage"},
      {"CT", {.width = 9, .height = 5, .samples = 3, .photometric = "RGB"}, "=SecondaryCaptureImageStorage"},
      {"OT",
       {.width = 9, .height = 5, .frames = 4, .samples = 3, .photometric = "RGB"},
       "=MultiframeTrueColorSecondaryCaptureImageStorage"},
      {"MR",
       {.width = 16, .height = 16, .frames = 2, .bits_allocated = 16, .bits_stored = 16},
       "=MultiframeGrayscaleWordSecondaryCaptureImageStorage"},
      {"US", {.width = 7, .height = 3}, "=SecondaryCaptureImageStorage"},
  };
  std::uint32_t seed = 10;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.modality + " " + c.sop_class);
    const Image image = random_image(c.geometry, seed++);
    auto attributes = new_dicom_attributes(c.modality, c.geometry);
    ASSERT_TRUE(attributes) << attributes.error().message;
    ScratchDir scratch;
    const auto path = scratch / "new.dcm";
    ASSERT_TRUE(write_image_file(path, image, FileFormat::kDicom, *attributes));
    auto loaded = read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image, image);
    EXPECT_EQ(loaded->modality, c.modality);
    bool ok = false;
    const std::string dump = dcmdump(path, &ok);
    EXPECT_TRUE(ok) << dump;
    EXPECT_NE(dump.find("(0008,0016) UI " + c.sop_class), std::string::npos) << dump;
    EXPECT_NE(dump.find("(0010,0010) PN [MEDCRYPT^DEMO]"), std::string::npos) << dump;
    MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(path) + " " + quote(scratch / "reference.raw"));
    EXPECT_TRUE(std::ranges::equal(parse_reference(run, scratch / "reference.raw").words, image.bytes()));
  }
}

TEST(image_dicom, NewAttributesHaveFreshUids) {
  const Geometry g{.width = 4, .height = 4};
  auto a = new_dicom_attributes("OT", g);
  auto b = new_dicom_attributes("OT", g);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  const Image image = random_image(g, 1);
  ScratchDir scratch;
  ASSERT_TRUE(write_image_file(scratch / "a.dcm", image, FileFormat::kDicom, *a));
  ASSERT_TRUE(write_image_file(scratch / "b.dcm", image, FileFormat::kDicom, *b));
  auto instance_uid = [](const std::string& dump) {
    const auto at = dump.find("(0008,0018) UI [");
    return at == std::string::npos ? std::string() : dump.substr(at, dump.find(']', at) - at);
  };
  EXPECT_NE(instance_uid(dcmdump(scratch / "a.dcm")), "");
  EXPECT_NE(instance_uid(dcmdump(scratch / "a.dcm")), instance_uid(dcmdump(scratch / "b.dcm")));
}

TEST(image_dicom, BadModalityIsAUsageError) {
  for (const char* modality : {"", "ct", "C T", "SEVENTEEN_LETTERS"}) {
    auto attributes = new_dicom_attributes(modality, Geometry{.width = 4, .height = 4});
    ASSERT_FALSE(attributes) << modality;
    EXPECT_EQ(attributes.error().code, ErrorCode::kUsage);
  }
}

TEST(image_dicom, EmptyAttributesMakeASecondaryCapture) {
  const Image image = random_image({.width = 6, .height = 5, .bits_allocated = 16, .bits_stored = 16}, 2);
  ScratchDir scratch;
  ASSERT_TRUE(write_image_file(scratch / "sc.dcm", image, FileFormat::kDicom));
  auto loaded = read_image_file(scratch / "sc.dcm");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->image, image);
  EXPECT_EQ(loaded->modality, "OT");
}

TEST(image_dicom, MalformedAttributesAreRefused) {
  const Image image = random_image({.width = 6, .height = 5}, 3);
  const Bytes garbage(300, 0x11);
  auto encoded = encode_image(image, FileFormat::kDicom, garbage);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, ErrorCode::kInvalidImage);
}

// Codec registration happens once however many threads decode at the same time.
TEST(image_dicom, ConcurrentReadsAgree) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const std::vector<std::string> names = {"MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                                          "JPGLosslessP14SV1_1s_1f_8b.dcm", "MR_small_jp2klossless.dcm"};
  std::vector<Bytes> files;
  for (const auto& name : names) files.push_back(read_bytes(shared_data() / "dicom" / name));
  std::vector<std::vector<Bytes>> results(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < files.size(); ++i) {
        const std::size_t which = (i + t) % files.size();
        auto loaded = read_image_bytes(files[which]);
        results[t].push_back(loaded ? Bytes(loaded->image.bytes().begin(), loaded->image.bytes().end())
                                    : Bytes{});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t t = 0; t < results.size(); ++t) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      auto expected = read_image_bytes(files[(i + t) % files.size()]);
      ASSERT_TRUE(expected);
      EXPECT_TRUE(std::ranges::equal(results[t][i], expected->image.bytes())) << t << " " << i;
    }
  }
}

}  // namespace
}  // namespace medcrypt::image::test
