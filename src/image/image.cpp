#include "image/image.hpp"

#include <fmt/format.h>

namespace medcrypt::image {
namespace {

// What Image::from_bytes and ImageView::from_bytes both require of the pixels they are given.
Status check_pixels(const Geometry& geometry, std::size_t byte_count) {
  MEDCRYPT_TRY(geometry.validate());
  if (byte_count != geometry.byte_size()) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("pixel data is {} bytes, geometry needs {}",
                                                            byte_count, geometry.byte_size()));
  }
  return {};
}

// Pixel bytes as the words of their samples (little-endian words on a little-endian host).
template <typename Word, typename Byte>
std::span<Word> as_words(std::span<Byte> bytes) {
  return {reinterpret_cast<Word*>(bytes.data()), bytes.size() / sizeof(Word)};
}

}  // namespace

Status Geometry::validate() const {
  auto limits = [](std::string msg) { return make_error(ErrorCode::kLimits, std::move(msg)); };
  if (width == 0 || height == 0 || frames == 0) {
    return limits(fmt::format("empty image geometry {}x{}x{}", width, height, frames));
  }
  if (width > kMaxDimension || height > kMaxDimension) {
    return limits(fmt::format("image {}x{} exceeds the maximum dimension {}", width, height, kMaxDimension));
  }
  if (frames > kMaxFrames) return limits(fmt::format("{} frames exceeds the maximum {}", frames, kMaxFrames));
  if (samples != 1 && samples != 3) {
    return make_error(ErrorCode::kUnsupported, fmt::format("{} samples per pixel (expected 1 or 3)", samples));
  }
  if (floating_point()) {
    if (bits_allocated != 32 && bits_allocated != 64) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("{}-bit floating point samples (expected 32 or 64)", bits_allocated));
    }
    if (samples != 1 || is_signed) {
      return make_error(ErrorCode::kUnsupported, "floating point samples are one unsigned-flagged grey sample");
    }
  } else {
    if (bits_allocated != 1 && bits_allocated != 8 && bits_allocated != 16 && bits_allocated != 32) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("{} bits allocated (expected 1, 8, 16 or 32)", bits_allocated));
    }
    if (bits_stored > bits_allocated) {
      return make_error(ErrorCode::kUnsupported, fmt::format("{} bits stored in {}-bit words", bits_stored,
                                                             bits_allocated));
    }
    if (bits_allocated == 1 && samples != 1) {
      return make_error(ErrorCode::kUnsupported, "1-bit samples come one per pixel");
    }
  }
  if (photometric.empty() || photometric.size() > 16) {
    return make_error(ErrorCode::kUnsupported, "missing or overlong photometric interpretation");
  }
  if (byte_size() > kMaxPixelBytes) {
    return limits(fmt::format("image of {} bytes exceeds the limit of {} bytes", byte_size(), kMaxPixelBytes));
  }
  return {};
}

Result<Image> Image::create(Geometry geometry) {
  MEDCRYPT_TRY(geometry.validate());
  PixelBytes pixels(static_cast<std::size_t>(geometry.byte_size()), 0);
  return Image(std::move(geometry), std::move(pixels));
}

Result<Image> Image::from_bytes(Geometry geometry, PixelBytes pixels) {
  MEDCRYPT_TRY(check_pixels(geometry, pixels.size()));
  return Image(std::move(geometry), std::move(pixels));
}

Result<ImageView> ImageView::from_bytes(Geometry geometry, ByteView bytes) {
  MEDCRYPT_TRY(check_pixels(geometry, bytes.size()));
  // u16() and u32() read the words in place, where an Image's own buffer is always aligned.
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % geometry.bytes_per_sample() != 0) {
    return make_error(ErrorCode::kInternal, fmt::format("pixel data not aligned to its {}-byte samples",
                                                        geometry.bytes_per_sample()));
  }
  return ImageView(std::move(geometry), bytes);
}

std::span<std::uint32_t> Image::u32() { return as_words<std::uint32_t>(bytes()); }
std::span<const std::uint32_t> Image::u32() const { return as_words<const std::uint32_t>(bytes()); }
std::span<std::uint16_t> Image::u16() { return as_words<std::uint16_t>(bytes()); }
std::span<const std::uint16_t> Image::u16() const { return as_words<const std::uint16_t>(bytes()); }
std::span<const std::uint32_t> ImageView::u32() const { return as_words<const std::uint32_t>(bytes_); }
std::span<const std::uint16_t> ImageView::u16() const { return as_words<const std::uint16_t>(bytes_); }

}  // namespace medcrypt::image
