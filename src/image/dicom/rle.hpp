// RLE Lossless decoding (PS3.5 Annex G), frame by frame: pure functions on bytes, no DCMTK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::image::internal {

// RLE Lossless (PS3.5 Annex G): a 64-byte header (the number of segments, then their offsets, 32-bit little
// endian), then a PackBits segment per byte of each sample, most significant byte first. Decodes one frame
// into `out`, samples interleaved, words little-endian, and says where in `data` the frame ended; nothing
// when the data ends first (the frame goes on in the next fragment).
Result<std::optional<std::size_t>> decode_rle_frame(ByteView data, const Geometry& g, std::uint8_t* out);

}  // namespace medcrypt::image::internal
