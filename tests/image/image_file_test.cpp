// Format detection, dispatch, error codes for inputs that are no image at all, and atomic output.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::ScratchDir;

Bytes random_bytes(std::mt19937& rng, std::size_t size) {
  Bytes bytes(size);
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
  return bytes;
}

// copy_pixels copies every byte, also of an empty view and of several MiB, and leaves its source alone.
TEST(image_file, CopyPixelsCopiesEveryByte) {
  std::mt19937 rng(3);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4097}, std::size_t{5} << 20}) {
    const Bytes source = random_bytes(rng, size);
    const PixelBytes copy = copy_pixels(source);
    ASSERT_EQ(copy.size(), size);
    EXPECT_TRUE(std::equal(copy.begin(), copy.end(), source.begin())) << size;
    if (size > 0) {
      EXPECT_NE(static_cast<const void*>(copy.data()), static_cast<const void*>(source.data()));
    }
  }
}

TEST(image_file, FormatNamesRoundTrip) {
  for (auto format : {FileFormat::kDicom, FileFormat::kPng, FileFormat::kJpeg, FileFormat::kTiff}) {
    auto parsed = parse_format_name(format_name(format));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, format);
  }
  EXPECT_EQ(*parse_format_name("dcm"), FileFormat::kDicom);
  EXPECT_EQ(*parse_format_name("tif"), FileFormat::kTiff);
  auto unknown = parse_format_name("bmp");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kUsage);
}

TEST(image_file, EmptyInputIsAnInvalidImage) {
  auto from_bytes = read_image_bytes({});
  ASSERT_FALSE(from_bytes);
  EXPECT_EQ(from_bytes.error().code, ErrorCode::kInvalidImage);

  ScratchDir scratch;
  ASSERT_TRUE(write_file_atomic(scratch / "empty.dcm", {}));
  auto from_file = read_image_file(scratch / "empty.dcm");
  ASSERT_FALSE(from_file);
  EXPECT_EQ(from_file.error().code, ErrorCode::kInvalidImage);
  EXPECT_NE(from_file.error().message.find("empty.dcm"), std::string::npos) << "names the file";
}

TEST(image_file, MissingFileIsAnIoError) {
  ScratchDir scratch;
  auto loaded = read_image_file(scratch / "absent.png");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kIo);
}

TEST(image_file, RandomBytesAreAnUnknownFormat) {
  std::mt19937 rng(1);
  for (std::size_t size : {1u, 2u, 3u, 7u, 131u, 132u, 500u, 4096u}) {
    for (int round = 0; round < 20; ++round) {
      Bytes bytes = random_bytes(rng, size);
      bytes[0] = 0x42;  // no signature starts with 'B'
      if (bytes.size() > 128) bytes[128] = 'X';
      auto loaded = read_image_bytes(bytes);
      ASSERT_FALSE(loaded);
      EXPECT_EQ(loaded.error().code, ErrorCode::kUnsupported) << loaded.error().message;
    }
  }
}

// A signature followed by noise reaches each reader; each must refuse it as malformed, quietly.
TEST(image_file, RandomBytesAfterASignatureAreInvalid) {
  std::mt19937 rng(2);
  const std::vector<std::pair<std::size_t, std::string>> signatures = {{128, "DICM"},
                                                                       {0, "\x89PNG\r\n\x1a\n"},
                                                                       {0, "\xff\xd8\xff"},
                                                                       {0, std::string("II*\0", 4)},
                                                                       {0, std::string("MM\0*", 4)}};
  const std::string printed = capture_stderr([&] {
    for (const auto& [offset, signature] : signatures) {
      for (std::size_t size : {140u, 300u, 1000u, 5000u}) {
        for (int round = 0; round < 25; ++round) {
          Bytes bytes = random_bytes(rng, size);
          std::copy(signature.begin(), signature.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
          auto loaded = read_image_bytes(bytes);
          ASSERT_FALSE(loaded) << "random data after " << signature << " decoded";
          EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidImage) << loaded.error().message;
          EXPECT_EQ(loaded.error().message.find('\n'), std::string::npos) << "one line";
        }
      }
    }
  });
  EXPECT_EQ(printed, "") << "codec libraries must not print";
}

TEST(image_file, FormatComesFromTheContentNotTheName) {
  ScratchDir scratch;
  const Image image = random_image({.width = 5, .height = 4, .photometric = "MONOCHROME2"}, 3);
  ASSERT_TRUE(write_image_file(scratch / "looks_like.dcm", image, FileFormat::kPng));
  auto loaded = read_image_file(scratch / "looks_like.dcm");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->format, FileFormat::kPng);
  EXPECT_EQ(loaded->image, image);
}

TEST(image_file, JpegOutputIsRefused) {
  const Image image = random_image({.width = 5, .height = 4}, 4);
  auto encoded = encode_image(image, FileFormat::kJpeg);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, ErrorCode::kUnsupported);
}

TEST(image_file, PixelsThatDoNotMatchTheGeometryAreRefused) {
  // An Image cannot hold pixels of another size than its geometry says: from_bytes is the only way in.
  const Image image = random_image({.width = 5, .height = 4}, 5);
  Geometry wider = image.geometry();
  wider.width = 6;
  auto mismatched = Image::from_bytes(wider, PixelBytes(image.bytes().begin(), image.bytes().end()));
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code, ErrorCode::kInvalidImage);
}

TEST(image_file, AViewOnOutsideBytesIsCheckedAsAnImageIs) {
  const Image image = random_image({.width = 5, .height = 4, .bits_allocated = 16, .bits_stored = 12}, 7);
  const Bytes outside(image.bytes().begin(), image.bytes().end());
  auto view = ImageView::from_bytes(image.geometry(), outside);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->bytes().data(), outside.data()) << "a view reads the bytes in place";
  EXPECT_EQ(view->geometry(), image.geometry());
  EXPECT_TRUE(std::ranges::equal(view->u16(), image.u16()));
  const ImageView of_image = image;
  EXPECT_EQ(of_image.bytes().data(), image.bytes().data());

  Geometry wider = image.geometry();
  wider.width = 6;
  auto mismatched = ImageView::from_bytes(wider, outside);
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code, ErrorCode::kInvalidImage);
  Geometry empty = image.geometry();
  empty.height = 0;
  EXPECT_EQ(ImageView::from_bytes(empty, {}).error().code, ErrorCode::kLimits);
  // u16() reads 16-bit words in place: they must start at an even address.
  Bytes shifted(outside.size() + 1);
  auto misaligned = ImageView::from_bytes(image.geometry(), ByteView(shifted).subspan(1));
  ASSERT_FALSE(misaligned);
  EXPECT_EQ(misaligned.error().code, ErrorCode::kInternal);
}

TEST(image_file, OutputAppearsAtomically) {
  ScratchDir scratch;
  const Image image = random_image({.width = 8, .height = 8, .samples = 3, .photometric = "RGB"}, 6);
  ASSERT_TRUE(write_image_file(scratch / "out.png", image, FileFormat::kPng));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(scratch.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"out.png"}) << "no temporary file is left behind";

  auto failed = write_image_file(scratch / "missing_dir" / "out.png", image, FileFormat::kPng);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kIo);
  EXPECT_FALSE(std::filesystem::exists(scratch / "missing_dir"));
}

}  // namespace
}  // namespace medcrypt::image::test
