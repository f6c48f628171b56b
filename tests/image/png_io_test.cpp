// PNG: every colour type and depth against arrays made independently (image_reference.py png-cases),
// 16-bit byte order, frames stacked vertically, and broken files.
#include <gtest/gtest.h>

#include <memory>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::ScratchDir;
using medcrypt::test::shared_data;

class image_png_cases : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    cases_ = std::make_unique<ScratchDir>();
    generated_ = run_reference_script("png-cases " + quote(cases_->path()));
  }
  static void TearDownTestSuite() { cases_.reset(); }

  static std::unique_ptr<ScratchDir> cases_;
  static ScriptRun generated_;
};

std::unique_ptr<ScratchDir> image_png_cases::cases_;
ScriptRun image_png_cases::generated_;

#define REQUIRE_GENERATED_CASES()                                                         \
  do {                                                                                    \
    if (generated_.exit_code == kSkipExit) GTEST_SKIP() << "SKIPPED: " << generated_.out; \
    ASSERT_EQ(generated_.exit_code, 0) << generated_.out;                                 \
  } while (0)

TEST_F(image_png_cases, EveryColourTypeAndDepthDecodesAsSpecified) {
  REQUIRE_GENERATED_CASES();
  int checked = 0;
  for (const auto& path : files_with_extension(cases_->path(), ".png")) {
    const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
    if (json.contains("error")) continue;
    SCOPED_TRACE(path.filename().string());
    auto loaded = read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    const Geometry& g = loaded->image.geometry();
    EXPECT_EQ(g.samples, json.at("samples").get<int>());
    EXPECT_EQ(g.bits_allocated, json.at("bits_allocated").get<int>());
    EXPECT_EQ(g.bits_stored, json.at("bits_stored").get<int>());
    EXPECT_EQ(g.photometric, g.samples == 3 ? "RGB" : "MONOCHROME2");
    EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(),
                                   read_bytes(std::filesystem::path(path).replace_extension(".raw"))));
    // Each conversion leaves a note; a file read as it is leaves none.
    const std::string note = json.at("note");
    if (note.empty()) {
      EXPECT_TRUE(loaded->notes.empty()) << loaded->notes.front();
    } else {
      EXPECT_TRUE(std::ranges::any_of(
          loaded->notes, [&](const std::string& n) { return n.find(note) != std::string::npos; }))
          << "no note mentions " << note;
    }
    // Written back, the converted image reads unchanged, Bits Stored included (sBIT).
    auto encoded = encode_image(loaded->image, FileFormat::kPng);
    ASSERT_TRUE(encoded) << encoded.error().message;
    auto again = read_image_bytes(*encoded);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->image, loaded->image);
    ++checked;
  }
  EXPECT_EQ(checked, 21);
}

TEST_F(image_png_cases, BrokenFilesAreInvalidImages) {
  REQUIRE_GENERATED_CASES();
  int checked = 0;
  const std::string printed = capture_stderr([&] {
    for (const auto& path : files_with_extension(cases_->path(), ".png")) {
      const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
      if (!json.contains("error")) continue;
      SCOPED_TRACE(path.filename().string());
      auto loaded = read_image_file(path);
      ASSERT_FALSE(loaded);
      EXPECT_EQ(loaded.error().code, error_code_from_name(json.at("error")));
      EXPECT_NE(loaded.error().message.find(json.at("contains").get<std::string>()), std::string::npos)
          << loaded.error().message;
      ++checked;
    }
  });
  EXPECT_EQ(printed, "");
  EXPECT_EQ(checked, 3);
}

// A prefix of a PNG never decodes: up to 7 bytes the signature is incomplete, after that it is malformed.
TEST_F(image_png_cases, EveryTruncationFails) {
  REQUIRE_GENERATED_CASES();
  for (const char* name : {"rgb16_interlaced.png", "palette4_trns.png", "grey1.png"}) {
    SCOPED_TRACE(name);
    const Bytes bytes = read_bytes(cases_->path() / name);
    const std::string printed = capture_stderr([&] {
      for (std::size_t length = 0; length < bytes.size(); ++length) {
        auto loaded = read_image_bytes(ByteView(bytes).first(length));
        ASSERT_FALSE(loaded) << length;
        const ErrorCode expected =
            length == 0 || length >= 8 ? ErrorCode::kInvalidImage : ErrorCode::kUnsupported;
        ASSERT_EQ(loaded.error().code, expected) << length << ": " << loaded.error().message;
      }
    });
    EXPECT_EQ(printed, "");
  }
}

TEST(image_png, SharedPngTruncatedAtSeveralLengthsFails) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const Bytes bytes = read_bytes(shared_data() / "png/FatMRISlice.png");
  for (std::size_t length : {8u, 16u, 33u, 40u, 100u, 1000u, 10000u, 30000u}) {
    auto loaded = read_image_bytes(ByteView(bytes).first(length));
    ASSERT_FALSE(loaded) << length;
    EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidImage) << loaded.error().message;
  }
  for (std::size_t cut = 1; cut <= 12; ++cut) {  // through the IEND chunk, one byte at a time
    auto loaded = read_image_bytes(ByteView(bytes).first(bytes.size() - cut));
    ASSERT_FALSE(loaded) << cut;
    EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidImage) << loaded.error().message;
  }
}

// Pillow reads what medcrypt writes: 16-bit samples go to disk big-endian as PNG requires.
TEST(image_png, SixteenBitWritesBigEndianSamples) {
  Image image = random_image({.width = 19, .height = 11, .bits_allocated = 16, .bits_stored = 16}, 1);
  image.set_word(0, 0x0102);
  ScratchDir scratch;
  ASSERT_TRUE(write_image_file(scratch / "grey16.png", image, FileFormat::kPng));
  MEDCRYPT_RUN_REFERENCE(run,
                         "decode " + quote(scratch / "grey16.png") + " " + quote(scratch / "reference.raw"));
  const ReferencePixels reference = parse_reference(run, scratch / "reference.raw");
  EXPECT_EQ(reference.shape, (std::vector<std::uint64_t>{1, 11, 19, 1}));
  EXPECT_TRUE(std::ranges::equal(reference.words, image.bytes()));
}

// Cipher images: frames become one tall PNG, frame 0 on top.
TEST(image_png, FramesAreStackedVertically) {
  for (std::uint8_t bits : {8, 16}) {
    const Image image = random_image({.width = 7,
                                      .height = 5,
                                      .frames = 3,
                                      .samples = 3,
                                      .bits_allocated = bits,
                                      .bits_stored = bits,
                                      .photometric = "RGB"},
                                     bits);
    auto encoded = encode_image(image, FileFormat::kPng);
    ASSERT_TRUE(encoded) << encoded.error().message;
    auto loaded = read_image_bytes(*encoded);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image.geometry().height, 15u);
    EXPECT_EQ(loaded->image.geometry().frames, 1u);
    EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(), image.bytes()));
  }
}

TEST(image_png, SignedAndPartialBitDepthWordsAreKeptAsStored) {
  const Image image =
      random_image({.width = 6, .height = 6, .bits_allocated = 16, .bits_stored = 12, .is_signed = true}, 5);
  auto encoded = encode_image(image, FileFormat::kPng);
  ASSERT_TRUE(encoded) << encoded.error().message;
  auto loaded = read_image_bytes(*encoded);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(), image.bytes()));
  EXPECT_EQ(loaded->image.geometry().bits_stored, 12);
  EXPECT_FALSE(loaded->image.geometry().is_signed) << "PNG has no signed samples";
}

// A damaged ancillary chunk (an sCAL with an invalid unit, before the pixels; a tEXt with a bad CRC after
// them) is skipped with a note, as PIL and ITK read such files; damage to a critical chunk is still refused.
TEST(image_png, DamagedAncillaryChunksAreSkippedCriticalOnesRefused) {
  ScratchDir dir;
  const std::string script = R"PY(
import sys, struct, zlib
import numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.integers(0, 256, (23, 37), dtype=np.uint8)
Image.fromarray(a).save(out + "/plain.png")
a.tofile(out + "/plain.raw")
data = open(out + "/plain.png", "rb").read()
def chunk(tag, body, crc=None):
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) if crc is None else crc)
ihdr_end = 8 + 25
iend = data.rindex(b"IEND") - 4
scal = chunk(b"sCAL", b"\x03" + b"1.0\x001.0")
text = chunk(b"tEXt", b"Comment\x00hello", crc=1)
open(out + "/ancillary.png", "wb").write(data[:ihdr_end] + scal + data[ihdr_end:iend] + text + data[iend:])
Image.open(out + "/ancillary.png").load()  # PIL reads it
bad = bytearray(data); bad[8 + 4 + 4 + 13] ^= 1  # IHDR's CRC
open(out + "/critical.png", "wb").write(bytes(bad))
)PY";
  ASSERT_TRUE(write_file_atomic(dir / "make.py", as_bytes(script)));
  auto made = medcrypt::test::run_command(medcrypt::test::system_python() + " " + quote(dir / "make.py") + " " + quote(dir.path()));
  ASSERT_EQ(made.exit_code, 0) << made.out;

  auto loaded = read_image_file(dir / "ancillary.png");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(), read_bytes(dir / "plain.raw")));
  ASSERT_EQ(loaded->notes.size(), 1u);
  EXPECT_NE(loaded->notes[0].find("2 libpng warning(s)"), std::string::npos) << loaded->notes[0];
  auto plain = read_image_file(dir / "plain.png");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->notes.empty());

  auto critical = read_image_file(dir / "critical.png");
  ASSERT_FALSE(critical);
  EXPECT_EQ(critical.error().code, ErrorCode::kInvalidImage);
  EXPECT_NE(critical.error().message.find("IHDR"), std::string::npos) << critical.error().message;
}

}  // namespace
}  // namespace medcrypt::image::test
