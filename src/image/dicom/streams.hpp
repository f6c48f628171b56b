// DCMTK's streams over medcrypt's data: a Part 10 stream parsed from memory or a file, or written to a sink.
#pragma once

#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcistrmf.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {

// A deflated data set's attributes (all but Pixel Data) may inflate to at most the pixels' size plus this.
// Real attributes are far smaller than their pixels; a few hundred KB of deflated zeros would otherwise
// become hundreds of MB of attributes that every container made from the file carries.
inline constexpr std::uint64_t kMaxInflatedAttributesBeyondPixels = 16u << 20;

// The Part 10 preamble and "DICM" prefix that DCMTK writes before any meta header.
inline constexpr std::size_t kPreambleBytes = 132;

// Sets DCMTK up for medcrypt, once per process, before any data set is parsed or written.
void initialise_dcmtk();

// DCMTK allocates an element's declared length before reading its value, unless the stream can hand out
// a factory for reading the value later: then it first skips the value, which fails for a length running
// past the end, and loads the value only when asked (or, with getPartialValue, a part of it straight into
// the caller's buffer). A plain buffer stream has no factory, so a 4 GB length in a tiny input would cost
// 4 GB; the two streams below have, so memory stays bounded by what the input really holds. Each remembers
// where the value it most recently deferred starts, for parse_file's message about a value that overruns the
// data. Positions mean nothing once a deflate filter is installed: then neither defers.
//
// A deflated data set is inflated by DCMTK's zlib filter as it is parsed; limit_inflation() caps how many
// inflated bytes the parser may take, so that a few KB of deflated zeros cannot become gigabytes. Past the
// cap the stream ends early (the parse fails) and inflation_exceeded() says why.
class MemoryInputStream : public DcmInputBufferStream {
 public:
  explicit MemoryInputStream(ByteView data) : data_(data), raw_producer_(currentProducer()) {
    setBuffer(data.data(), static_cast<offile_off_t>(data.size()));
    setEos();
  }
  DcmInputStreamFactory* newFactory() const override;
  std::optional<std::uint64_t> last_deferred_value() const { return last_deferred_value_; }

  void limit_inflation(std::uint64_t limit) { inflation_limit_ = limit; }
  std::optional<std::uint64_t> inflation_limit() const { return inflation_limit_; }
  bool inflation_exceeded() const { return inflation_exceeded_; }
  offile_off_t avail() override { return allowed(DcmInputBufferStream::avail()); }
  offile_off_t read(void* buffer, offile_off_t length) override {
    return taken(DcmInputBufferStream::read(buffer, allowed(length)));
  }
  offile_off_t skip(offile_off_t length) override { return taken(DcmInputBufferStream::skip(allowed(length))); }

 private:
  bool inflating() const { return inflation_limit_ && currentProducer() != raw_producer_; }
  // How much of `wanted` the cap lets through; asking past it before the data's end exceeds it.
  offile_off_t allowed(offile_off_t wanted) {
    if (!inflating()) return wanted;
    const std::uint64_t left = *inflation_limit_ - std::min(inflated_, *inflation_limit_);
    if (static_cast<std::uint64_t>(wanted) <= left) return wanted;
    if (!DcmInputBufferStream::eos()) inflation_exceeded_ = true;
    return static_cast<offile_off_t>(left);
  }
  offile_off_t taken(offile_off_t count) {
    if (inflating()) inflated_ += static_cast<std::uint64_t>(count);
    return count;
  }

  ByteView data_;
  const DcmProducer* raw_producer_;
  mutable std::optional<std::uint64_t> last_deferred_value_;
  std::optional<std::uint64_t> inflation_limit_;
  std::uint64_t inflated_ = 0;
  bool inflation_exceeded_ = false;
};

// DCMTK's file stream defers values the same way, its factories reopening the file.
class FileInputStream : public DcmInputFileStream {
 public:
  explicit FileInputStream(const std::filesystem::path& path)
      : DcmInputFileStream(OFFilename(path.c_str())) {}
  DcmInputStreamFactory* newFactory() const override {
    DcmInputStreamFactory* factory = DcmInputFileStream::newFactory();
    if (factory != nullptr) last_deferred_value_ = static_cast<std::uint64_t>(tell());
    return factory;
  }
  std::optional<std::uint64_t> last_deferred_value() const { return last_deferred_value_; }

 private:
  mutable std::optional<std::uint64_t> last_deferred_value_;
};

// Parses a whole Part 10 stream of `size` bytes; its source must outlive `file` (values load lazily).
// Defined for MemoryInputStream and FileInputStream.
template <typename Stream>
Status parse_file(DcmFileFormat& file, Stream& stream, std::uint64_t size);

// Whether `head`, a stream's first bytes, holds the Part 10 preamble and "DICM".
bool has_preamble(ByteView head);

// Writes the file (meta header and dataset) in `xfer` to `sink`, a buffer at a time; values DCMTK has not
// loaded (Pixel Data from a PixelStreamFactory) are read in chunks through one write cache. An existing meta
// header is written as read but for the Transfer Syntax UID (DCMTK's other modes would also rewrite the
// Implementation Class UID and Version Name); without one, DCMTK makes a fresh one. With `preamble` false
// the file goes out as it came in without one: a meta header without the preamble and "DICM" (which DCMTK
// always writes before it, so they are cut off here), or, with no meta header, the bare data set.
Status serialize(DcmFileFormat& file, E_TransferSyntax xfer, E_EncodingType encoding, bool preamble,
                 const ByteSink& sink);
// The same, into a buffer.
Result<Bytes> serialize(DcmFileFormat& file, E_TransferSyntax xfer, E_EncodingType encoding, bool preamble);

}  // namespace medcrypt::image::internal
