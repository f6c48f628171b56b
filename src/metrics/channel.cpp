#include "metrics/channel.hpp"

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

}  // namespace

std::vector<Channel> split_channels(const image::Image& image) {
  const image::Geometry& g = image.geometry();
  std::vector<Channel> channels(g.samples);
  for (Channel& c : channels) {
    c.width = g.width;
    c.height = g.height;
    c.frames = g.frames;
    c.bits = g.bits_stored;
    c.values.resize(static_cast<std::size_t>(g.pixels_per_frame() * g.frames));
  }
  if (g.bits_allocated == 8) {
    deinterleave<std::uint8_t>(image.u8(), g, channels);
  } else {
    deinterleave<std::uint16_t>(image.u16(), g, channels);
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
