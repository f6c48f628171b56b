// JPEG: Pillow-written files against Pillow's decode (both use libjpeg-turbo), CMYK, broken files.
#include <gtest/gtest.h>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::ScratchDir;
using medcrypt::test::shared_data;

TEST(image_jpeg, PillowFilesMatchPillowDecoding) {
  ScratchDir scratch;
  MEDCRYPT_RUN_REFERENCE(generated, "jpeg-cases " + quote(scratch.path()));
  for (const char* name : {"grey.jpg", "rgb_420.jpg", "rgb_444.jpg", "rgb_progressive.jpg"}) {
    SCOPED_TRACE(name);
    auto loaded = read_image_file(scratch / name);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->format, FileFormat::kJpeg);
    const Geometry& g = loaded->image.geometry();
    EXPECT_EQ(g.photometric, g.samples == 3 ? "RGB" : "MONOCHROME2");
    MEDCRYPT_RUN_REFERENCE(run, "decode " + quote(scratch / name) + " " + quote(scratch / "reference.raw"));
    const ReferencePixels reference = parse_reference(run, scratch / "reference.raw");
    EXPECT_EQ(reference.shape, (std::vector<std::uint64_t>{1, g.height, g.width, g.samples}));
    EXPECT_TRUE(std::ranges::equal(reference.words, loaded->image.bytes()));
  }
  auto cmyk = read_image_file(scratch / "cmyk.jpg");
  ASSERT_FALSE(cmyk);
  EXPECT_EQ(cmyk.error().code, ErrorCode::kUnsupported);
}

// Cut anywhere, a JPEG is an error, never a silently grey-filled image.
TEST(image_jpeg, TruncatedFilesFail) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  for (const char* name : {"retina.jpg", "dermoscopy/ISIC_0001769.jpg"}) {
    SCOPED_TRACE(name);
    const Bytes bytes = read_bytes(shared_data() / "png" / name);
    const std::string printed = capture_stderr([&] {
      for (std::size_t length = 3; length < bytes.size() - 2; length += bytes.size() / 97) {
        auto loaded = read_image_bytes(ByteView(bytes).first(length));
        ASSERT_FALSE(loaded) << length;
        EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidImage) << loaded.error().message;
        EXPECT_NE(loaded.error().message.find("JPEG"), std::string::npos);
      }
    });
    EXPECT_EQ(printed, "") << "libjpeg's messages go into the Error, not to stderr";
  }
}

}  // namespace
}  // namespace medcrypt::image::test
