#include "nn/image_codec.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "metrics/channel.hpp"

namespace medcrypt::nn {
namespace {

constexpr std::uint32_t kTilesPerBatch = 1;  // measured fastest: larger batches allocate past malloc's mmap threshold

std::uint32_t tiles_along(std::uint32_t side) { return (side + kTileSide - 1) / kTileSide; }

// Where tile i starts along a side: every 224, the last one moved back to end on the edge.
std::uint32_t tile_origin(std::uint32_t i, std::uint32_t side) {
  if (side <= kTileSide) return 0;
  return std::min(i * kTileSide, side - kTileSide);
}

struct Tile {
  std::uint32_t x, y;
};

std::vector<Tile> frame_tiles(const image::Geometry& g) {
  std::vector<Tile> tiles;
  for (std::uint32_t ty = 0; ty < tiles_along(g.height); ++ty) {
    for (std::uint32_t tx = 0; tx < tiles_along(g.width); ++tx) {
      tiles.push_back({tile_origin(tx, g.width), tile_origin(ty, g.height)});
    }
  }
  return tiles;
}

}  // namespace

Status check_codec_geometry(const image::Geometry& g) {
  if (g.photometric == "PALETTE COLOR") {
    return make_error(ErrorCode::kUnsupported,
                      "ae-aes cannot encode palette indices (an approximate index is another colour); convert to RGB");
  }
  if (g.samples != 1 && g.samples != 3) return make_error(ErrorCode::kUnsupported, "ae-aes needs 1 or 3 samples per pixel");
  // The autoencoder sees values scaled from 8- or 16-bit integer words (it was trained on such images).
  if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("ae-aes encodes 8- or 16-bit integer samples, not {}-bit {}", g.bits_allocated,
                                  g.floating_point() ? "floating point" : "integers"));
  }
  return {};
}

std::uint64_t codec_tile_count(const image::Geometry& g) {
  return std::uint64_t{tiles_along(g.width)} * tiles_along(g.height) * g.frames;
}

std::uint64_t codec_latent_values(const image::Geometry& g, int latent_channels) {
  return codec_tile_count(g) * latent_values_per_tile(latent_channels);
}

std::vector<float> frame_to_unit(const image::Image& image, std::uint32_t frame) {
  const image::Geometry& g = image.geometry();
  const std::size_t pixels = g.pixels_per_frame();
  const float scale = 1.0f / static_cast<float>(g.max_value());
  std::vector<float> out(pixels * g.samples);
  const std::size_t base = frame * pixels * g.samples;
  for (std::size_t p = 0; p < pixels; ++p) {
    for (std::uint32_t c = 0; c < g.samples; ++c) {
      out[c * pixels + p] = metrics::sample_value(image.word(base + p * g.samples + c), g) * scale;
    }
  }
  return out;
}

Result<std::vector<float>> encode_image(const Autoencoder& model, const image::Image& image) {
  const image::Geometry& g = image.geometry();
  MEDCRYPT_TRY(check_codec_geometry(g));
  if (g.samples != model.channels()) {
    return make_error(ErrorCode::kInternal, "ae-aes: model channels do not match the image");
  }
  const std::vector<Tile> tiles = frame_tiles(g);
  const std::size_t tile_values = std::size_t{g.samples} * kTileSide * kTileSide;
  std::vector<float> latent;
  latent.reserve(codec_latent_values(g, model.latent_channels()));
  for (std::uint32_t f = 0; f < g.frames; ++f) {
    const std::vector<float> unit = frame_to_unit(image, f);
    for (std::size_t first = 0; first < tiles.size(); first += kTilesPerBatch) {
      const std::size_t n = std::min<std::size_t>(kTilesPerBatch, tiles.size() - first);
      std::vector<float> batch(n * tile_values);
      for (std::size_t t = 0; t < n; ++t) {
        const Tile& tile = tiles[first + t];
        for (std::uint32_t c = 0; c < g.samples; ++c) {
          for (std::uint32_t y = 0; y < kTileSide; ++y) {
            const std::uint32_t sy = std::min(tile.y + y, g.height - 1);  // edge repeat for short sides
            const float* row = unit.data() + (std::size_t{c} * g.height + sy) * g.width;
            float* dst = batch.data() + t * tile_values + (std::size_t{c} * kTileSide + y) * kTileSide;
            for (std::uint32_t x = 0; x < kTileSide; ++x) dst[x] = row[std::min(tile.x + x, g.width - 1)];
          }
        }
      }
      MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> z, model.encode(batch, int(n), kTileSide, kTileSide));
      latent.insert(latent.end(), z.begin(), z.end());
    }
  }
  return latent;
}

Result<image::Image> decode_image(const Autoencoder& model, std::span<const float> latent,
                                  const image::Geometry& g) {
  MEDCRYPT_TRY(check_codec_geometry(g));
  if (g.samples != model.channels()) return make_error(ErrorCode::kInternal, "ae-aes: model channels do not match the image");
  if (latent.size() != codec_latent_values(g, model.latent_channels())) return make_error(ErrorCode::kMalformed, "ae-aes: latent size does not match the geometry");
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image image, image::Image::create(g));
  const std::vector<Tile> tiles = frame_tiles(g);
  const std::size_t tile_values = std::size_t{g.samples} * kTileSide * kTileSide;
  const float max = static_cast<float>(g.max_value());
  const std::size_t pixels = g.pixels_per_frame();
  std::size_t at = 0;
  for (std::uint32_t f = 0; f < g.frames; ++f) {
    for (std::size_t first = 0; first < tiles.size(); first += kTilesPerBatch) {
      const std::size_t n = std::min<std::size_t>(kTilesPerBatch, tiles.size() - first);
      MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> out,
                                model.decode(latent.subspan(at, n * latent_values_per_tile(model.latent_channels())),
                                             int(n), kLatentSide, kLatentSide));
      at += n * latent_values_per_tile(model.latent_channels());
      // Later tiles overwrite the overlap of earlier ones; padding beyond a short side is dropped.
      for (std::size_t t = 0; t < n; ++t) {
        const Tile& tile = tiles[first + t];
        const std::uint32_t h = std::min(kTileSide, g.height - tile.y), w = std::min(kTileSide, g.width - tile.x);
        for (std::uint32_t c = 0; c < g.samples; ++c) {
          for (std::uint32_t y = 0; y < h; ++y) {
            const float* src = out.data() + t * tile_values + (std::size_t{c} * kTileSide + y) * kTileSide;
            const std::size_t row = f * pixels + std::size_t{tile.y + y} * g.width + tile.x;
            for (std::uint32_t x = 0; x < w; ++x) {
              const float v = std::clamp(src[x], 0.0f, 1.0f) * max;
              image.set_word((row + x) * g.samples + c, metrics::stored_word(static_cast<std::uint32_t>(std::lround(v)), g));
            }
          }
        }
      }
    }
  }
  return image;
}

}  // namespace medcrypt::nn
