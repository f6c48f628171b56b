// DICOM files laid out or holding pixels as medcrypt once could not read (issues 25 and 27): no preamble, no
// meta header, Pixel Data longer than its samples, uncompressed YBR_FULL_422, JPEG-LS frames over several
// fragments, RLE with fewer frames than Number of Frames claims, 1-bit (packed or in JPEG 2000), 32-bit and
// floating point samples.
// Every file is checked against an independent decoder's pixels (image_reference.py kind-cases: pydicom, or
// a DCMTK tool then pydicom) and written back; and headers edited upward are refused before any memory is
// allocated for them.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string_view>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <openjpeg.h>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::run_command;
using medcrypt::test::ScratchDir;
using medcrypt::test::shared_data;

bool has_note_containing(const std::vector<std::string>& notes, const std::string& text) {
  return std::ranges::any_of(notes, [&](const std::string& note) { return note.find(text) != std::string::npos; });
}

// The files image_reference.py kind-cases generates, made once for all tests of the suite.
class image_dicom_kinds : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    cases_ = std::make_unique<ScratchDir>();
    generated_ = run_reference_script("kind-cases " + quote(cases_->path()));
  }
  static void TearDownTestSuite() { cases_.reset(); }

  // The generated files whose JSON has (or, with `valid` false, lacks) a geometry.
  static std::vector<std::filesystem::path> cases(bool valid) {
    std::vector<std::filesystem::path> out;
    for (const auto& path : files_with_extension(cases_->path(), ".dcm")) {
      if (read_json(std::filesystem::path(path).replace_extension(".json")).contains("geometry") == valid) {
        out.push_back(path);
      }
    }
    return out;
  }

  static std::unique_ptr<ScratchDir> cases_;
  static ScriptRun generated_;
};

std::unique_ptr<ScratchDir> image_dicom_kinds::cases_;
ScriptRun image_dicom_kinds::generated_;

#define REQUIRE_KIND_CASES()                                                              \
  do {                                                                                    \
    if (generated_.exit_code == kSkipExit) GTEST_SKIP() << "SKIPPED: " << generated_.out; \
    ASSERT_EQ(generated_.exit_code, 0) << generated_.out;                                 \
  } while (0)

// Pixels and geometry as the independent decoder gives them, the notes that say what the reader did, and
// the same from memory as from the file.
TEST_F(image_dicom_kinds, DecodeAsAnIndependentDecoderDoes) {
  REQUIRE_KIND_CASES();
  int checked = 0;
  for (const auto& path : cases(true)) {
    SCOPED_TRACE(path.filename().string());
    const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
    Result<LoadedImage> loaded = make_error(ErrorCode::kInternal, "not run");
    EXPECT_EQ(capture_stderr([&] { loaded = read_image_file(path); }), "");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image.geometry(), geometry_from_json(json.at("geometry")));
    const Bytes reference = read_bytes(std::filesystem::path(path).replace_extension(".raw"));
    EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(), reference)) << "against " << json.at("via");
    for (const std::string note : json.at("notes")) {
      EXPECT_TRUE(has_note_containing(loaded->notes, note)) << note;
    }
    auto from_memory = read_image_bytes(read_bytes(path));
    ASSERT_TRUE(from_memory) << from_memory.error().message;
    EXPECT_EQ(from_memory->image, loaded->image);
    EXPECT_EQ(from_memory->dicom_attributes, loaded->dicom_attributes);
    ++checked;
  }
  EXPECT_EQ(checked, 26);
}

// Written back, an uncompressed file is the file read, byte for byte: no preamble added where there was none,
// a bare data set still bare, padding after the samples restored, 1-bit and YBR_FULL_422 samples packed as
// they were. A compressed one comes back uncompressed with the same pixels (by the independent decoder), and
// without a preamble where it had none.
TEST_F(image_dicom_kinds, ComeBackAsTheyCame) {
  REQUIRE_KIND_CASES();
  int checked = 0;
  for (const auto& path : cases(true)) {
    SCOPED_TRACE(path.filename().string());
    const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
    auto loaded = read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    ScratchDir scratch;
    const auto copy = scratch / "copy.dcm";
    ASSERT_TRUE(write_image_file(copy, loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
    const Bytes written = read_bytes(copy);
    if (json.at("round_trip") == "bytes") {
      EXPECT_TRUE(written == read_bytes(path)) << "the file written back differs from the file read";
    } else {
      MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(copy) + " " + quote(scratch / "copy.raw"));
      EXPECT_TRUE(std::ranges::equal(parse_reference(run, scratch / "copy.raw").words,
                                     read_bytes(std::filesystem::path(path).replace_extension(".raw"))));
    }
    if (json.at("no_preamble")) {
      ASSERT_GE(written.size(), 132u);
      EXPECT_NE(std::string_view(reinterpret_cast<const char*>(written.data()) + 128, 4), "DICM");
      // Group 0002 (a meta header), or 0008 (a bare data set) in either byte order.
      const bool meta_or_data_set = (written[0] == 0x02 || written[0] == 0x08) && written[1] == 0x00;
      EXPECT_TRUE(meta_or_data_set || (written[0] == 0x00 && written[1] == 0x08));
    }
    auto again = read_image_file(copy);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->image, loaded->image);
    ++checked;
  }
  EXPECT_EQ(checked, 26);
}

TEST_F(image_dicom_kinds, RefusalsAreOneQuietLine) {
  REQUIRE_KIND_CASES();
  int checked = 0;
  for (const auto& path : cases(false)) {
    SCOPED_TRACE(path.filename().string());
    const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
    Result<LoadedImage> loaded = make_error(ErrorCode::kInternal, "not run");
    EXPECT_EQ(capture_stderr([&] { loaded = read_image_file(path); }), "");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, error_code_from_name(json.at("error"))) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(json.at("contains").get<std::string>()), std::string::npos)
        << loaded.error().message;
    EXPECT_EQ(loaded.error().message.find('\n'), std::string::npos);
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// Every prefix of the new kinds fails cleanly (the bare data sets included, which have no signature: a short
// prefix is then no recognisable format at all) or, cut after Pixel Data, decodes to the whole image.
TEST_F(image_dicom_kinds, EveryTruncationFailsCleanly) {
  REQUIRE_KIND_CASES();
  for (const char* name : {"no_preamble_u16.dcm", "bare_implicit_s16.dcm", "bare_explicit_be_u16.dcm",
                           "padded_odd_u8.dcm", "ybr_full_422.dcm", "bits1_frames.dcm", "u32_rle.dcm",
                           "float64.dcm", "jpegls_fragmented_no_bot.dcm"}) {
    SCOPED_TRACE(name);
    const Bytes bytes = read_bytes(cases_->path() / name);
    auto full = read_image_bytes(bytes);
    ASSERT_TRUE(full) << full.error().message;
    const std::string printed = capture_stderr([&] {
      for (std::size_t length = 0; length < bytes.size(); ++length) {
        auto loaded = read_image_bytes(ByteView(bytes).first(length));
        if (loaded) {
          ASSERT_EQ(loaded->image, full->image) << "prefix of " << length << " bytes decoded differently";
          continue;
        }
        const ErrorCode code = loaded.error().code;
        ASSERT_TRUE(code == ErrorCode::kInvalidImage || code == ErrorCode::kUnsupported)
            << length << ": " << loaded.error().message;
      }
    });
    EXPECT_EQ(printed, "");
  }
}

// A file without a preamble is recognised by parsing its first elements; data that merely starts like one is
// not taken for DICOM.
TEST(image_dicom_sniffing, DataThatOnlyLooksLikeADataSetIsNotDicom) {
  const std::vector<std::pair<std::string, Bytes>> inputs = {
      {"zeros", Bytes(1024, 0)},
      {"one 0008 tag, then noise", Bytes{0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 0x0a, 0x00, 0xff, 0xfe, 0x01}},
      {"odd length", Bytes{0x08, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 'a', 'b', 'c', 0x08, 0x00, 0x06, 0x00}},
      {"tags going backwards", Bytes{0x08, 0x00, 0x16, 0x00, 0x02, 0x00, 0x00, 0x00, '1', '2',
                                     0x08, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 'a', 'b'}},
      {"unknown VR", Bytes{0x08, 0x00, 0x05, 0x00, 'Q', 'Q', 0x02, 0x00, 'a', 'b', 0x08, 0x00, 0x06, 0x00, 'Q',
                           'Q', 0x00, 0x00}},
      {"group 0002 in implicit VR", Bytes{0x02, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                          0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01}},
      {"text", Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'}},
  };
  for (const auto& [what, bytes] : inputs) {
    auto loaded = read_image_bytes(bytes);
    ASSERT_FALSE(loaded) << what;
    EXPECT_EQ(loaded.error().code, ErrorCode::kUnsupported) << what << ": " << loaded.error().message;
    EXPECT_NE(loaded.error().message.find("unrecognised image format"), std::string::npos) << what;
  }
}

// YBR_FULL_422 samples come back subsampled as they came; an image whose pixel pairs do not share Cb and Cr
// (a cipher image, say) cannot be subsampled without loss and is written whole, as YBR_FULL, which pydicom
// then reads as the image.
TEST_F(image_dicom_kinds, YbrFullFourTwoTwoThatCannotBeSubsampledIsWrittenWhole) {
  REQUIRE_KIND_CASES();
  auto loaded = read_image_file(cases_->path() / "ybr_full_422.dcm");
  ASSERT_TRUE(loaded) << loaded.error().message;
  Image image = loaded->image;
  image.bytes()[1] ^= 0x5a;  // the first pixel's Cb: now unlike its pair's
  ScratchDir scratch;
  const auto copy = scratch / "full.dcm";
  ASSERT_TRUE(write_image_file(copy, image, FileFormat::kDicom, loaded->dicom_attributes));
  const std::string dump = dcmdump(copy);
  EXPECT_NE(dump.find("(0028,0004) CS [YBR_FULL]"), std::string::npos) << dump;
  MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(copy) + " " + quote(scratch / "full.raw"));
  EXPECT_TRUE(std::ranges::equal(parse_reference(run, scratch / "full.raw").words, image.bytes()));
  auto again = read_image_file(copy);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->image.geometry().photometric, "YBR_FULL");
  EXPECT_TRUE(std::ranges::equal(again->image.bytes(), image.bytes()));
}

// What a file read kept of its Pixel Data (padding after the samples) belongs to the image read with it: an
// image of another geometry written with the same attributes gets none of it.
TEST_F(image_dicom_kinds, KeptPaddingStaysWithTheImageReadWithIt) {
  REQUIRE_KIND_CASES();
  auto loaded = read_image_file(cases_->path() / "padded_u16.dcm");
  ASSERT_TRUE(loaded) << loaded.error().message;
  Geometry other = loaded->image.geometry();
  other.bits_allocated = 8;
  other.bits_stored = 8;
  const Image image = random_image(other, 4);
  ScratchDir scratch;
  ASSERT_TRUE(write_image_file(scratch / "other.dcm", image, FileFormat::kDicom, loaded->dicom_attributes));
  const std::string dump = dcmdump(scratch / "other.dcm");
  EXPECT_NE(dump.find("(7fe0,0010) OB"), std::string::npos) << dump;
  EXPECT_NE(dump.find(" 12, 1 PixelData"), std::string::npos) << dump;  // 4x3 samples, nothing after
  auto again = read_image_file(scratch / "other.dcm");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->image, image);
}

// Images of the new kinds that medcrypt makes itself (with fresh attributes) are files pydicom reads as the
// image: packed bits, 32-bit words, Float and Double Float Pixel Data.
TEST(image_dicom_kinds_written, NewKindsWithFreshAttributesDecodeInPydicom) {
  const std::vector<Geometry> geometries = {
      {.width = 7, .height = 5, .frames = 3, .bits_allocated = 1, .bits_stored = 1},
      {.width = 6, .height = 4, .frames = 2, .bits_allocated = 32, .bits_stored = 32},
      {.width = 5, .height = 4, .samples = 3, .bits_allocated = 32, .bits_stored = 20, .photometric = "RGB"},
      {.width = 5, .height = 3, .frames = 2, .bits_allocated = 32, .bits_stored = 0},
      {.width = 4, .height = 3, .bits_allocated = 64, .bits_stored = 0},
  };
  std::uint32_t seed = 40;
  for (const Geometry& g : geometries) {
    SCOPED_TRACE(std::to_string(g.bits_allocated) + "-bit, bits stored " + std::to_string(g.bits_stored));
    Image image = random_image(g, seed++);
    if (g.bits_allocated == 1) {
      for (auto& byte : image.bytes()) byte &= 1;
    }
    ScratchDir scratch;
    const auto path = scratch / "new.dcm";
    ASSERT_TRUE(write_image_file(path, image, FileFormat::kDicom));
    MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(path) + " " + quote(scratch / "new.raw"));
    EXPECT_TRUE(std::ranges::equal(parse_reference(run, scratch / "new.raw").words, image.bytes()));
    auto loaded = read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image, image);
  }
}

// A lossless JPEG 2000 codestream of one frame of 0/1 samples at precision 1, made by OpenJPEG's encoder.
Bytes one_bit_codestream(std::span<const std::uint8_t> bits, std::uint32_t width, std::uint32_t height) {
  opj_image_cmptparm_t component{};
  component.dx = component.dy = 1;
  component.w = width;
  component.h = height;
  component.prec = 1;
  component.sgnd = 0;
  std::unique_ptr<opj_image_t, decltype(&opj_image_destroy)> image(
      opj_image_create(1, &component, OPJ_CLRSPC_GRAY), opj_image_destroy);
  image->x1 = width;
  image->y1 = height;
  std::copy(bits.begin(), bits.end(), image->comps[0].data);
  opj_cparameters_t parameters;
  opj_set_default_encoder_parameters(&parameters);  // one layer, reversible 5/3 wavelet: lossless
  parameters.numresolution = 3;                       // two decomposition levels suit a 7-row frame
  std::unique_ptr<opj_codec_t, decltype(&opj_destroy_codec)> codec(opj_create_compress(OPJ_CODEC_J2K),
                                                                  opj_destroy_codec);
  EXPECT_TRUE(opj_setup_encoder(codec.get(), &parameters, image.get()));
  Bytes out;
  std::unique_ptr<opj_stream_t, decltype(&opj_stream_destroy)> stream(opj_stream_default_create(OPJ_FALSE),
                                                                      opj_stream_destroy);
  opj_stream_set_user_data(stream.get(), &out, nullptr);
  opj_stream_set_write_function(stream.get(), [](void* buffer, OPJ_SIZE_T size, void* user) -> OPJ_SIZE_T {
    auto* bytes = static_cast<Bytes*>(user);
    bytes->insert(bytes->end(), static_cast<std::uint8_t*>(buffer), static_cast<std::uint8_t*>(buffer) + size);
    return size;
  });
  opj_stream_set_skip_function(stream.get(), [](OPJ_OFF_T n, void* user) -> OPJ_OFF_T {
    auto* bytes = static_cast<Bytes*>(user);
    bytes->resize(bytes->size() + static_cast<std::size_t>(n));
    return n;
  });
  opj_stream_set_seek_function(stream.get(), [](OPJ_OFF_T, void*) -> OPJ_BOOL { return OPJ_FALSE; });
  EXPECT_TRUE(opj_start_compress(codec.get(), image.get(), stream.get()) &&
              opj_encode(codec.get(), stream.get()) && opj_end_compress(codec.get(), stream.get()));
  return out;
}

// Binary segmentations travel as 1-bit samples in JPEG 2000 (highdicom and dcmqi write them so): each frame
// decodes to the bits its codestream was made from, and the image is written back as packed bits that
// pydicom reads as the same bits.
TEST(image_dicom_kinds_written, OneBitJpeg2000FramesDecodeToTheirBits) {
  const Geometry g{.width = 13, .height = 7, .frames = 3, .bits_allocated = 1, .bits_stored = 1};
  Image bits = random_image(g, 52);
  for (auto& byte : bits.bytes()) byte &= 1;

  DcmFileFormat file;
  DcmDataset& dataset = *file.getDataset();
  ASSERT_TRUE(dataset.putAndInsertString(DCM_SOPClassUID, UID_SegmentationStorage).good());
  ASSERT_TRUE(dataset.putAndInsertString(DCM_SOPInstanceUID, "1.2.826.0.1.3680043.10.1105.1").good());
  ASSERT_TRUE(dataset.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(g.height)).good());
  ASSERT_TRUE(dataset.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(g.width)).good());
  ASSERT_TRUE(dataset.putAndInsertString(DCM_NumberOfFrames, std::to_string(g.frames).c_str()).good());
  ASSERT_TRUE(dataset.putAndInsertUint16(DCM_SamplesPerPixel, 1).good());
  ASSERT_TRUE(dataset.putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2").good());
  ASSERT_TRUE(dataset.putAndInsertUint16(DCM_BitsAllocated, 1).good());
  ASSERT_TRUE(dataset.putAndInsertUint16(DCM_BitsStored, 1).good());
  ASSERT_TRUE(dataset.putAndInsertUint16(DCM_HighBit, 0).good());
  ASSERT_TRUE(dataset.putAndInsertUint16(DCM_PixelRepresentation, 0).good());
  auto* sequence = new DcmPixelSequence(DCM_PixelSequenceTag);
  sequence->insert(new DcmPixelItem(DCM_PixelItemTag));  // empty basic offset table
  const auto frame_size = static_cast<std::size_t>(g.frame_bytes());
  for (std::uint32_t f = 0; f < g.frames; ++f) {
    Bytes codestream = one_bit_codestream(std::span(bits.bytes()).subspan(f * frame_size, frame_size), g.width,
                                          g.height);
    ASSERT_FALSE(codestream.empty());
    if (codestream.size() % 2 != 0) codestream.push_back(0);
    auto* item = new DcmPixelItem(DCM_PixelItemTag);
    ASSERT_TRUE(item->putUint8Array(codestream.data(), static_cast<Uint32>(codestream.size())).good());
    sequence->insert(item);
  }
  auto* pixel_data = new DcmPixelData(DCM_PixelData);
  pixel_data->putOriginalRepresentation(EXS_JPEG2000LosslessOnly, nullptr, sequence);
  ASSERT_TRUE(dataset.insert(pixel_data).good());
  ScratchDir scratch;
  const auto path = scratch / "segmentation_j2k.dcm";
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_JPEG2000LosslessOnly).good());

  auto loaded = read_image_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->image, bits);
  EXPECT_TRUE(has_note_containing(loaded->notes, "1-bit pixels decoded to one byte per sample"));

  const auto written = scratch / "segmentation.dcm";
  ASSERT_TRUE(write_image_file(written, loaded->image, FileFormat::kDicom, loaded->dicom_attributes));
  MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(written) + " " + quote(scratch / "written.raw"));
  EXPECT_TRUE(std::ranges::equal(parse_reference(run, scratch / "written.raw").words, bits.bytes()));
}

// PNG and TIFF hold 8- and 16-bit integer samples; other kinds are refused with one line rather than written
// as something else.
TEST(image_dicom_kinds_written, PngAndTiffRefuseOtherKinds) {
  for (const Geometry& g : {Geometry{.width = 4, .height = 4, .bits_allocated = 1, .bits_stored = 1},
                            Geometry{.width = 4, .height = 4, .bits_allocated = 32, .bits_stored = 32},
                            Geometry{.width = 4, .height = 4, .bits_allocated = 32, .bits_stored = 0}}) {
    for (FileFormat format : {FileFormat::kPng, FileFormat::kTiff}) {
      auto encoded = encode_image(random_image(g, 1), format);
      ASSERT_FALSE(encoded);
      EXPECT_EQ(encoded.error().code, ErrorCode::kUnsupported);
      EXPECT_NE(encoded.error().message.find("8- or 16-bit integer samples"), std::string::npos)
          << encoded.error().message;
    }
  }
}

// The address space a child process may add, for reading a file whose header claims gigabytes: far below
// what the claims would cost, far above what reading the real data needs.
constexpr std::uint64_t kChildHeadroom = 128ull << 20;

// Reads `path` in a child process whose address space may grow by at most kChildHeadroom, and returns the
// outcome as "ok" or "CODE: message". An allocation for the claimed size fails there (as "out of memory"), so
// a refusal that comes before any allocation is told apart from one that comes after it.
std::string read_with_capped_memory(const std::filesystem::path& path) {
  int pipe_ends[2];
  if (pipe(pipe_ends) != 0) return "pipe failed";
  const pid_t child = fork();
  if (child == 0) {
    close(pipe_ends[0]);
    long pages = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r"); statm != nullptr) {
      if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
      std::fclose(statm);
    }
    const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + kChildHeadroom;
    const rlimit limit{cap, cap};
    setrlimit(RLIMIT_AS, &limit);
    auto loaded = read_image_file(path);
    const std::string outcome =
        loaded ? "ok"
               : std::to_string(static_cast<int>(loaded.error().code)) + ": " + loaded.error().message;
    const ssize_t written = write(pipe_ends[1], outcome.data(), outcome.size());
    _exit(written == static_cast<ssize_t>(outcome.size()) ? 0 : 1);
  }
  close(pipe_ends[1]);
  std::string outcome;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_ends[0], buffer, sizeof buffer)) > 0;) outcome.append(buffer, n);
  close(pipe_ends[0]);
  int status = 0;
  waitpid(child, &status, 0);
  return outcome;
}

// A fuzzer's find (2026-12-07): 563 bytes of deflated data set whose Pixel Data declares 4215349511 bytes.
// An inflating stream cannot defer a value, so DCMTK allocates the declared length before reading it. The
// read must still end in one error, with the memory untouched, and also when that allocation fails.
TEST(image_dicom_errors, DeflatedElementDeclaringGigabytesEndsInOneError) {
  const std::filesystem::path file =
      std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "fuzz/corpus/dicom/deflated_declares_4gb_pixel_data.dcm";
  auto loaded = read_image_file(file);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidImage);
  EXPECT_NE(loaded.error().message.find("declares 4215349511 bytes"), std::string::npos) << loaded.error().message;
#if !defined(__SANITIZE_ADDRESS__)
  const std::string capped = read_with_capped_memory(file);
  EXPECT_EQ(capped.rfind("4: ", 0), 0u) << capped;
#endif
}

// Issue 25: a compressed file whose Rows and Columns were edited upward made medcrypt allocate gigabytes
// before it refused the file, or, for JPEG since frames coded smaller than the image are zero-filled, encrypt
// 4 GB of zeros from 151 KB. The claim is now checked first: against the codestream's own header (JPEG 2000,
// JPEG-LS) or against what the compressed bytes can expand to (RLE 64:1, lossless JPEG 16:1, with some zero
// fill for JPEG). Each read runs with its address space capped far below the claim.
TEST(image_dicom_errors, HeadersEditedUpwardAreRefusedBeforeAllocating) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "SKIPPED: the address space cap does not apply under AddressSanitizer";
#endif
  struct Case {
    const char* file;
    int size;
    ErrorCode code;
    std::string message;
  };
  const Case cases[] = {
      {"CT0012.fragmented_no_bot_jpeg_lossless.70.dcm", 32768, ErrorCode::kLimits,
       "DICOM header claims 4294967296 bytes of pixels, implausible for 147042 bytes of JPEG Lossless"},
      {"CT0012.fragmented_no_bot_jpeg_baseline.51.dcm", 20000, ErrorCode::kLimits, "implausible"},
      {"CT0012.not_fragmented_bot_rle.dcm", 28000, ErrorCode::kLimits, "implausible"},
      {"US1_J2KR.dcm", 30000, ErrorCode::kInvalidImage,
       "frame 1: JPEG 2000 codestream is 640x480, the DICOM header says 30000x30000"},
      {"MR_small_jpeg_ls_lossless.dcm", 12000, ErrorCode::kInvalidImage,
       "frame 1: JPEG-LS stream is 64x64, the DICOM header says 12000x12000"},
  };
  ScratchDir scratch;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const auto edited = scratch / c.file;
    const std::string size = std::to_string(c.size);
    auto run = run_command("cp " + quote(shared_data() / "dicom" / c.file) + " " + quote(edited) + " && chmod u+w " +
                           quote(edited) + " && dcmodify -nb -m '(0028,0010)=" + size + "' -m '(0028,0011)=" + size +
                           "' " + quote(edited));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const std::string outcome = read_with_capped_memory(edited);
    EXPECT_TRUE(outcome.starts_with(std::to_string(static_cast<int>(c.code)) + ": ")) << outcome;
    EXPECT_NE(outcome.find(c.message), std::string::npos) << outcome;
  }
  // The originals read within the same cap.
  for (const Case& c : cases) {
    EXPECT_EQ(read_with_capped_memory(shared_data() / "dicom" / c.file), "ok") << c.file;
  }
}

// Issue 25: attributes that come deflated (a crafted container) are inflated by the writer at most as far as
// the reader allows a file's attributes to inflate: the pixels' size plus 16 MiB. 40 MiB of zeros deflated to
// about 40 KB are refused; the same attributes uncompressed are written.
TEST(image_dicom_errors, DeflatedAttributesAreBoundedWhenWriting) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir scratch;
  {
    std::ofstream zeros(scratch / "zeros.bin", std::ios::binary);
    const std::vector<char> block(1 << 20, 0);
    for (int i = 0; i < 40; ++i) zeros.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  const auto padded = scratch / "padded.dcm";
  const auto deflated = scratch / "deflated.dcm";
  auto run = run_command("cp " + quote(shared_data() / "dicom/CT_small.dcm") + " " + quote(padded) +
                         " && chmod u+w " + quote(padded) + " && cd " + quote(scratch.path()) +
                         " && dcmodify -nb -ea '(7fe0,0010)' -if '(0042,0011)=zeros.bin' padded.dcm && dcmconv +td " +
                         quote(padded) + " " + quote(deflated));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const Bytes attributes = read_bytes(deflated);
  ASSERT_LT(attributes.size(), 200'000u);
  const Image image = random_image({.width = 128, .height = 128, .bits_allocated = 16, .bits_stored = 16}, 9);
  auto encoded = encode_image(image, FileFormat::kDicom, attributes);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, ErrorCode::kLimits);
  // 128x128 16-bit pixels: 32768 bytes, plus 16 MiB.
  EXPECT_NE(encoded.error().message.find("deflated DICOM data set inflates to more than 16809984 bytes"),
            std::string::npos)
      << encoded.error().message;
  EXPECT_FALSE(std::filesystem::exists(scratch / "out.dcm"));
  EXPECT_FALSE(write_image_file(scratch / "out.dcm", image, FileFormat::kDicom, attributes));
  EXPECT_FALSE(std::filesystem::exists(scratch / "out.dcm"));
  // A deflated data set within the bound is written, every attribute inflated.
  const auto small = scratch / "small.dcm";
  run = run_command("dcmconv +td " + quote(shared_data() / "dicom/CT_small.dcm") + " " + quote(small));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  auto written = encode_image(image, FileFormat::kDicom, read_bytes(small));
  ASSERT_TRUE(written) << written.error().message;
  auto again = read_image_bytes(*written);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->image, image);
}

}  // namespace
}  // namespace medcrypt::image::test
