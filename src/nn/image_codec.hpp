// How ae-aes puts an image of any geometry through the 224x224 autoencoder, and back.
//
// Each frame is cut into ceil(W/224) x ceil(H/224) tiles of 224x224. Tiles start every 224 pixels; the
// last tile of a row or column is moved back to end on the image's edge (it overlaps its neighbour), so
// every tile holds real pixels and no resampling is done. A side under 224 is padded by repeating its edge
// pixels. Samples go in as value / (2^bits stored - 1) (signed samples offset to [0, 2^bits - 1] first)
// and come back rounded and clamped to the same scale, so geometry, bits and signedness are restored
// exactly; the values are approximations (the scheme is lossy). Latents are stored frame by frame, tile
// by tile (row-major), each 3 x 112 x 112 values (32 x 112 x 112 for the paper's feature-map latent).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"
#include "nn/autoencoder.hpp"

namespace medcrypt::nn {

inline constexpr std::uint32_t kTileSide = 224;
inline constexpr std::uint32_t kLatentSide = kTileSide / 2;
// Latent values per tile for a model whose latent has `latent_channels` channels (3, or 32).
inline std::uint64_t latent_values_per_tile(int latent_channels) {
  return std::uint64_t(latent_channels) * kLatentSide * kLatentSide;
}

// Grey (1 sample) or colour (3 samples) images; palette indices are refused (an approximation of an index
// is a different colour).
Status check_codec_geometry(const image::Geometry& geometry);
std::uint64_t codec_tile_count(const image::Geometry& geometry);  // every frame's tiles
std::uint64_t codec_latent_values(const image::Geometry& geometry, int latent_channels = kLatentChannels);

Result<std::vector<float>> encode_image(const Autoencoder& model, const image::Image& image);
Result<image::Image> decode_image(const Autoencoder& model, std::span<const float> latent,
                                  const image::Geometry& geometry);

// One frame's samples as value / max in [0, 1], planar (channel after channel). Also used for training.
std::vector<float> frame_to_unit(const image::Image& image, std::uint32_t frame);

}  // namespace medcrypt::nn
