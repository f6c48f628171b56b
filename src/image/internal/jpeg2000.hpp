// JPEG 2000 decoding with OpenJPEG, for the DICOM transfer syntaxes DCMTK cannot decompress itself.
#pragma once

#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::image::internal {

struct Jpeg2000Frame {
  // True when the codestream applied the inverse multi-component transform (RCT or ICT), so the decoded
  // samples are RGB whatever the DICOM header called them.
  bool colour_transform = false;
};

// Decodes one frame (a J2K codestream, or a JP2 file as some writers wrongly embed) into `out`, which holds
// exactly geometry.frame_bytes(): samples interleaved, 16-bit words little-endian, signed values as two's
// complement words. The codestream's size, component count and precision must agree with `geometry`.
Result<Jpeg2000Frame> decode_jpeg2000_frame(ByteView codestream, const Geometry& geometry,
                                            std::span<std::uint8_t> out);

// Reads the codestream's header alone and checks it as decode_jpeg2000_frame does: nothing is decoded.
Status check_jpeg2000_header(ByteView codestream, const Geometry& geometry);

}  // namespace medcrypt::image::internal
