#include "image/image.hpp"

#include <fmt/format.h>

namespace medcrypt::image {

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
  MEDCRYPT_TRY(geometry.validate());
  if (pixels.size() != geometry.byte_size()) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("pixel data is {} bytes, geometry needs {}",
                                                            pixels.size(), geometry.byte_size()));
  }
  return Image(std::move(geometry), std::move(pixels));
}

std::span<std::uint32_t> Image::u32() {
  return {reinterpret_cast<std::uint32_t*>(pixels_.data()), pixels_.size() / 4};
}
std::span<const std::uint32_t> Image::u32() const {
  return {reinterpret_cast<const std::uint32_t*>(pixels_.data()), pixels_.size() / 4};
}

std::span<std::uint16_t> Image::u16() {
  return {reinterpret_cast<std::uint16_t*>(pixels_.data()), pixels_.size() / 2};
}
std::span<const std::uint16_t> Image::u16() const {
  return {reinterpret_cast<const std::uint16_t*>(pixels_.data()), pixels_.size() / 2};
}

}  // namespace medcrypt::image
