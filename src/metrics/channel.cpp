#include "metrics/channel.hpp"

#include <cstring>

namespace medcrypt::metrics {
namespace {

// sample_value with the geometry's mask and sign flip held in locals: the stores to uint16_t could alias
// the geometry's fields, which would keep the compiler from vectorising the loop.
template <typename Word>
void deinterleave(std::span<const Word> words, const image::Geometry& geometry, std::vector<Channel>& out) {
  const std::size_t samples = geometry.samples;
  const std::size_t count = words.size() / samples;
  const auto mask = static_cast<Word>(geometry.max_value());
  const auto flip = static_cast<Word>(geometry.is_signed ? 1u << (geometry.bits_stored - 1) : 0u);
  const Word* __restrict src = words.data();
  auto value = [mask, flip](Word w) { return static_cast<std::uint16_t>((w & mask) ^ flip); };
  if (samples == 1) {
    std::uint16_t* __restrict dst = out[0].owned.data();
    for (std::size_t i = 0; i < count; ++i) dst[i] = value(src[i]);
  } else {  // 3 samples, the only other count Geometry::validate allows: one pass over the words
    std::uint16_t *__restrict d0 = out[0].owned.data(), *__restrict d1 = out[1].owned.data(),
                              *__restrict d2 = out[2].owned.data();
    for (std::size_t i = 0; i < count; ++i) {
      d0[i] = value(src[3 * i]);
      d1[i] = value(src[3 * i + 1]);
      d2[i] = value(src[3 * i + 2]);
    }
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
    out[i % samples].owned[i / samples] = static_cast<std::uint16_t>(key >> (width - 16));
  }
}

// True where the words are the values: one unsigned 16-bit sample with no bit above bits stored (one pass
// that only reads, far cheaper than a copy to fresh memory).
bool words_are_values(const image::ImageView& image) {
  const image::Geometry& g = image.geometry();
  if (g.samples != 1 || g.bytes_per_sample() != 2 || g.is_signed || g.floating_point()) return false;
  if (g.bits_stored == 16) return true;
  const std::span<const std::uint16_t> words = image.u16();
  std::uint16_t any = 0;
  for (const std::uint16_t w : words) any |= w;
  return (any & ~g.max_value()) == 0;
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
  }
  if (words_are_values(image)) {
    channels[0].borrowed = image.u16().data();
    return channels;
  }
  for (Channel& c : channels) c.owned.resize(static_cast<std::size_t>(g.pixels_per_frame() * g.frames));
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
