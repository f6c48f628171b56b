#include "metrics/channel.hpp"

#include <cstring>

namespace medcrypt::metrics {
namespace {

template <typename Word>
void deinterleave(std::span<const Word> words, const image::Geometry& geometry, std::vector<Channel>& out) {
  const std::size_t samples = geometry.samples;
  const std::size_t count = words.size() / samples;
  for (std::size_t c = 0; c < samples; ++c) {
    std::uint16_t* dst = out[c].values.data();
    for (std::size_t i = 0; i < count; ++i) dst[i] = sample_value(words[i * samples + c], geometry);
  }
}

// Samples wider than 16 bits: their 16 most significant bits, of the value for integers (offset binary where
// signed, as sample_value gives), of the bit pattern made order-preserving for IEEE floats (negative values
// have every bit flipped, positive ones the sign bit), so that a channel's values keep the samples' order.
void deinterleave_wide(const image::ImageView& image, std::vector<Channel>& out) {
  const image::Geometry& g = image.geometry();
  const std::size_t samples = g.samples;
  const std::size_t word = g.bytes_per_sample();
  const std::size_t count = image.bytes().size() / word / samples;
  for (std::size_t i = 0; i < count * samples; ++i) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, image.bytes().data() + i * word, word);  // little-endian words on a little-endian host
    std::uint64_t key = 0;
    int width = 0;
    if (g.floating_point()) {
      width = g.bits_allocated;
      const std::uint64_t sign = std::uint64_t{1} << (width - 1);
      const std::uint64_t all = width == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
      key = (bits & sign) != 0 ? ~bits & all : bits | sign;
    } else {
      width = g.bits_stored;
      const std::uint64_t sign_flip = g.is_signed ? std::uint64_t{1} << (width - 1) : 0;
      key = (bits & g.max_value()) ^ sign_flip;
    }
    out[i % samples].values[i / samples] = static_cast<std::uint16_t>(key >> (width - 16));
  }
}

}  // namespace

std::vector<Channel> split_channels(const image::ImageView& image) {
  const image::Geometry& g = image.geometry();
  const bool wide = g.floating_point() || g.bits_stored > 16;
  std::vector<Channel> channels(g.samples);
  for (Channel& c : channels) {
    c.width = g.width;
    c.height = g.height;
    c.frames = g.frames;
    c.bits = wide ? 16 : g.bits_stored;
    c.values.resize(static_cast<std::size_t>(g.pixels_per_frame() * g.frames));
  }
  if (wide) {
    deinterleave_wide(image, channels);
  } else if (g.bytes_per_sample() == 1) {
    deinterleave<std::uint8_t>(image.u8(), g, channels);
  } else if (g.bytes_per_sample() == 2) {
    deinterleave<std::uint16_t>(image.u16(), g, channels);
  } else {
    deinterleave<std::uint32_t>(image.u32(), g, channels);
  }
  return channels;
}

std::vector<std::string> channel_names(const image::Geometry& geometry) {
  if (geometry.samples == 1) return {"gray"};
  if (geometry.photometric == "RGB") return {"R", "G", "B"};
  if (geometry.photometric.rfind("YBR", 0) == 0) return {"Y", "Cb", "Cr"};
  std::vector<std::string> names;
  for (unsigned c = 0; c < geometry.samples; ++c) names.push_back(std::to_string(c));
  return names;
}

}  // namespace medcrypt::metrics
