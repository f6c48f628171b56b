// Image: the pixels medcrypt encrypts, exactly as stored once decompressed, plus their geometry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace medcrypt::image {

// Upper bounds that keep a hostile header from making medcrypt allocate absurd amounts of memory.
inline constexpr std::uint32_t kMaxDimension = 65535;           // DICOM Rows/Columns are 16-bit
inline constexpr std::uint32_t kMaxFrames = 1u << 20;
inline constexpr std::uint64_t kMaxPixelBytes = 64ull << 30;    // 64 GiB of samples

struct Geometry {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t frames = 1;
  std::uint8_t samples = 1;          // 1 (gray, palette indices) or 3 (colour, interleaved)
  std::uint8_t bits_allocated = 8;   // word size: 8 or 16
  std::uint8_t bits_stored = 8;      // 1..bits_allocated significant bits
  bool is_signed = false;
  std::string photometric = "MONOCHROME2";  // DICOM Photometric Interpretation term

  std::size_t bytes_per_sample() const { return bits_allocated / 8u; }
  std::uint64_t pixels_per_frame() const { return std::uint64_t{width} * height; }
  std::uint64_t sample_count() const { return pixels_per_frame() * frames * samples; }
  std::uint64_t byte_size() const { return sample_count() * bytes_per_sample(); }
  std::uint64_t frame_bytes() const { return pixels_per_frame() * samples * bytes_per_sample(); }
  // Largest value a sample can hold: 2^bits_stored - 1 (for metrics and quantisation).
  std::uint32_t max_value() const { return (1u << bits_stored) - 1u; }

  // Checks every field and the limits above; the error says which field is wrong.
  Status validate() const;
  bool operator==(const Geometry&) const = default;
};

// Samples are interleaved (R,G,B,R,G,B,...), frame after frame; 16-bit words are little-endian.
class Image {
 public:
  // Allocates zeroed pixels after validating the geometry.
  static Result<Image> create(Geometry geometry);
  // Takes ownership of pixel bytes whose size must match the geometry.
  static Result<Image> from_bytes(Geometry geometry, PixelBytes pixels);

  Image() = default;

  const Geometry& geometry() const { return geometry_; }
  Geometry& mutable_geometry() { return geometry_; }
  std::span<std::uint8_t> bytes() { return pixels_; }
  std::span<const std::uint8_t> bytes() const { return pixels_; }

  // Typed views; bits_allocated must match (8 -> u8, 16 -> u16).
  std::span<std::uint16_t> u16();
  std::span<const std::uint16_t> u16() const;
  std::span<std::uint8_t> u8() { return pixels_; }
  std::span<const std::uint8_t> u8() const { return pixels_; }

  // Sample value as an unsigned word (raw bits; 8- or 16-bit).
  std::uint32_t word(std::size_t index) const {
    return geometry_.bits_allocated == 8 ? pixels_[index] : u16()[index];
  }
  void set_word(std::size_t index, std::uint32_t value) {
    if (geometry_.bits_allocated == 8) {
      pixels_[index] = static_cast<std::uint8_t>(value);
    } else {
      u16()[index] = static_cast<std::uint16_t>(value);
    }
  }

  bool operator==(const Image&) const = default;

 private:
  Image(Geometry geometry, PixelBytes pixels) : geometry_(std::move(geometry)), pixels_(std::move(pixels)) {}
  Geometry geometry_;
  PixelBytes pixels_;
};

}  // namespace medcrypt::image
