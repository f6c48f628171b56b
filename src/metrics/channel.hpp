// The values every metric sees: one channel of an image as unsigned integers in [0, 2^bits - 1].
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image/image.hpp"

namespace medcrypt::metrics {

struct Channel {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t frames = 1;
  std::uint8_t bits = 8;                    // bits stored: values lie in [0, 2^bits - 1]
  std::vector<std::uint16_t> owned;         // the values, where they had to be computed from the words
  const std::uint16_t* borrowed = nullptr;  // else the image's own words, which already are the values

  std::uint32_t max_value() const { return (1u << bits) - 1u; }
  std::size_t frame_size() const { return std::size_t{width} * height; }
  // Frame after frame, row after row.
  std::span<const std::uint16_t> values() const {
    return {borrowed != nullptr ? borrowed : owned.data(), frame_size() * frames};
  }
  const std::uint16_t* row(std::uint32_t frame, std::uint32_t y) const {
    return values().data() + frame * frame_size() + std::size_t{y} * width;
  }
};

// The value a stored word stands for: its low `bits stored` bits (DICOM ignores the bits above), and for
// signed samples the two's complement value plus 2^(bits - 1) (offset binary), so that values keep their
// order and lie in [0, 2^bits - 1] like unsigned ones.
inline std::uint16_t sample_value(std::uint32_t word, const image::Geometry& geometry) {
  const std::uint32_t sign_flip = geometry.is_signed ? 1u << (geometry.bits_stored - 1) : 0u;
  return static_cast<std::uint16_t>((word & geometry.max_value()) ^ sign_flip);
}

// The inverse: the stored word for a value in [0, 2^bits - 1], signed words sign-extended to bits
// allocated, as DICOM readers expect.
inline std::uint32_t stored_word(std::uint32_t value, const image::Geometry& geometry) {
  if (!geometry.is_signed) return value;
  const std::uint32_t sign_bit = 1u << (geometry.bits_stored - 1);
  std::uint32_t word = value ^ sign_bit;
  const std::uint32_t word_mask = (1u << geometry.bits_allocated) - 1u;
  if (word & sign_bit) word |= ~geometry.max_value() & word_mask;
  return word;
}

// One channel per sample (1 for grey and palette indices, 3 for colour), every frame included. Metrics see
// at most 16 bits a sample: samples with more bits stored (32-bit words) and floating point samples are
// measured on their 16 most significant bits, floats through their order-preserving bit pattern (docs/ANALYSIS.md).
// A grey image of 16-bit unsigned words with no bit set above bits stored is not copied: its channel
// borrows the words, and must not outlive the image.
std::vector<Channel> split_channels(const image::ImageView& image);

// What to call each channel in reports: "gray" for one sample; "R", "G", "B" for RGB; "Y", "Cb", "Cr"
// for YBR; "0", "1", "2" otherwise.
std::vector<std::string> channel_names(const image::Geometry& geometry);

}  // namespace medcrypt::metrics
