// Small pictures of what an analysis encrypted, for the HTML report: the plain image, the cipher image, the
// decrypted image and their difference, frame 0 of each, as 8-bit PNG files.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::analysis {

struct Thumbnails {
  Bytes plain, cipher, decrypted, difference;  // PNG files; empty when none was made
  std::uint32_t max_difference = 0;            // the largest |plain - decrypted| of frame 0, in stored values
};

// Shrunk by an integer box filter to at most `side` pixels on the longer side. The plain and decrypted
// pictures share one window (the plain frame's range where it is deeper than 8 bits, so a 12-bit CT is
// not black), the cipher picture spans its whole range, and the difference maps 0 to black and its
// largest value to white. Three samples make an RGB picture; other images show their first sample. No
// cipher image (nullptr): no cipher picture.
Result<Thumbnails> make_thumbnails(const image::Image& plain, const image::Image* cipher,
                                   const image::Image& decrypted, std::uint32_t side = 160);

}  // namespace medcrypt::analysis
