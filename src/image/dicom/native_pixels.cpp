// Native (uncompressed) Pixel Data: how it stores an image's samples, read into an image or served from one.
#include "image/dicom/native_pixels.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {
namespace {

// Native Pixel Data is copied from the input into the image this many bytes at a time.
constexpr std::uint32_t kReadChunk = 16u << 20;

// The bits of stored byte `index` that hold samples: all, but in the last byte of packed bits only those of
// the samples that remain.
std::uint8_t sample_bits(const Geometry& g, StoredForm form, std::uint64_t index) {
  if (form != StoredForm::kPackedBits) return 0xff;
  const std::uint64_t first = index * 8;
  const std::uint64_t count = std::min<std::uint64_t>(8, g.sample_count() - std::min(first, g.sample_count()));
  return static_cast<std::uint8_t>((1u << count) - 1u);
}

// Which byte of an interleaved image stored byte `index` of a YBR_FULL_422 value comes from: words go Y1 Y2
// Cb Cr per pair of pixels, and both pixels of a pair share the pair's Cb and Cr.
std::uint64_t ybr422_source(std::uint64_t index, std::size_t word) {
  const std::uint64_t w = index / word;
  const std::uint64_t pair = w / 4;
  const std::uint64_t j = w % 4;
  const std::uint64_t pixel = 2 * pair + (j == 1 ? 1 : 0);
  const std::uint64_t sample = j < 2 ? 0 : j - 1;
  return (pixel * 3 + sample) * word + index % word;
}

// Serves a PixelLayout's bytes, reordering or packing samples on the fly, so that DCMTK writes Pixel Data
// straight from the image a chunk at a time (and swaps words itself for big endian).
class PixelProducer : public DcmProducer {
 public:
  explicit PixelProducer(const PixelLayout& layout) : layout_(layout) {}
  OFBool good() const override { return OFTrue; }
  OFCondition status() const override { return EC_Normal; }
  OFBool eos() override { return position_ >= layout_.length; }
  offile_off_t avail() override { return static_cast<offile_off_t>(layout_.length - position_); }
  offile_off_t read(void* buffer, offile_off_t length) override {
    const std::uint64_t count =
        std::min<std::uint64_t>(static_cast<std::uint64_t>(length), layout_.length - position_);
    auto* out = static_cast<std::uint8_t*>(buffer);
    const std::uint64_t samples_end = std::min<std::uint64_t>(position_ + count, layout_.stored);
    if (position_ < samples_end) copy_samples(out, static_cast<std::size_t>(samples_end - position_));
    const std::uint64_t kept_from = tail_start(layout_.geometry, layout_.form, layout_.stored);
    for (std::uint64_t at = std::max(position_, kept_from); at < position_ + count; ++at) {
      std::uint8_t& byte = out[at - position_];
      const std::uint64_t k = at - kept_from;
      const std::uint8_t kept = k < layout_.tail.size() ? layout_.tail[static_cast<std::size_t>(k)] : 0;
      const std::uint8_t ours = at < layout_.stored ? sample_bits(layout_.geometry, layout_.form, at) : 0;
      byte = static_cast<std::uint8_t>((at < layout_.stored ? byte & ours : 0) | (kept & ~ours));
    }
    position_ += count;
    return static_cast<offile_off_t>(count);
  }
  offile_off_t skip(offile_off_t length) override {
    const std::uint64_t count =
        std::min<std::uint64_t>(static_cast<std::uint64_t>(length), layout_.length - position_);
    position_ += count;
    return static_cast<offile_off_t>(count);
  }
  void putback(offile_off_t length) override {
    position_ -= std::min<std::uint64_t>(static_cast<std::uint64_t>(length), position_);
  }

 private:
  // Stored bytes [position_, position_ + count) of the samples.
  void copy_samples(std::uint8_t* out, std::size_t count) const {
    const Geometry& g = layout_.geometry;
    const std::uint8_t* pixels = layout_.pixels.data();
    const std::size_t word = g.bytes_per_sample();
    switch (layout_.form) {
      case StoredForm::kInterleaved:
        std::memcpy(out, pixels + position_, count);
        return;
      case StoredForm::kYbr422:
        for (std::size_t i = 0; i < count; ++i) out[i] = pixels[ybr422_source(position_ + i, word)];
        return;
      case StoredForm::kPackedBits:
        for (std::size_t i = 0; i < count; ++i) {
          const std::uint64_t first = (position_ + i) * 8;
          const std::uint64_t n = std::min<std::uint64_t>(8, layout_.pixels.size() - first);
          std::uint8_t byte = 0;
          for (std::uint64_t b = 0; b < n; ++b) byte |= static_cast<std::uint8_t>((pixels[first + b] & 1u) << b);
          out[i] = byte;
        }
        return;
      case StoredForm::kPlanar:
        break;
    }
    // Byte k of a plane is byte k % word of the sample k / word of that plane, interleaved in the image.
    const auto frame_bytes = static_cast<std::size_t>(g.frame_bytes());
    const std::size_t plane_bytes = frame_bytes / g.samples;
    const std::size_t stride = g.samples * word;
    std::uint64_t position = position_;
    while (count > 0) {
      const std::uint64_t frame = position / frame_bytes;
      const auto in_frame = static_cast<std::size_t>(position % frame_bytes);
      const std::size_t plane = in_frame / plane_bytes;
      const std::size_t offset = in_frame % plane_bytes;
      const std::size_t run = std::min(count, plane_bytes - offset);
      const std::uint8_t* first = pixels + static_cast<std::size_t>(frame) * frame_bytes + plane * word;
      for (std::size_t k = offset; k < offset + run; ++k) *out++ = first[(k / word) * stride + k % word];
      count -= run;
      position += run;
    }
  }

  PixelLayout layout_;
  std::uint64_t position_ = 0;
};

class PixelInputStream : public DcmInputStream {
 public:
  explicit PixelInputStream(const PixelLayout& layout) : DcmInputStream(&producer_), producer_(layout) {}
  DcmInputStreamFactory* newFactory() const override { return nullptr; }

 private:
  PixelProducer producer_;
};

}  // namespace

Status read_value(DcmElement& element, DcmFileCache& cache, std::uint64_t offset,
                  std::span<std::uint8_t> out) {
  for (std::size_t done = 0; done < out.size();) {
    const auto count = static_cast<Uint32>(std::min<std::size_t>(out.size() - done, kReadChunk));
    const OFCondition status = element.getPartialValue(out.data() + done, static_cast<Uint32>(offset + done),
                                                       count, &cache, EBO_LittleEndian);
    if (status.bad()) {
      return make_error(ErrorCode::kIo, fmt::format("cannot read DICOM Pixel Data: {}", status.text()));
    }
    done += count;
  }
  return {};
}

std::uint64_t stored_length(const Geometry& g, StoredForm form) {
  switch (form) {
    case StoredForm::kPackedBits: return (g.sample_count() + 7) / 8;
    case StoredForm::kYbr422: return g.pixels_per_frame() * g.frames * 2 * g.bytes_per_sample();
    case StoredForm::kInterleaved:
    case StoredForm::kPlanar: break;
  }
  return g.byte_size();
}

std::uint64_t tail_start(const Geometry& g, StoredForm form, std::uint64_t stored) {
  const bool partial = stored > 0 && sample_bits(g, form, stored - 1) != 0xff;
  return (stored - (partial ? 1 : 0)) & ~std::uint64_t{1};
}

Result<NativePixels> native_pixels(DcmElement& element, const Geometry& g, StoredForm form) {
  const std::uint64_t stored = stored_length(g, form);
  const std::uint64_t length = element.getLength();
  const bool floating = g.floating_point();
  if (length < stored || (floating && length != stored)) {
    return make_error(
        ErrorCode::kInvalidImage,
        fmt::format("DICOM {} holds {} bytes, but {} frame(s) of {}x{}x{} {}-bit samples{} need {}",
                    element.getTag() == DCM_PixelData        ? "Pixel Data"
                    : element.getTag() == DCM_FloatPixelData ? "Float Pixel Data"
                                                             : "Double Float Pixel Data",
                    length, g.frames, g.width, g.height, g.samples, g.bits_allocated,
                    form == StoredForm::kYbr422 ? " (YBR_FULL_422)" : "", stored));
  }
  NativePixels out;
  out.pixels.assign(static_cast<std::size_t>(g.byte_size()), 0);
  DcmFileCache cache;  // keeps the input open from one chunk to the next
  const std::size_t word = g.bytes_per_sample();
  const auto frame_bytes = static_cast<std::size_t>(g.frame_bytes());
  switch (form) {
    case StoredForm::kInterleaved:
      MEDCRYPT_TRY(read_value(element, cache, 0, out.pixels));
      break;
    case StoredForm::kPlanar: {
      Bytes frame(frame_bytes);
      for (std::size_t f = 0; f < g.frames; ++f) {
        MEDCRYPT_TRY(read_value(element, cache, f * frame_bytes, frame));
        interleave_frame(frame.data(), out.pixels.data() + f * frame_bytes, g);
      }
      break;
    }
    case StoredForm::kYbr422: {
      const std::size_t stored_frame = frame_bytes / 3 * 2;
      Bytes frame(stored_frame);
      for (std::size_t f = 0; f < g.frames; ++f) {
        MEDCRYPT_TRY(read_value(element, cache, f * stored_frame, frame));
        std::uint8_t* target = out.pixels.data() + f * frame_bytes;
        for (std::size_t i = 0; i < stored_frame; ++i) {
          const auto at = static_cast<std::size_t>(ybr422_source(i, word));
          target[at] = frame[i];
          if (at % (3 * word) >= word) target[at + 3 * word] = frame[i];  // Cb, Cr: the pair's second pixel too
        }
      }
      break;
    }
    case StoredForm::kPackedBits: {
      Bytes packed(static_cast<std::size_t>(stored));
      MEDCRYPT_TRY(read_value(element, cache, 0, packed));
      for (std::size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = (packed[i / 8] >> (i % 8)) & 1u;
      break;
    }
  }
  // The writer makes the samples, then a zero pad byte after an odd number of bytes: keep anything else.
  const std::uint64_t kept_from = tail_start(g, form, stored);
  if (length > kept_from) {
    Bytes tail(static_cast<std::size_t>(length - kept_from));
    MEDCRYPT_TRY(read_value(element, cache, kept_from, tail));
    const bool padded_as_written = length == stored + stored % 2 && (stored % 2 == 0 || tail.back() == 0);
    // A last byte of packed bits that is partly samples lies in the tail (tail_start): its other bits count.
    const std::uint8_t last_bits = sample_bits(g, form, stored - 1);
    const bool unused_bits_set =
        last_bits != 0xff && (tail[static_cast<std::size_t>(stored - 1 - kept_from)] & ~last_bits) != 0;
    if (!padded_as_written || unused_bits_set) out.tail = std::move(tail);
  }
  return out;
}

DcmInputStream* PixelStreamFactory::create() const { return new PixelInputStream(layout_); }

void interleave_frame(const std::uint8_t* planar, std::uint8_t* interleaved, const Geometry& g) {
  const std::size_t word = g.bytes_per_sample();
  const std::size_t stride = g.samples * word;
  const auto pixels = static_cast<std::size_t>(g.pixels_per_frame());
  for (std::size_t c = 0; c < g.samples; ++c) {
    const std::uint8_t* plane = planar + c * pixels * word;
    std::uint8_t* out = interleaved + c * word;
    for (std::size_t i = 0; i < pixels; ++i) std::memcpy(out + i * stride, plane + i * word, word);
  }
}

}  // namespace medcrypt::image::internal
