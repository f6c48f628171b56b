// TIFF: Pillow-written files against Pillow's decode; layouts Pillow cannot write (separate planes, tiles,
// extra samples) written here with libtiff; round trips; broken files.
#include <gtest/gtest.h>
#include <tiffio.h>

#include <memory>

#include "image_test_util.hpp"

namespace medcrypt::image::test {
namespace {

using medcrypt::test::ScratchDir;

struct Layout {
  std::uint16_t samples_per_pixel;  // 3 = RGB, 4 = RGB plus an alpha sample
  std::uint16_t bits;
  bool separate_planes;
  std::uint32_t tile_size;  // 0: strips of 3 rows
};

// Writes `pixels` (interleaved, samples_per_pixel per pixel) as a single-page RGB TIFF with `layout`.
void write_tiff(const std::filesystem::path& path, std::uint32_t width, std::uint32_t height,
                const Layout& layout, const Bytes& pixels) {
  std::unique_ptr<TIFF, void (*)(TIFF*)> tif(TIFFOpen(path.c_str(), "w"), TIFFClose);
  ASSERT_TRUE(tif);
  TIFF* t = tif.get();
  const std::size_t word = layout.bits / 8;
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, width);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, height);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, int{layout.samples_per_pixel});
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, int{layout.bits});
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, layout.separate_planes ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
  if (layout.samples_per_pixel == 4) {
    const std::uint16_t extra[] = {EXTRASAMPLE_UNASSALPHA};
    TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, extra);
  }
  const std::size_t planes = layout.separate_planes ? layout.samples_per_pixel : 1;
  const std::size_t per_plane = layout.separate_planes ? 1 : layout.samples_per_pixel;
  // The sample at (x, y) of plane p, position s within the pixel.
  auto sample = [&](std::uint32_t x, std::uint32_t y, std::size_t p, std::size_t s) {
    const std::size_t channel = layout.separate_planes ? p : s;
    return pixels.data() + ((std::size_t{y} * width + x) * layout.samples_per_pixel + channel) * word;
  };
  if (layout.tile_size == 0) {
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 3);
    Bytes row(width * per_plane * word);
    for (std::size_t p = 0; p < planes; ++p) {
      for (std::uint32_t y = 0; y < height; ++y) {
        for (std::uint32_t x = 0; x < width; ++x) {
          for (std::size_t s = 0; s < per_plane; ++s) {
            std::memcpy(row.data() + (x * per_plane + s) * word, sample(x, y, p, s), word);
          }
        }
        ASSERT_GE(TIFFWriteScanline(t, row.data(), y, static_cast<std::uint16_t>(p)), 0);
      }
    }
  } else {
    const std::uint32_t tile = layout.tile_size;
    TIFFSetField(t, TIFFTAG_TILEWIDTH, tile);
    TIFFSetField(t, TIFFTAG_TILELENGTH, tile);
    Bytes buffer(std::size_t{tile} * tile * per_plane * word);
    for (std::size_t p = 0; p < planes; ++p) {
      for (std::uint32_t ty = 0; ty < height; ty += tile) {
        for (std::uint32_t tx = 0; tx < width; tx += tile) {
          std::fill(buffer.begin(), buffer.end(), 0xee);  // padding outside the image
          for (std::uint32_t y = ty; y < std::min(height, ty + tile); ++y) {
            for (std::uint32_t x = tx; x < std::min(width, tx + tile); ++x) {
              for (std::size_t s = 0; s < per_plane; ++s) {
                std::memcpy(buffer.data() + (((y - ty) * tile + (x - tx)) * per_plane + s) * word,
                            sample(x, y, p, s), word);
              }
            }
          }
          ASSERT_GE(TIFFWriteTile(t, buffer.data(), tx, ty, 0, static_cast<std::uint16_t>(p)), 0);
        }
      }
    }
  }
}

TEST(image_tiff, PillowFilesMatchPillowDecoding) {
  ScratchDir scratch;
  MEDCRYPT_RUN_REFERENCE(generated, "tiff-cases " + quote(scratch.path()));
  int checked = 0;
  for (const auto& path : files_with_extension(scratch.path(), ".tif")) {
    SCOPED_TRACE(path.filename().string());
    const auto json = read_json(std::filesystem::path(path).replace_extension(".json"));
    auto loaded = read_image_file(path);
    if (json.contains("error")) {
      ASSERT_FALSE(loaded);
      EXPECT_EQ(loaded.error().code, error_code_from_name(json.at("error")));
      EXPECT_NE(loaded.error().message.find(json.at("contains").get<std::string>()), std::string::npos)
          << loaded.error().message;
    } else {
      ASSERT_TRUE(loaded) << loaded.error().message;
      EXPECT_EQ(loaded->image.geometry().frames, json.at("frames").get<std::uint32_t>());
      EXPECT_EQ(loaded->image.geometry().samples, json.at("samples").get<int>());
      EXPECT_TRUE(std::ranges::equal(loaded->image.bytes(),
                                     read_bytes(std::filesystem::path(path).replace_extension(".raw"))));
    }
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

TEST(image_tiff, SeparatePlanesTilesAndExtraSamples) {
  ScratchDir scratch;
  const std::uint32_t width = 37;
  const std::uint32_t height = 21;
  const std::vector<Layout> layouts = {
      {3, 8, true, 0},  {3, 16, true, 0}, {3, 8, false, 16}, {3, 16, true, 16},
      {4, 8, false, 0}, {4, 16, true, 0}, {4, 8, true, 32},  {4, 16, false, 16},
  };
  for (const auto& layout : layouts) {
    SCOPED_TRACE(testing::Message() << layout.samples_per_pixel << " samples, " << layout.bits << " bits, "
                                    << (layout.separate_planes ? "separate" : "contiguous") << ", tile "
                                    << layout.tile_size);
    const Image source = random_image({.width = width,
                                       .height = height,
                                       .samples = 3,
                                       .bits_allocated = static_cast<std::uint8_t>(layout.bits),
                                       .bits_stored = static_cast<std::uint8_t>(layout.bits),
                                       .photometric = "RGB"},
                                      layout.bits + layout.samples_per_pixel);
    // With an alpha sample, each pixel on disk carries a fourth word that the reader drops.
    Bytes on_disk;
    const std::size_t word = layout.bits / 8;
    for (std::size_t i = 0; i < source.geometry().pixels_per_frame(); ++i) {
      const auto* pixel = source.bytes().data() + i * 3 * word;
      on_disk.insert(on_disk.end(), pixel, pixel + 3 * word);
      if (layout.samples_per_pixel == 4) on_disk.insert(on_disk.end(), word, 0x7f);
    }
    const auto path = scratch / "layout.tif";
    write_tiff(path, width, height, layout, on_disk);
    auto loaded = read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image, source);
    EXPECT_EQ(loaded->notes.empty(), layout.samples_per_pixel == 3);
  }
}

TEST(image_tiff, RoundTripKeepsSamplesSignednessAndPages) {
  const std::vector<Geometry> geometries = {
      {.width = 13, .height = 7},
      {.width = 13, .height = 7, .frames = 4, .bits_allocated = 16, .bits_stored = 16, .is_signed = true},
      {.width = 5, .height = 9, .frames = 2, .samples = 3, .photometric = "RGB"},
      {.width = 5, .height = 9, .samples = 3, .bits_allocated = 16, .bits_stored = 16, .photometric = "RGB"},
      {.width = 8, .height = 3, .photometric = "MONOCHROME1"},
  };
  std::uint32_t seed = 20;
  for (const auto& geometry : geometries) {
    const Image image = random_image(geometry, seed++);
    auto encoded = encode_image(image, FileFormat::kTiff);
    ASSERT_TRUE(encoded) << encoded.error().message;
    auto loaded = read_image_bytes(*encoded);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->image, image);
  }
}

TEST(image_tiff, EveryTruncationFails) {
  const Image image =
      random_image({.width = 9, .height = 6, .frames = 2, .samples = 3, .photometric = "RGB"}, 9);
  auto encoded = encode_image(image, FileFormat::kTiff);
  ASSERT_TRUE(encoded) << encoded.error().message;
  const Bytes& bytes = *encoded;
  const std::string printed = capture_stderr([&] {
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      auto loaded = read_image_bytes(ByteView(bytes).first(length));
      if (loaded) {
        // Cut after the first page's pixels and directory: a valid one-page TIFF.
        ASSERT_EQ(loaded->image.geometry().frames, 1u) << length;
        ASSERT_TRUE(
            std::ranges::equal(loaded->image.bytes(), image.bytes().first(loaded->image.bytes().size())));
        continue;
      }
      const ErrorCode expected =
          length == 0 || length >= 4 ? ErrorCode::kInvalidImage : ErrorCode::kUnsupported;
      ASSERT_EQ(loaded.error().code, expected) << length << ": " << loaded.error().message;
    }
  });
  EXPECT_EQ(printed, "") << "libtiff's handlers must not print";
}

}  // namespace
}  // namespace medcrypt::image::test
