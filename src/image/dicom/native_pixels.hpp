// Native (uncompressed) Pixel Data: how it stores an image's samples, read into an image or served from one.
#pragma once

#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcistrma.h>

#include <cstdint>
#include <optional>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::image::internal {

// Copies part of an element's value, from `offset` on, into `out`: in chunks, straight from the input where
// DCMTK left the value, 16-bit words little-endian whatever the input's byte order.
Status read_value(DcmElement& element, DcmFileCache& cache, std::uint64_t offset,
                  std::span<std::uint8_t> out);

// How uncompressed Pixel Data stores an image's samples.
enum class StoredForm {
  kInterleaved,  // as the Image holds them (one sample, or colour by pixel)
  kPlanar,       // colour by plane, frame by frame (Planar Configuration 1)
  kYbr422,       // YBR_FULL_422: Y1 Y2 Cb Cr for each pair of pixels in a row (PS3.3 C.7.6.3.1.2)
  kPackedBits,   // 1-bit samples, eight to a byte, the first in the least significant bit (PS3.5 8.1.1)
};

// Bytes the samples of `g` take in Pixel Data stored in `form`, before any padding.
std::uint64_t stored_length(const Geometry& g, StoredForm form);

// What lies in a Pixel Data value beside the samples (trailing padding, a pad byte that is not zero, unused
// bits of the last packed byte) is kept with the image as the value from this offset on: the even offset at
// or below the end of the last whole byte of samples, so that the kept part has whole 16-bit words (swapped as
// such in big endian) and even length (which DICOM values have).
std::uint64_t tail_start(const Geometry& g, StoredForm form, std::uint64_t stored);

struct NativePixels {
  PixelBytes pixels;
  std::optional<Bytes> tail;  // the value from tail_start on, where it is not what the writer would make
};

// Native pixel data, copied into the image: interleaved data straight, colour by plane and YBR_FULL_422 a
// frame at a time through a frame's buffer, packed bits through a buffer of them (an eighth of the image).
// The value may hold more than the samples (trailing padding); what follows them is returned as the tail
// where the writer would not make it alike.
Result<NativePixels> native_pixels(DcmElement& element, const Geometry& g, StoredForm form);

// An image's samples as Pixel Data stores them (see StoredForm), then anything kept after them (the tail,
// from tail_start on), else a zero pad byte after an odd number of bytes.
struct PixelLayout {
  ByteView pixels;  // the image's own bytes, samples interleaved
  Geometry geometry;
  StoredForm form = StoredForm::kInterleaved;
  std::uint64_t stored = 0;     // bytes the samples take
  ByteView tail;                // kept from a file read: the value's bytes from tail_start on
  std::uint64_t length = 0;     // the value
};

// Given to a Pixel Data element as where its value lives (createValueFromTempFile); must not outlive the
// image.
class PixelStreamFactory : public DcmInputStreamFactory {
 public:
  explicit PixelStreamFactory(const PixelLayout& layout) : layout_(layout) {}
  DcmInputStream* create() const override;
  DcmInputStreamFactory* clone() const override { return new PixelStreamFactory(*this); }
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputFileStreamFactory; }

 private:
  PixelLayout layout_;
};

}  // namespace medcrypt::image::internal
