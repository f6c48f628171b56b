// RLE Lossless decoding (PS3.5 Annex G), frame by frame: pure functions on bytes, no DCMTK.
#include "image/dicom/rle.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace medcrypt::image::internal {
namespace {

// Unpacks one PackBits-encoded RLE segment into every `stride`-th byte of `out`, `count` bytes in all, and
// says how many input bytes that took; nothing when the data ends first. A run past the end is cut short, as
// DCMTK's decoder does, and bytes after the last run are ignored.
std::optional<std::size_t> unpack_rle_segment(ByteView in, std::uint8_t* out, std::size_t count,
                                              std::size_t stride) {
  std::size_t at = 0;
  std::size_t written = 0;
  while (written < count) {
    if (at >= in.size()) return std::nullopt;
    const auto header = static_cast<std::int8_t>(in[at++]);
    if (header >= 0) {  // header + 1 bytes as they are
      const std::size_t literal = static_cast<std::size_t>(header) + 1;
      if (in.size() - at < literal) return std::nullopt;
      const std::size_t n = std::min(literal, count - written);
      for (std::size_t i = 0; i < n; ++i) out[(written + i) * stride] = in[at + i];
      at += literal;
      written += n;
    } else if (header != -128) {  // the next byte, 1 - header times
      if (at >= in.size()) return std::nullopt;
      const std::uint8_t value = in[at++];
      const std::size_t n = std::min<std::size_t>(1 - header, count - written);
      for (std::size_t i = 0; i < n; ++i) out[(written + i) * stride] = value;
      written += n;
    }
  }
  return at;
}

}  // namespace

Result<std::optional<std::size_t>> decode_rle_frame(ByteView data, const Geometry& g, std::uint8_t* out) {
  constexpr std::size_t kHeaderBytes = 64;
  if (data.size() < kHeaderBytes) return make_error(ErrorCode::kInvalidImage, "RLE header is incomplete");
  auto u32 = [&data](std::size_t at) {
    return std::uint32_t{data[at]} | (std::uint32_t{data[at + 1]} << 8) |
           (std::uint32_t{data[at + 2]} << 16) | (std::uint32_t{data[at + 3]} << 24);
  };
  const std::size_t word = g.bytes_per_sample();
  const std::size_t segments = u32(0);
  if (segments != g.samples * word) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("RLE header lists {} segments, {}-bit samples x {} need {}", segments,
                                  g.bits_allocated, g.samples, g.samples * word));
  }
  std::size_t frame_end = 0;
  for (std::size_t k = 0; k < segments; ++k) {
    const std::uint64_t begin = u32(4 + 4 * k);
    const std::uint64_t end = k + 1 < segments ? u32(8 + 4 * k) : std::max<std::uint64_t>(begin, data.size());
    if (begin < kHeaderBytes || end < begin) {
      return make_error(ErrorCode::kInvalidImage, fmt::format("RLE segment {} has offset {}", k + 1, begin));
    }
    if (end > data.size()) return std::optional<std::size_t>();
    const std::size_t sample = k / word;
    const std::size_t byte = word - 1 - k % word;
    const ByteView segment =
        data.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
    const auto used = unpack_rle_segment(segment, out + sample * word + byte,
                                         static_cast<std::size_t>(g.pixels_per_frame()), g.samples * word);
    if (!used) {
      if (k + 1 < segments) {
        return make_error(ErrorCode::kInvalidImage, fmt::format("RLE segment {} is too short", k + 1));
      }
      return std::optional<std::size_t>();
    }
    frame_end = std::max(frame_end, static_cast<std::size_t>(begin) + *used);
  }
  return std::optional<std::size_t>(frame_end);
}

}  // namespace medcrypt::image::internal
