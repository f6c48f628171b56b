// JPEG-LS decoding with CharLS 2, for the DICOM JPEG-LS transfer syntaxes. DCMTK 3.6.7's own JPEG-LS codec
// bundles CharLS 1.0 with its assertions compiled in, so a malformed stream aborts the process; CharLS 2
// reports it as an error instead.
#pragma once

#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::image::internal {

// Says whether `data` opens a JPEG-LS stream: SOI, then SOF55, a comment or an APPn segment.
bool starts_jpegls(ByteView data);

// Reads the stream's header alone and checks it as decode_jpegls_frame does: nothing is decoded.
Status check_jpegls_header(ByteView stream, const Geometry& geometry);

// Decodes one frame into `out`, which holds exactly geometry.frame_bytes(): samples interleaved, 16-bit words
// little-endian. The stream's size and component count must agree with `geometry`, and its sample precision
// with the word size (up to 8 bits in 8-bit words, 9 to 16 in 16-bit words), as DCMTK's codec requires.
Status decode_jpegls_frame(ByteView stream, const Geometry& geometry, std::span<std::uint8_t> out);

}  // namespace medcrypt::image::internal
