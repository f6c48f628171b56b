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

// The kinds of sample an Image holds (docs/IMAGES.md, "Pixel kinds"):
// - integer words of 8, 16 or 32 bits (bits_allocated), of which bits_stored (1..bits_allocated) are
//   significant, signed (two's complement) or unsigned;
// - 1-bit samples (bits_allocated 1, bits_stored 1: DICOM's packed bits), one byte per sample in the Image
//   holding 0 or 1, so that every sample is addressable; the DICOM writer packs them again;
// - IEEE floating-point samples of 32 or 64 bits (DICOM Float and Double Float Pixel Data), marked by
//   bits_stored 0, as DICOM marks them by having no Bits Stored: one grey sample per pixel, is_signed false.
struct Geometry {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t frames = 1;
  std::uint8_t samples = 1;          // 1 (gray, palette indices) or 3 (colour, interleaved)
  std::uint8_t bits_allocated = 8;   // word size: 1, 8, 16 or 32 (integers), 32 or 64 (floating point)
  std::uint8_t bits_stored = 8;      // 1..bits_allocated significant bits; 0 for floating point
  bool is_signed = false;
  std::string photometric = "MONOCHROME2";  // DICOM Photometric Interpretation term

  bool floating_point() const { return bits_stored == 0; }
  // Bytes one sample takes in the Image: 1 for 1-bit samples (unpacked), else bits_allocated / 8.
  std::size_t bytes_per_sample() const { return bits_allocated == 1 ? 1u : bits_allocated / 8u; }
  std::uint64_t pixels_per_frame() const { return std::uint64_t{width} * height; }
  std::uint64_t sample_count() const { return pixels_per_frame() * frames * samples; }
  std::uint64_t byte_size() const { return sample_count() * bytes_per_sample(); }
  std::uint64_t frame_bytes() const { return pixels_per_frame() * samples * bytes_per_sample(); }
  // Largest value an integer sample can hold: 2^bits_stored - 1 (for metrics and quantisation); 0 for
  // floating point.
  std::uint32_t max_value() const {
    return bits_stored >= 32 ? 0xffffffffu : static_cast<std::uint32_t>((std::uint64_t{1} << bits_stored) - 1u);
  }

  // Checks every field and the limits above; the error says which field is wrong.
  Status validate() const;
  bool operator==(const Geometry&) const = default;
};

// Samples are interleaved (R,G,B,R,G,B,...), frame after frame; words of 16 bits and more are
// little-endian.
class Image {
 public:
  // Allocates zeroed pixels after validating the geometry.
  static Result<Image> create(Geometry geometry);
  // Takes ownership of pixel bytes whose size must match the geometry.
  static Result<Image> from_bytes(Geometry geometry, PixelBytes pixels);

  Image() = default;

  const Geometry& geometry() const { return geometry_; }
  std::span<std::uint8_t> bytes() { return pixels_; }
  std::span<const std::uint8_t> bytes() const { return pixels_; }

  // Typed views; the word size must match (1 or 8 -> u8, 16 -> u16, 32 -> u32).
  std::span<std::uint16_t> u16();
  std::span<const std::uint16_t> u16() const;
  std::span<std::uint32_t> u32();
  std::span<const std::uint32_t> u32() const;
  std::span<std::uint8_t> u8() { return pixels_; }
  std::span<const std::uint8_t> u8() const { return pixels_; }

  // Sample value as an unsigned word (raw bits of a 1-, 8-, 16- or 32-bit sample; a 32-bit float's bits).
  // 64-bit samples have no 32-bit word: read them through bytes().
  std::uint32_t word(std::size_t index) const {
    switch (geometry_.bytes_per_sample()) {
      case 1: return pixels_[index];
      case 2: return u16()[index];
      default: return u32()[index];
    }
  }
  void set_word(std::size_t index, std::uint32_t value) {
    switch (geometry_.bytes_per_sample()) {
      case 1: pixels_[index] = static_cast<std::uint8_t>(value); break;
      case 2: u16()[index] = static_cast<std::uint16_t>(value); break;
      default: u32()[index] = value; break;
    }
  }

  bool operator==(const Image&) const = default;

 private:
  Image(Geometry geometry, PixelBytes pixels) : geometry_(std::move(geometry)), pixels_(std::move(pixels)) {}
  Geometry geometry_;
  PixelBytes pixels_;
};

// Read-only pixels that someone else owns, laid out as an Image's, with their geometry: what the metrics
// read, so that a caller's buffer (a numpy array) is measured without first being copied into an Image.
// An Image converts to one implicitly, as std::string does to std::string_view; the pixels must outlive
// the view.
class ImageView {
 public:
  ImageView(const Image& image) : geometry_(image.geometry()), bytes_(image.bytes()) {}  // NOLINT: implicit by design
  // Checks the geometry and the byte count as Image::from_bytes does, and that the samples are aligned.
  static Result<ImageView> from_bytes(Geometry geometry, ByteView bytes);

  const Geometry& geometry() const { return geometry_; }
  ByteView bytes() const { return bytes_; }
  std::span<const std::uint8_t> u8() const { return bytes_; }
  std::span<const std::uint16_t> u16() const;
  std::span<const std::uint32_t> u32() const;

 private:
  ImageView(Geometry geometry, ByteView bytes) : geometry_(std::move(geometry)), bytes_(bytes) {}
  Geometry geometry_;
  ByteView bytes_;
};

}  // namespace medcrypt::image
