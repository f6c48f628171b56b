// Encapsulated (compressed) Pixel Data: its fragments found, and its frames decoded into an image.
#pragma once

#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::image::internal {

// Compressed pixel data may expand at most this much. No real image comes close; a tiny file whose header
// claims gigabytes of frames does, and would otherwise make the decoder allocate them.
inline constexpr std::uint64_t kMaxCompressionRatio = 65536;

// The sequence of encapsulated Pixel Data: item 0 the offset table, then at least one fragment.
Result<DcmPixelSequence*> pixel_sequence(DcmPixelData& pixel_data, E_TransferSyntax xfer);

// Decodes JPEG 2000 pixel data. Updates the photometric interpretation (in the geometry and the dataset) when
// the codestream undid a colour transform.
Result<PixelBytes> decode_jpeg2000(DcmPixelData& pixel_data, E_TransferSyntax xfer, Geometry& geometry,
                                   DcmItem& dataset, std::vector<std::string>& notes);

// Decodes JPEG-LS pixel data and changes the attributes as DCMTK's JPEG-LS decoder would: at most one frame
// per fragment (Number of Frames rewritten to match), a Planar Configuration for colour (the stored one,
// else 1 only where the IOD asks for colour-by-plane) and Lossy Image Compression "01" for near-lossless.
Result<PixelBytes> decode_jpegls(DcmPixelData& pixel_data, E_TransferSyntax xfer, Geometry& geometry,
                                 DcmItem& dataset, std::vector<std::string>& notes);

struct Decompressed {
  PixelBytes pixels;
  Geometry geometry;                          // of the decoded pixels
  std::unique_ptr<DcmFileFormat> attributes;  // as DCMTK's decoder leaves them, without Pixel Data
  bool planar = false;                        // the decoded attributes say colour-by-plane
};

// JPEG and RLE: decoded frame by frame straight into the image, with the attributes a whole-image
// decode would give (apply_decoder_changes).
Result<Decompressed> decompress(DcmFileFormat& file, DcmPixelData& pixel_data, E_TransferSyntax xfer,
                                const Geometry& geometry, std::vector<std::string>& notes);

// The most the data of a compressed syntax can expand to when decoded (bytes out per byte in), and how much
// more a JPEG frame coded smaller than Rows x Columns may add as zero fill (see decompress). Checked against
// the declared geometry before any pixel memory is allocated, so that a header edited upward cannot make
// medcrypt allocate gigabytes for a small file.
struct ExpansionBound {
  std::uint64_t ratio = kMaxCompressionRatio;
  std::uint64_t zero_fill = 0;
};

ExpansionBound expansion_bound(E_TransferSyntax xfer);

}  // namespace medcrypt::image::internal
