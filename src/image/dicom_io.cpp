// DICOM through DCMTK: dcmdata parses and writes, its JPEG codec decompresses, medcrypt decodes RLE itself,
// jpeg2000.cpp (OpenJPEG) decodes the JPEG 2000 syntaxes DCMTK cannot, and jpegls.cpp (CharLS 2) the
// JPEG-LS ones, on which DCMTK's bundled CharLS 1.0 aborts the process when the data is malformed. Pixels
// are the stored words exactly as decoded: no masking of unused high bits, no rescaling, colour converted
// only where a decoder does it.
//
// Memory: the image is the only full copy of the pixels. Reading leaves Pixel Data in the file (or input
// buffer) until it is copied into the image in chunks, or decompressed into it frame by frame; writing hands
// DCMTK a stream over the image (PixelStreamFactory), which it reads in chunks as it writes.
#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcwcache.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "image/internal/codecs.hpp"
#include "image/internal/jpeg2000.hpp"
#include "image/internal/jpegls.hpp"

namespace medcrypt::image {
namespace internal {
namespace {

// Compressed pixel data may expand at most this much. No real image comes close; a tiny file whose header
// claims gigabytes of frames does, and would otherwise make the decoder allocate them.
constexpr std::uint64_t kMaxCompressionRatio = 65536;
// DCMTK's output stream writes into a fixed buffer and hands it back whenever it is full.
constexpr std::size_t kWriteChunk = 1 << 20;
// Native Pixel Data is copied from the input into the image this many bytes at a time.
constexpr std::uint32_t kReadChunk = 16u << 20;
// The longest value a DICOM element can have (a 32-bit length, 0xFFFFFFFF meaning undefined, kept even).
constexpr std::uint64_t kMaxValueLength = 0xFFFFFFFE;
// A deflated data set's attributes (all but Pixel Data) may inflate to at most the pixels' size plus this.
// Real attributes are far smaller than their pixels; a few hundred KB of deflated zeros would otherwise
// become hundreds of MB of attributes that every container made from the file carries.
constexpr std::uint64_t kMaxInflatedAttributesBeyondPixels = 16u << 20;

void initialise_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK logs parse problems to stderr; our one-line Error already says what went wrong.
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    // By default DCMTK "corrects" values as it reads them (strips padding, pads odd lengths), so a file
    // written back would differ from the one read. medcrypt keeps attributes exactly as they came.
    dcmEnableAutomaticInputDataCorrection.set(OFFalse);
    // Registration touches a global codec list, so it happens once, before any thread decodes.
    DJDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

std::string tag_name(const DcmTagKey& key) {
  DcmTag tag(key);
  return fmt::format("{} {}", tag.getTagName(), key.toString().c_str());
}

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

class MemoryStreamFactory : public DcmInputStreamFactory {
 public:
  MemoryStreamFactory(ByteView data, offile_off_t offset) : data_(data), offset_(offset) {}
  DcmInputStream* create() const override {
    auto* stream = new MemoryInputStream(data_);
    stream->skip(offset_);
    return stream;
  }
  DcmInputStreamFactory* clone() const override { return new MemoryStreamFactory(*this); }
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputFileStreamFactory; }

 private:
  ByteView data_;
  offile_off_t offset_;
};

DcmInputStreamFactory* MemoryInputStream::newFactory() const {
  if (currentProducer() != raw_producer_) return nullptr;
  last_deferred_value_ = static_cast<std::uint64_t>(tell());
  return new MemoryStreamFactory(data_, tell());
}

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
template <typename Stream>
Status parse_file(DcmFileFormat& file, Stream& stream, std::uint64_t size) {
  file.transferInit();
  const OFCondition status = file.read(stream);
  if constexpr (requires { stream.inflation_exceeded(); }) {
    if (stream.inflation_exceeded()) {
      file.transferEnd();
      return make_error(ErrorCode::kLimits, fmt::format("deflated DICOM data set inflates to more than {} bytes",
                                                        stream.inflation_limit().value_or(0)));
    }
  }
  if (status.good()) {
    file.transferEnd();
    return {};
  }
  // Name the element the data ended in: one still being read, or one whose deferred value overruns the data.
  std::string message = fmt::format("malformed DICOM: {}", status.text());
  if (status == EC_StreamNotifyClient) message = "truncated DICOM: the data ends inside an element header";
  DcmDataset* dataset = file.getDataset();
  DcmElement* last = dataset->card() > 0 ? dataset->getElement(dataset->card() - 1) : nullptr;
  if (last != nullptr) {
    const std::uint64_t declared = last->getLengthField();
    const auto deferred = stream.last_deferred_value();
    if (last->transferState() != ERW_ready) {
      message = declared == DCM_UndefinedLength
                    ? fmt::format("truncated DICOM: the data ends inside {}", tag_name(last->getTag()))
                    : fmt::format("truncated DICOM: {} declares {} bytes but the data ends first",
                                  tag_name(last->getTag()), declared);
    } else if (!last->valueLoaded() && deferred && *deferred + declared > size) {
      message = fmt::format("truncated DICOM: {} declares {} bytes but only {} remain",
                            tag_name(last->getTag()), declared, size - *deferred);
    }
  }
  file.transferEnd();
  return make_error(ErrorCode::kInvalidImage, std::move(message));
}

std::string trimmed_uid(const OFString& value) {
  std::string s = value.c_str();
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// Points the meta header at `xfer` if it says otherwise; the group length then changes with it.
Status set_meta_transfer_syntax(DcmMetaInfo& meta, E_TransferSyntax xfer) {
  OFString current;
  meta.findAndGetOFString(DCM_TransferSyntaxUID, current);
  const char* uid = DcmXfer(xfer).getXferID();
  if (trimmed_uid(current) == uid) return {};
  if (meta.putAndInsertString(DCM_TransferSyntaxUID, uid).bad() ||
      meta.computeGroupLengthAndPadding(EGL_withGL, EPD_noChange, EXS_LittleEndianExplicit).bad()) {
    return make_error(ErrorCode::kInternal, "cannot update the DICOM Transfer Syntax UID");
  }
  return {};
}

// The Part 10 preamble and "DICM" prefix that DCMTK writes before any meta header.
constexpr std::size_t kPreambleBytes = 132;

bool has_preamble(ByteView head) {
  return head.size() >= kPreambleBytes && std::memcmp(head.data() + 128, "DICM", 4) == 0;
}

// Writes the file (meta header and dataset) in `xfer` to `sink`, a buffer at a time; values DCMTK has not
// loaded (Pixel Data from a PixelStreamFactory) are read in chunks through one write cache. An existing meta
// header is written as read but for the Transfer Syntax UID (DCMTK's other modes would also rewrite the
// Implementation Class UID and Version Name); without one, DCMTK makes a fresh one. With `preamble` false
// the file goes out as it came in without one: a meta header without the preamble and "DICM" (which DCMTK
// always writes before it, so they are cut off here), or, with no meta header, the bare data set.
Status serialize(DcmFileFormat& file, E_TransferSyntax xfer, E_EncodingType encoding, bool preamble,
                 const ByteSink& sink) {
  DcmMetaInfo& meta = *file.getMetaInfo();
  E_FileWriteMode mode = EWM_fileformat;
  std::size_t cut = 0;
  if (meta.card() > 0) {
    MEDCRYPT_TRY(set_meta_transfer_syntax(meta, xfer));
    mode = EWM_dontUpdateMeta;
    cut = preamble ? 0 : kPreambleBytes;
  }
  // DcmFileFormat::write makes a meta header whatever the mode; a bare data set is written by the data set.
  const bool bare = meta.card() == 0 && !preamble;
  std::vector<std::uint8_t> chunk(kWriteChunk);
  DcmOutputBufferStream stream(chunk.data(), static_cast<offile_off_t>(chunk.size()));
  DcmWriteCache cache;
  Status written;
  file.transferInit();
  OFCondition status;
  auto hand_over = [&] {
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    ByteView out(static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(length));
    const std::size_t dropped = std::min(cut, out.size());
    cut -= dropped;
    written = sink(out.subspan(dropped));
  };
  do {
    status = bare ? file.getDataset()->write(stream, xfer, encoding, &cache, EGL_recalcGL)
                  : file.write(stream, xfer, encoding, &cache, EGL_recalcGL, EPD_noChange, 0, 0, 0, mode);
    hand_over();
  } while (written && status == EC_StreamNotifyClient);
  // A deflated syntax leaves the data set in the zlib filter until the stream is flushed; without this its
  // compressed bytes, every attribute, would be silently missing.
  while (written && status.good() && !stream.isFlushed()) {
    stream.flush();
    hand_over();
  }
  file.transferEnd();
  MEDCRYPT_TRY(written);
  if (status.bad()) {
    return make_error(ErrorCode::kInternal, fmt::format("DICOM encoding failed: {}", status.text()));
  }
  return {};
}

Result<Bytes> serialize(DcmFileFormat& file, E_TransferSyntax xfer, E_EncodingType encoding, bool preamble) {
  Bytes out;
  MEDCRYPT_TRY(serialize(file, xfer, encoding, preamble, [&out](ByteView data) -> Status {
    out.insert(out.end(), data.begin(), data.end());
    return {};
  }));
  return out;
}

// DCMTK writes every sequence and item with one kind of length; keep the kind the input used.
E_EncodingType encoding_of(DcmDataset& dataset) {
  DcmStack stack;
  while (dataset.nextObject(stack, OFTrue).good()) {
    const DcmObject* object = stack.top();
    if ((object->ident() == EVR_SQ || object->ident() == EVR_item) &&
        object->getLengthField() == DCM_UndefinedLength) {
      return EET_UndefinedLength;
    }
  }
  return EET_ExplicitLength;
}

bool is_native(E_TransferSyntax xfer) {
  return xfer == EXS_LittleEndianImplicit || xfer == EXS_LittleEndianExplicit ||
         xfer == EXS_BigEndianExplicit;
}

bool is_jpeg2000(E_TransferSyntax xfer) { return xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000; }
bool is_jpegls(E_TransferSyntax xfer) { return xfer == EXS_JPEGLSLossless || xfer == EXS_JPEGLSLossy; }

Result<std::uint16_t> required_us(DcmItem& dataset, const DcmTagKey& key) {
  Uint16 value = 0;
  if (dataset.findAndGetUint16(key, value).bad()) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM {} is missing or malformed", tag_name(key)));
  }
  return value;
}

std::string trimmed(const OFString& value) {
  std::string s = value.c_str();
  const auto end = s.find_last_not_of(' ');
  const auto begin = s.find_first_not_of(' ');
  return end == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

// Number of Frames is an Integer String, parsed here so that an absurd count is reported as such.
Result<std::uint32_t> number_of_frames(DcmItem& dataset) {
  OFString text;
  if (dataset.findAndGetOFString(DCM_NumberOfFrames, text).bad()) return std::uint32_t{1};  // absent: one
  const std::string value = trimmed(text);
  const char* begin = value.data() + (value.starts_with('+') ? 1 : 0);
  const char* end = value.data() + value.size();
  std::uint64_t frames = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, frames);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && ptr == end && frames > kMaxFrames)) {
    return make_error(ErrorCode::kLimits,
                      fmt::format("DICOM Number of Frames {} exceeds the maximum {}", value, kMaxFrames));
  }
  if (ec != std::errc() || ptr != end) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM Number of Frames '{}' is not a count", value));
  }
  return static_cast<std::uint32_t>(frames);
}

// The element holding the pixels: Pixel Data, or Float or Double Float Pixel Data (parametric maps); null
// where there is none.
DcmElement* pixel_element(DcmItem& dataset) {
  DcmElement* element = nullptr;
  for (const DcmTagKey& key : {DCM_PixelData, DCM_FloatPixelData, DCM_DoubleFloatPixelData}) {
    if (dataset.findAndGetElement(key, element).good()) return element;
  }
  return nullptr;
}

// The geometry the pixel module (or the Floating Point Image Pixel module, which has no Bits Stored, High
// Bit or Pixel Representation) describes.
Result<Geometry> read_geometry(DcmItem& dataset) {
  Geometry g;
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t rows, required_us(dataset, DCM_Rows));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t columns, required_us(dataset, DCM_Columns));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t samples, required_us(dataset, DCM_SamplesPerPixel));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t allocated, required_us(dataset, DCM_BitsAllocated));
  MEDCRYPT_ASSIGN_OR_RETURN(g.frames, number_of_frames(dataset));
  OFString photometric;
  dataset.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  g.photometric = trimmed(photometric);
  if (g.photometric.empty()) {
    return make_error(ErrorCode::kInvalidImage, "DICOM Photometric Interpretation (0028,0004) is missing");
  }
  if (samples != 1 && samples != 3) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("DICOM Samples per Pixel {} is not supported (1 or 3)", samples));
  }
  g.width = columns;
  g.height = rows;
  g.samples = static_cast<std::uint8_t>(samples);
  const bool single = dataset.tagExists(DCM_FloatPixelData);
  const bool dual = dataset.tagExists(DCM_DoubleFloatPixelData);
  if (single || dual) {
    if (dataset.tagExists(DCM_PixelData) || (single && dual)) {
      return make_error(ErrorCode::kInvalidImage, "DICOM data set has more than one kind of Pixel Data");
    }
    const std::uint16_t expected = single ? 32 : 64;
    if (allocated != expected) {
      return make_error(ErrorCode::kInvalidImage,
                        fmt::format("DICOM {} Pixel Data with Bits Allocated {} (expected {})",
                                    single ? "Float" : "Double Float", allocated, expected));
    }
    if (samples != 1) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("DICOM float pixel data with {} samples per pixel (expected 1)", samples));
    }
    g.bits_allocated = static_cast<std::uint8_t>(allocated);
    g.bits_stored = 0;  // floating point: the module has no Bits Stored
    MEDCRYPT_TRY(g.validate());
    return g;
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t stored, required_us(dataset, DCM_BitsStored));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t representation, required_us(dataset, DCM_PixelRepresentation));
  if (allocated != 1 && allocated != 8 && allocated != 16 && allocated != 32) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("DICOM Bits Allocated {} is not supported (1, 8, 16 or 32)", allocated));
  }
  if (stored < 1 || stored > allocated) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM Bits Stored {} does not fit Bits Allocated {}", stored, allocated));
  }
  if (representation > 1) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM Pixel Representation {} (expected 0 or 1)", representation));
  }
  if (allocated == 1 && samples != 1) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("DICOM 1-bit pixel data with {} samples per pixel (expected 1)", samples));
  }
  g.bits_allocated = static_cast<std::uint8_t>(allocated);
  g.bits_stored = static_cast<std::uint8_t>(stored);
  g.is_signed = representation == 1;
  MEDCRYPT_TRY(g.validate());
  return g;
}

Result<std::uint16_t> planar_configuration(DcmItem& dataset, const Geometry& g) {
  Uint16 planar = 0;
  if (g.samples == 1 || dataset.findAndGetUint16(DCM_PlanarConfiguration, planar).bad()) {
    return std::uint16_t{0};
  }
  if (planar > 1) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM Planar Configuration {} (expected 0 or 1)", planar));
  }
  return planar;
}

// Copies part of an element's value, from `offset` on, into `out`: in chunks, straight from the input where
// DCMTK left the value, 16-bit words little-endian whatever the input's byte order.
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

// How uncompressed Pixel Data stores an image's samples.
enum class StoredForm {
  kInterleaved,  // as the Image holds them (one sample, or colour by pixel)
  kPlanar,       // colour by plane, frame by frame (Planar Configuration 1)
  kYbr422,       // YBR_FULL_422: Y1 Y2 Cb Cr for each pair of pixels in a row (PS3.3 C.7.6.3.1.2)
  kPackedBits,   // 1-bit samples, eight to a byte, the first in the least significant bit (PS3.5 8.1.1)
};

// Bytes the samples of `g` take in Pixel Data stored in `form`, before any padding.
std::uint64_t stored_length(const Geometry& g, StoredForm form) {
  switch (form) {
    case StoredForm::kPackedBits: return (g.sample_count() + 7) / 8;
    case StoredForm::kYbr422: return g.pixels_per_frame() * g.frames * 2 * g.bytes_per_sample();
    case StoredForm::kInterleaved:
    case StoredForm::kPlanar: break;
  }
  return g.byte_size();
}

// The bits of stored byte `index` that hold samples: all, but in the last byte of packed bits only those of
// the samples that remain.
std::uint8_t sample_bits(const Geometry& g, StoredForm form, std::uint64_t index) {
  if (form != StoredForm::kPackedBits) return 0xff;
  const std::uint64_t first = index * 8;
  const std::uint64_t count = std::min<std::uint64_t>(8, g.sample_count() - std::min(first, g.sample_count()));
  return static_cast<std::uint8_t>((1u << count) - 1u);
}

// What lies in a Pixel Data value beside the samples (trailing padding, a pad byte that is not zero, unused
// bits of the last packed byte) is kept with the image as the value from this offset on: the even offset at
// or below the end of the last whole byte of samples, so that the kept part has whole 16-bit words (swapped as
// such in big endian) and even length (which DICOM values have).
std::uint64_t tail_start(const Geometry& g, StoredForm form, std::uint64_t stored) {
  const bool partial = stored > 0 && sample_bits(g, form, stored - 1) != 0xff;
  return (stored - (partial ? 1 : 0)) & ~std::uint64_t{1};
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

struct NativePixels {
  PixelBytes pixels;
  std::optional<Bytes> tail;  // the value from tail_start on, where it is not what the writer would make
};

// Native pixel data, copied into the image: interleaved data straight, colour by plane and YBR_FULL_422 a
// frame at a time through a frame's buffer, packed bits through a buffer of them (an eighth of the image).
// The value may hold more than the samples (trailing padding); what follows them is returned as the tail
// where the writer would not make it alike.
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

// Given to a Pixel Data element as where its value lives (createValueFromTempFile); must not outlive the
// image.
class PixelStreamFactory : public DcmInputStreamFactory {
 public:
  explicit PixelStreamFactory(const PixelLayout& layout) : layout_(layout) {}
  DcmInputStream* create() const override { return new PixelInputStream(layout_); }
  DcmInputStreamFactory* clone() const override { return new PixelStreamFactory(*this); }
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputFileStreamFactory; }

 private:
  PixelLayout layout_;
};

bool starts_jpeg2000(ByteView data) {
  static constexpr std::uint8_t kCodestream[] = {0xff, 0x4f, 0xff, 0x51};  // SOC, SIZ
  static constexpr std::uint8_t kJp2[] = {0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20};
  auto has = [&](std::span<const std::uint8_t> prefix) {
    return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
  };
  return has(kCodestream) || has(kJp2);
}

// Index of each frame's first fragment: from the Basic Offset Table when there is one; otherwise one
// fragment per frame when the counts match, else every fragment that starts a codestream (say
// starts_frame(index)) starts a frame. `offsets` are those of each fragment's item tag, counted from the
// first fragment's, as the offset table counts.
template <typename StartsFrame>
Result<std::vector<std::size_t>> frame_starts(ByteView offset_table,
                                              const std::vector<std::uint64_t>& offsets, std::uint32_t frames,
                                              StartsFrame&& starts_frame, std::string_view codec) {
  std::vector<std::size_t> starts;
  if (!offset_table.empty()) {
    if (offset_table.size() != std::size_t{frames} * 4) {
      return make_error(
          ErrorCode::kInvalidImage,
          fmt::format("DICOM Basic Offset Table has {} bytes for {} frames", offset_table.size(), frames));
    }
    for (std::uint32_t f = 0; f < frames; ++f) {
      const std::uint8_t* p = offset_table.data() + std::size_t{f} * 4;
      const std::uint64_t offset = p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint64_t{p[3]} << 24);
      const auto it = std::find(offsets.begin(), offsets.end(), offset);
      const auto index = static_cast<std::size_t>(it - offsets.begin());
      if (it == offsets.end() || (f == 0 && index != 0) || (f > 0 && index <= starts.back())) {
        return make_error(
            ErrorCode::kInvalidImage,
            fmt::format("DICOM Basic Offset Table entry {} ({}) is not a fragment in order", f, offset));
      }
      starts.push_back(index);
    }
  } else if (frames == 1) {
    starts.push_back(0);
  } else if (offsets.size() == frames) {
    for (std::size_t f = 0; f < frames; ++f) starts.push_back(f);
  } else {
    for (std::size_t i = 0; i < offsets.size(); ++i) {
      MEDCRYPT_ASSIGN_OR_RETURN(bool starts_here, starts_frame(i));
      if (starts_here) starts.push_back(i);
    }
    if (starts.size() != frames || starts.front() != 0) {
      return make_error(ErrorCode::kInvalidImage, fmt::format("cannot find {} {} frames in {} fragments",
                                                              frames, codec, offsets.size()));
    }
  }
  return starts;
}

Result<DcmPixelSequence*> pixel_sequence(DcmPixelData& pixel_data, E_TransferSyntax xfer) {
  DcmPixelSequence* sequence = nullptr;
  if (pixel_data.getEncapsulatedRepresentation(xfer, nullptr, sequence).bad() || sequence == nullptr) {
    return make_error(ErrorCode::kInvalidImage, "compressed DICOM Pixel Data is not encapsulated");
  }
  if (sequence->card() < 2) return make_error(ErrorCode::kInvalidImage, "DICOM Pixel Data has no fragments");
  return sequence;
}

// The value of item `index` (0 is the offset table), loaded if it was left in the input. The view lasts until
// release_item() or the dataset's end.
Result<ByteView> item_value(DcmPixelSequence& sequence, unsigned long index) {
  DcmPixelItem* item = nullptr;
  Uint8* data = nullptr;
  if (sequence.getItem(item, index).bad() || item == nullptr) {
    return make_error(ErrorCode::kInvalidImage, "unreadable DICOM Pixel Data fragment");
  }
  const Uint32 length = item->getLength();
  if (length > 0 && (item->getUint8Array(data).bad() || data == nullptr)) {
    return make_error(ErrorCode::kInvalidImage, "unreadable DICOM Pixel Data fragment");
  }
  return ByteView(data, length);
}

// Drops a loaded item value that can be loaded again from the input.
void release_item(DcmPixelSequence& sequence, unsigned long index) {
  DcmPixelItem* item = nullptr;
  if (sequence.getItem(item, index).good() && item != nullptr) item->compact();
}

// DCMTK 3.6.7's JPEG decoder walks the markers at the start of each frame to find its bit depth
// (DJCodecDecoder::scanJpegDataForBitDepth) and never steps past a TEM marker (FF 01): such data would hang
// it. This walks fragments the same way and says whether that walk ends, and where, if it does, the frame
// header (SOFn) is.
struct JpegMarkerWalk {
  bool ends = true;
  std::optional<std::size_t> frame_header;
};

JpegMarkerWalk walk_jpeg_markers(ByteView data) {
  std::size_t offset = 0;
  while (offset + 4 < data.size()) {
    const std::uint8_t marker = data[offset + 1];
    if (data[offset] != 0xff) return {};  // not a marker: DCMTK stops
    if (marker == 0x01) return {.ends = false, .frame_header = std::nullopt};  // TEM: DCMTK loops forever
    const bool start_of_frame =
        marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (start_of_frame) return {.ends = true, .frame_header = offset};
    if (marker >= 0xd0 && marker <= 0xd9) {
      offset += 2;  // RSTn, SOI, EOI
    } else if (marker == 0xff) {
      offset += 1;  // fill byte
    } else if (marker == 0xc4 || marker == 0xc8 || marker == 0xcc || marker >= 0xda) {
      offset += ((std::size_t{data[offset + 2]} << 8) | data[offset + 3]) + 2;  // a segment with a length
    } else if (marker > 0x02 && marker <= 0xbf) {
      offset += 2;  // reserved
    } else {
      return {};  // invalid marker: DCMTK stops
    }
  }
  return {};
}

struct JpegSize {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// The size a JPEG frame's header declares, where DCMTK's walk finds one whole.
std::optional<JpegSize> jpeg_size(ByteView data) {
  const auto header = walk_jpeg_markers(data).frame_header;
  if (!header || data.size() - *header < 9) return std::nullopt;
  // FF Cn, segment length (2), precision, lines (2), samples per line (2)
  const std::uint8_t* p = data.data() + *header;
  return JpegSize{.width = (std::uint32_t{p[7]} << 8) | p[8], .height = (std::uint32_t{p[5]} << 8) | p[6]};
}

bool is_dcmtk_jpeg(E_TransferSyntax xfer) { return xfer >= EXS_JPEGProcess1 && xfer <= EXS_JPEGProcess14SV1; }

// DCMTK's decoders (dcmdrle, dcmdjpeg, dcmdjpls) take at most one frame per fragment: where Number of Frames
// claims more frames than Pixel Data has fragments, they decode as many frames as there are fragments and set
// Number of Frames to that (GDCM and pydicom refuse such a file instead). medcrypt does as DCMTK does, and
// says so in a note.
std::uint32_t frames_in_fragments(const Geometry& geometry, DcmPixelSequence& sequence,
                                  std::vector<std::string>& notes) {
  const auto fragments = static_cast<std::uint32_t>(std::min<unsigned long>(sequence.card() - 1, UINT32_MAX));
  if (geometry.frames <= fragments) return geometry.frames;
  notes.push_back(fmt::format("Number of Frames is {} but Pixel Data holds only {} fragment(s); {} frame(s) "
                              "decoded and Number of Frames set to {}, as DCMTK's decoders do",
                              geometry.frames, fragments, fragments, fragments));
  return fragments;
}

// Decodes every frame of encapsulated pixel data into one buffer with decode_frame(stream, frame, out); a
// frame split over several fragments is decoded from their concatenation. A fragment is loaded when its frame
// is decoded and dropped after, as FrameDecoder does. The buffer is allocated once check_header(stream) has
// found the first frame's codestream header to agree with the geometry, so that a header claiming a larger
// image costs no memory.
template <typename CheckHeader, typename DecodeFrame>
Result<PixelBytes> decode_frames(DcmPixelSequence& sequence, const Geometry& geometry,
                                 bool (*starts_frame)(ByteView), std::string_view codec, CheckHeader&& check_header,
                                 DecodeFrame&& decode_frame) {
  MEDCRYPT_ASSIGN_OR_RETURN(ByteView offset_table, item_value(sequence, 0));  // always the offset table
  std::vector<std::uint64_t> offsets;
  std::uint64_t offset = 0;
  for (unsigned long i = 1; i < sequence.card(); ++i) {
    DcmPixelItem* item = nullptr;
    if (sequence.getItem(item, i).bad() || item == nullptr) {
      return make_error(ErrorCode::kInvalidImage, "unreadable DICOM Pixel Data fragment");
    }
    offsets.push_back(offset);
    offset += 8 + std::uint64_t{item->getLength()};  // item tag and length, then the value
  }
  auto starts_at = [&](std::size_t i) -> Result<bool> {
    MEDCRYPT_ASSIGN_OR_RETURN(ByteView fragment, item_value(sequence, i + 1));
    const bool starts = starts_frame(fragment);
    release_item(sequence, i + 1);
    return starts;
  };
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::size_t> starts,
                            frame_starts(offset_table, offsets, geometry.frames, starts_at, codec));

  PixelBytes pixels;
  const auto frame_bytes = static_cast<std::size_t>(geometry.frame_bytes());
  Bytes joined;
  for (std::size_t f = 0; f < starts.size(); ++f) {
    const std::size_t first = starts[f] + 1;  // items: 0 is the offset table
    const std::size_t end = f + 1 < starts.size() ? starts[f + 1] + 1 : offsets.size() + 1;
    const bool one_fragment = end - first == 1;
    ByteView stream;
    if (one_fragment) {
      MEDCRYPT_ASSIGN_OR_RETURN(stream, item_value(sequence, first));
    } else {
      joined.clear();
      for (std::size_t i = first; i < end; ++i) {
        MEDCRYPT_ASSIGN_OR_RETURN(ByteView fragment, item_value(sequence, i));
        joined.insert(joined.end(), fragment.begin(), fragment.end());
        release_item(sequence, i);
      }
      stream = joined;
    }
    Status decoded;
    if (f == 0) {
      decoded = check_header(stream);
      if (decoded) pixels.assign(static_cast<std::size_t>(geometry.byte_size()), 0);
    }
    if (decoded) decoded = decode_frame(stream, f, std::span(pixels).subspan(f * frame_bytes, frame_bytes));
    if (one_fragment) release_item(sequence, first);  // a joined frame's fragments are released already
    if (!decoded) {
      return make_error(decoded.error().code, fmt::format("frame {}: {}", f + 1, decoded.error().message));
    }
  }
  return pixels;
}

// Decodes JPEG 2000 pixel data. Updates the photometric interpretation (in the geometry and the dataset) when
// the codestream undid a colour transform.
Result<PixelBytes> decode_jpeg2000(DcmPixelData& pixel_data, E_TransferSyntax xfer, Geometry& geometry,
                                   DcmItem& dataset, std::vector<std::string>& notes) {
  MEDCRYPT_ASSIGN_OR_RETURN(DcmPixelSequence * sequence, pixel_sequence(pixel_data, xfer));
  bool colour_transform = false;
  auto decode_frame = [&](ByteView codestream, std::size_t f, std::span<std::uint8_t> out) -> Status {
    MEDCRYPT_ASSIGN_OR_RETURN(Jpeg2000Frame decoded, decode_jpeg2000_frame(codestream, geometry, out));
    if (f > 0 && decoded.colour_transform != colour_transform) {
      return make_error(ErrorCode::kInvalidImage, "JPEG 2000 frames disagree on the colour transform");
    }
    colour_transform = decoded.colour_transform;
    return {};
  };
  auto check_header = [&geometry](ByteView codestream) { return check_jpeg2000_header(codestream, geometry); };
  MEDCRYPT_ASSIGN_OR_RETURN(PixelBytes pixels, decode_frames(*sequence, geometry, starts_jpeg2000,
                                                             "JPEG 2000", check_header, decode_frame));
  if (colour_transform && (geometry.photometric == "YBR_RCT" || geometry.photometric == "YBR_ICT")) {
    notes.push_back(fmt::format("JPEG 2000 decoder converted {} to RGB", geometry.photometric));
    geometry.photometric = "RGB";
    if (dataset.putAndInsertString(DCM_PhotometricInterpretation, "RGB").bad()) {
      return make_error(ErrorCode::kInternal, "cannot update the Photometric Interpretation");
    }
  }
  return pixels;
}

// Decodes JPEG-LS pixel data and changes the attributes as DCMTK's JPEG-LS decoder would: at most one frame
// per fragment (Number of Frames rewritten to match), a Planar Configuration for colour (the stored one,
// else 1 only where the IOD asks for colour-by-plane) and Lossy Image Compression "01" for near-lossless.
Result<PixelBytes> decode_jpegls(DcmPixelData& pixel_data, E_TransferSyntax xfer, Geometry& geometry,
                                 DcmItem& dataset, std::vector<std::string>& notes) {
  MEDCRYPT_ASSIGN_OR_RETURN(DcmPixelSequence * sequence, pixel_sequence(pixel_data, xfer));
  const std::uint32_t frames = frames_in_fragments(geometry, *sequence, notes);
  if (geometry.frames > frames) {
    geometry.frames = frames;
    if (dataset.tagExists(DCM_NumberOfFrames) &&
        dataset.putAndInsertString(DCM_NumberOfFrames, std::to_string(frames).c_str()).bad()) {
      return make_error(ErrorCode::kInternal, "cannot set the DICOM Number of Frames");
    }
  }
  auto check_header = [&geometry](ByteView stream) { return check_jpegls_header(stream, geometry); };
  auto decode_frame = [&geometry](ByteView stream, std::size_t, std::span<std::uint8_t> out) {
    return decode_jpegls_frame(stream, geometry, out);
  };
  MEDCRYPT_ASSIGN_OR_RETURN(PixelBytes pixels, decode_frames(*sequence, geometry, starts_jpegls,
                                                             "JPEG-LS", check_header, decode_frame));
  Uint16 planar = 2;
  if (geometry.samples > 1 &&
      (dataset.findAndGetUint16(DCM_PlanarConfiguration, planar).bad() || planar > 1)) {
    OFString sop_class;
    dataset.findAndGetOFString(DCM_SOPClassUID, sop_class);
    const bool ultrasound =
        sop_class == UID_UltrasoundImageStorage || sop_class == UID_UltrasoundMultiframeImageStorage;
    const bool by_plane = sop_class == UID_RETIRED_HardcopyColorImageStorage ||
                          (geometry.photometric == "YBR_FULL" && ultrasound);
    if (dataset.putAndInsertUint16(DCM_PlanarConfiguration, by_plane ? 1 : 0).bad()) {
      return make_error(ErrorCode::kInternal, "cannot set the DICOM Planar Configuration");
    }
  }
  if (xfer == EXS_JPEGLSLossy && dataset.putAndInsertString(DCM_LossyImageCompression, "01").bad()) {
    return make_error(ErrorCode::kInternal, "cannot set the DICOM Lossy Image Compression");
  }
  return pixels;
}

// Refuses JPEG data that would hang DCMTK's decoder, a fragment at a time.
Status check_jpeg_markers(DcmPixelSequence& sequence) {
  for (unsigned long i = 1; i < sequence.card(); ++i) {
    MEDCRYPT_ASSIGN_OR_RETURN(ByteView fragment, item_value(sequence, i));
    const bool ends = walk_jpeg_markers(fragment).ends;
    release_item(sequence, i);
    if (!ends) {
      return make_error(ErrorCode::kInvalidImage,
                        "malformed JPEG in DICOM: a TEM marker (FF01) among the frame headers");
    }
  }
  return {};
}

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

// RLE Lossless (PS3.5 Annex G): a 64-byte header (the number of segments, then their offsets, 32-bit little
// endian), then a PackBits segment per byte of each sample, most significant byte first. Decodes one frame
// into `out`, samples interleaved, words little-endian, and says where in `data` the frame ended; nothing
// when the data ends first (the frame goes on in the next fragment).
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

// Decodes compressed frames in order into one frame's buffer: JPEG with DCMTK's codec, one frame
// at a time (getUncompressedFrame, which leaves the samples colour-by-plane where the dataset says so), RLE
// with decode_rle_frame (interleaved). Fragments are loaded as they are needed and dropped once decoded. A
// JPEG frame smaller than Rows x Columns gets a note in `notes`.
class FrameDecoder {
 public:
  FrameDecoder(DcmDataset& dataset, DcmPixelData& pixel_data, DcmPixelSequence& sequence,
               E_TransferSyntax xfer, const Geometry& geometry, std::vector<std::string>& notes)
      : dataset_(dataset),
        pixel_data_(pixel_data),
        sequence_(sequence),
        rle_(xfer == EXS_RLELossless),
        geometry_(geometry),
        name_(DcmXfer(xfer).getXferName()),
        notes_(notes),
        // Two bytes a sample, the most DCMTK's JPEG decoder writes whatever precision it finds, or the word
        // size of 32-bit RLE.
        buffer_(static_cast<std::size_t>(geometry.pixels_per_frame()) * geometry.samples *
                std::max<std::size_t>(2, geometry.bytes_per_sample())) {}

  // Decodes the next frame into frame(); says whether its samples are colour-by-plane.
  Result<bool> next() {
    const Uint32 first = next_item_;
    bool planar = false;
    if (rle_) {
      MEDCRYPT_TRY(next_rle());
    } else {
      // DCMTK's JPEG decoder insists on a Planar Configuration for colour; a whole-image decode does not.
      if (geometry_.samples > 1 && !dataset_.tagExists(DCM_PlanarConfiguration) &&
          dataset_.putAndInsertUint16(DCM_PlanarConfiguration, 0).bad()) {
        return make_error(ErrorCode::kInternal, "cannot set the DICOM Planar Configuration");
      }
      // A JPEG smaller than the frame fills only the frame's start, its rows one after another; DCMTK's
      // whole-image decode leaves the rest zero (its buffer starts zeroed), so the previous frame's pixels
      // must not stay there.
      std::fill(buffer_.begin(), buffer_.end(), std::uint8_t{0});
      OFString colour_model;
      const OFCondition status =
          pixel_data_.getUncompressedFrame(&dataset_, frame_, next_item_, buffer_.data(),
                                           static_cast<Uint32>(buffer_.size()), colour_model, nullptr);
      if (status.bad()) return failure(status.text());
      MEDCRYPT_ASSIGN_OR_RETURN(ByteView stream, item_value(sequence_, first));
      if (const auto size = jpeg_size(stream);
          size && (size->width != geometry_.width || size->height != geometry_.height)) {
        notes_.push_back(fmt::format("frame {}: JPEG covers {}x{} of {}x{}; its rows fill the frame's start "
                                     "and the rest is filled with zeros, as DCMTK does",
                                     frame_ + 1, size->width, size->height, geometry_.width,
                                     geometry_.height));
      }
      Uint16 configuration = 0;
      planar = geometry_.samples > 1 &&
               dataset_.findAndGetUint16(DCM_PlanarConfiguration, configuration).good() && configuration == 1;
    }
    for (Uint32 i = first; i < next_item_; ++i) release_item(sequence_, i);
    ++frame_;
    return planar;
  }
  const std::uint8_t* frame() const { return buffer_.data(); }
  // The item after the last fragment decoded so far (the offset table is item 0).
  Uint32 next_item() const { return next_item_; }

 private:
  // A frame normally fills one fragment. One split over several is decoded from their concatenation, tried
  // with twice as many fragments each time; the next frame starts after the fragment the frame ended in.
  Status next_rle() {
    const Uint32 first = next_item_;
    const auto items = static_cast<Uint32>(sequence_.card());
    std::vector<ByteView> parts;  // loaded until next() releases them
    Bytes joined;
    for (Uint32 count = 1;; count = std::min(2 * count, items - first)) {
      if (first >= items) return failure("the data ends inside the frame");
      while (parts.size() < count) {
        MEDCRYPT_ASSIGN_OR_RETURN(ByteView fragment,
                                  item_value(sequence_, first + static_cast<Uint32>(parts.size())));
        parts.push_back(fragment);
      }
      ByteView data = parts.front();
      if (parts.size() > 1) {
        joined.clear();
        for (ByteView part : parts) joined.insert(joined.end(), part.begin(), part.end());
        data = joined;
      }
      auto frame_end = decode_rle_frame(data, geometry_, buffer_.data());
      if (!frame_end) return failure(frame_end.error().message);
      if (*frame_end) {
        const std::size_t frame_bytes = std::max<std::size_t>(**frame_end, 1);
        std::size_t end = 0;
        Uint32 used = 0;
        while (used < parts.size() && end < frame_bytes) end += parts[used++].size();
        next_item_ = first + used;
        return {};
      }
      if (first + count >= items) return failure("the data ends inside the frame");
    }
  }
  Error failure(const std::string& why) const {
    const std::string frame = geometry_.frames > 1 ? fmt::format("frame {}: ", frame_ + 1) : "";
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("cannot decompress {} pixel data: {}{}", name_, frame, why));
  }

  DcmDataset& dataset_;
  DcmPixelData& pixel_data_;
  DcmPixelSequence& sequence_;
  bool rle_;
  Geometry geometry_;
  std::string name_;
  std::vector<std::string>& notes_;
  Bytes buffer_;
  Uint32 frame_ = 0;
  Uint32 next_item_ = 1;
};

// A copy of the file's attributes, everything but Pixel Data (taken out meanwhile, not copied).
Result<std::unique_ptr<DcmFileFormat>> copy_without_pixel_data(DcmFileFormat& file) {
  DcmDataset& dataset = *file.getDataset();
  std::unique_ptr<DcmElement> pixel_data(dataset.remove(DCM_PixelData));
  auto copy = std::make_unique<DcmFileFormat>(file);
  if (pixel_data != nullptr) {
    if (dataset.insert(pixel_data.get()).bad()) {
      return make_error(ErrorCode::kInternal, "cannot put DICOM Pixel Data back");
    }
    pixel_data.release();
  }
  return copy;
}

// Makes `attributes` (a copy without Pixel Data) what a whole-image decode by DCMTK (chooseRepresentation)
// leaves: the decoder may change Photometric Interpretation (YBR_FULL_422 -> RGB for JPEG), Samples per
// Pixel, Bits Allocated and Stored, High Bit, Planar Configuration and Lossy Image Compression, and writes
// Number of Frames. It is learnt by letting DCMTK decode the first frame (items 1 to first_end - 1) alone.
Status apply_decoder_changes(DcmFileFormat& attributes, E_TransferSyntax xfer, DcmPixelSequence& sequence,
                             Uint32 first_end, std::uint32_t frames) {
  DcmDataset& dataset = *attributes.getDataset();
  const bool has_frame_count = dataset.tagExists(DCM_NumberOfFrames);
  if (has_frame_count && dataset.putAndInsertString(DCM_NumberOfFrames, "1").bad()) {
    return make_error(ErrorCode::kInternal, "cannot set the DICOM Number of Frames");
  }
  auto first_frame = std::make_unique<DcmPixelSequence>(DcmTag(DCM_PixelSequenceTag));
  for (Uint32 i = 0; i < first_end; ++i) {
    auto item = std::make_unique<DcmPixelItem>(DcmTag(DCM_PixelItemTag));
    if (i > 0) {  // item 0 stays an empty offset table
      MEDCRYPT_ASSIGN_OR_RETURN(ByteView fragment, item_value(sequence, i));
      if (item->putUint8Array(fragment.data(), static_cast<unsigned long>(fragment.size())).bad()) {
        return make_error(ErrorCode::kInternal, "cannot copy a DICOM Pixel Data fragment");
      }
      release_item(sequence, i);
    }
    if (first_frame->insert(item.get()).bad()) {
      return make_error(ErrorCode::kInternal, "cannot copy a DICOM Pixel Data fragment");
    }
    item.release();
  }
  auto pixel_data = std::make_unique<DcmPixelData>(DcmTag(DCM_PixelData, EVR_OB));
  pixel_data->putOriginalRepresentation(xfer, nullptr, first_frame.release());
  if (dataset.insert(pixel_data.get()).bad()) {
    return make_error(ErrorCode::kInternal, "cannot store DICOM Pixel Data");
  }
  pixel_data.release();
  const OFCondition status = dataset.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
  if (status.bad() || !dataset.canWriteXfer(EXS_LittleEndianExplicit)) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("cannot decompress {} pixel data: {}",
                                                            DcmXfer(xfer).getXferName(), status.text()));
  }
  dataset.findAndDeleteElement(DCM_PixelData);
  if (has_frame_count &&
      dataset.putAndInsertString(DCM_NumberOfFrames, std::to_string(frames).c_str()).bad()) {
    return make_error(ErrorCode::kInternal, "cannot set the DICOM Number of Frames");
  }
  return {};
}

struct Decompressed {
  PixelBytes pixels;
  Geometry geometry;                          // of the decoded pixels
  std::unique_ptr<DcmFileFormat> attributes;  // as DCMTK's decoder leaves them, without Pixel Data
  bool planar = false;                        // the decoded attributes say colour-by-plane
};

// JPEG and RLE: decoded frame by frame straight into the image, with the attributes a whole-image
// decode would give (apply_decoder_changes).
Result<Decompressed> decompress(DcmFileFormat& file, DcmPixelData& pixel_data, E_TransferSyntax xfer,
                                const Geometry& geometry, std::vector<std::string>& notes) {
  MEDCRYPT_ASSIGN_OR_RETURN(DcmPixelSequence * sequence, pixel_sequence(pixel_data, xfer));
  if (is_dcmtk_jpeg(xfer)) MEDCRYPT_TRY(check_jpeg_markers(*sequence));
  const std::uint32_t frames = frames_in_fragments(geometry, *sequence, notes);
  Decompressed out;
  // Copied before the decoder below touches the dataset.
  MEDCRYPT_ASSIGN_OR_RETURN(out.attributes, copy_without_pixel_data(file));
  FrameDecoder decoder(*file.getDataset(), pixel_data, *sequence, xfer, geometry, notes);
  MEDCRYPT_ASSIGN_OR_RETURN(bool planar, decoder.next());
  MEDCRYPT_TRY(apply_decoder_changes(*out.attributes, xfer, *sequence, decoder.next_item(), frames));
  DcmDataset& attributes = *out.attributes->getDataset();
  MEDCRYPT_ASSIGN_OR_RETURN(out.geometry, read_geometry(attributes));
  const Geometry& g = out.geometry;
  if (g.width != geometry.width || g.height != geometry.height || g.samples != geometry.samples ||
      g.frames != frames) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("DICOM {} decoder changed the image geometry",
                                                            DcmXfer(xfer).getXferName()));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t stored_planar, planar_configuration(attributes, g));
  out.planar = stored_planar == 1;
  out.pixels.resize(static_cast<std::size_t>(g.byte_size()), 0);
  const auto frame_bytes = static_cast<std::size_t>(g.frame_bytes());
  for (std::uint32_t f = 0; f < frames; ++f) {
    if (f > 0) {
      MEDCRYPT_ASSIGN_OR_RETURN(planar, decoder.next());
    }
    std::uint8_t* target = out.pixels.data() + std::size_t{f} * frame_bytes;
    if (planar) {
      interleave_frame(decoder.frame(), target, g);
    } else {
      std::memcpy(target, decoder.frame(), frame_bytes);
    }
  }
  return out;
}

// Sets the pixel module attributes that differ from the geometry; values that agree stay untouched, so a
// file written back is attribute-for-attribute the file read.
Status apply_geometry(DcmItem& dataset, const Geometry& g) {
  auto set_us = [&dataset](const DcmTagKey& key, std::uint16_t value) -> Status {
    Uint16 current = 0;
    if (dataset.findAndGetUint16(key, current).good() && current == value) return {};
    if (dataset.putAndInsertUint16(key, value).bad()) {
      return make_error(ErrorCode::kInternal, fmt::format("cannot set DICOM {}", tag_name(key)));
    }
    return {};
  };
  auto set_string = [&dataset](const DcmTagKey& key, const std::string& value) -> Status {
    OFString current;
    if (dataset.findAndGetOFStringArray(key, current).good() && trimmed(current) == value) return {};
    if (dataset.putAndInsertString(key, value.c_str()).bad()) {
      return make_error(ErrorCode::kInternal, fmt::format("cannot set DICOM {}", tag_name(key)));
    }
    return {};
  };
  MEDCRYPT_TRY(set_us(DCM_Rows, static_cast<std::uint16_t>(g.height)));
  MEDCRYPT_TRY(set_us(DCM_Columns, static_cast<std::uint16_t>(g.width)));
  MEDCRYPT_TRY(set_us(DCM_SamplesPerPixel, g.samples));
  MEDCRYPT_TRY(set_us(DCM_BitsAllocated, g.bits_allocated));
  // The Floating Point Image Pixel module has no Bits Stored, High Bit or Pixel Representation.
  Uint16 stored = 0;
  if (!g.floating_point() && (dataset.findAndGetUint16(DCM_BitsStored, stored).bad() ||
                              stored != g.bits_stored || !dataset.tagExists(DCM_HighBit))) {
    MEDCRYPT_TRY(set_us(DCM_BitsStored, g.bits_stored));
    MEDCRYPT_TRY(set_us(DCM_HighBit, static_cast<std::uint16_t>(g.bits_stored - 1)));
  }
  if (!g.floating_point()) MEDCRYPT_TRY(set_us(DCM_PixelRepresentation, g.is_signed ? 1 : 0));
  MEDCRYPT_TRY(set_string(DCM_PhotometricInterpretation, g.photometric));
  if (g.frames > 1 || dataset.tagExists(DCM_NumberOfFrames)) {
    MEDCRYPT_TRY(set_string(DCM_NumberOfFrames, std::to_string(g.frames)));
  }
  if (g.samples == 3 && !dataset.tagExists(DCM_PlanarConfiguration)) {
    MEDCRYPT_TRY(set_us(DCM_PlanarConfiguration, 0));
  } else if (g.samples == 1) {
    dataset.findAndDeleteElement(DCM_PlanarConfiguration);
  }
  return {};
}

Status put(DcmItem& dataset, const DcmTagKey& key, const std::string& value) {
  if (dataset.putAndInsertString(key, value.c_str()).bad()) {
    return make_error(ErrorCode::kInternal, fmt::format("cannot set DICOM {}", tag_name(key)));
  }
  return {};
}

std::string new_uid(const char* root) {
  char uid[100];
  return dcmGenerateUniqueIdentifier(uid, root);
}

// CT Image Storage only fits single-frame 16-bit greyscale; anything else becomes Secondary Capture.
bool fits_ct(const Geometry& g) {
  return g.samples == 1 && g.bits_allocated == 16 && g.frames == 1 &&
         (g.photometric == "MONOCHROME1" || g.photometric == "MONOCHROME2");
}

const char* secondary_capture_class(const Geometry& g) {
  if (g.frames == 1 || g.floating_point() || g.bits_allocated == 32) return UID_SecondaryCaptureImageStorage;
  if (g.bits_allocated == 1) return UID_MultiframeSingleBitSecondaryCaptureImageStorage;
  if (g.samples == 1) {
    return g.bits_allocated == 8 ? UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage
                                 : UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage;
  }
  return g.bits_allocated == 8 ? UID_MultiframeTrueColorSecondaryCaptureImageStorage
                               : UID_SecondaryCaptureImageStorage;
}

bool valid_modality(std::string_view modality) {
  return !modality.empty() && modality.size() <= 16 &&
         std::all_of(modality.begin(), modality.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

Result<Bytes> build_new_attributes(std::string_view modality, const Geometry& g) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  const bool ct = modality == "CT" && fits_ct(g);
  OFString date;
  OFString time;
  DcmDate::getCurrentDate(date);
  DcmTime::getCurrentTime(time);
  const std::pair<DcmTagKey, std::string> values[] = {
      {DCM_SOPClassUID, ct ? UID_CTImageStorage : secondary_capture_class(g)},
      {DCM_SOPInstanceUID, new_uid(SITE_INSTANCE_UID_ROOT)},
      {DCM_StudyInstanceUID, new_uid(SITE_STUDY_UID_ROOT)},
      {DCM_SeriesInstanceUID, new_uid(SITE_SERIES_UID_ROOT)},
      {DCM_PatientName, "MEDCRYPT^DEMO"},
      {DCM_PatientID, "MEDCRYPT-DEMO"},
      {DCM_PatientBirthDate, ""},
      {DCM_PatientSex, "O"},
      {DCM_StudyDate, date.c_str()},
      {DCM_StudyTime, time.c_str()},
      {DCM_ContentDate, date.c_str()},
      {DCM_ContentTime, time.c_str()},
      {DCM_ReferringPhysicianName, ""},
      {DCM_StudyID, "1"},
      {DCM_AccessionNumber, ""},
      {DCM_Modality, std::string(modality)},
      {DCM_SeriesNumber, "1"},
      {DCM_InstanceNumber, "1"},
      {DCM_PatientOrientation, ""},
      {DCM_Manufacturer, "medcrypt"},
  };
  for (const auto& [key, value] : values) MEDCRYPT_TRY(put(ds, key, value));
  if (ct) {
    const std::pair<DcmTagKey, std::string> ct_values[] = {
        {DCM_ImageType, "DERIVED\\SECONDARY\\AXIAL"},
        {DCM_FrameOfReferenceUID, new_uid(SITE_INSTANCE_UID_ROOT)},
        {DCM_PositionReferenceIndicator, ""},
        {DCM_ImagePositionPatient, "0\\0\\0"},
        {DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0"},
        {DCM_PixelSpacing, "1\\1"},
        {DCM_SliceThickness, "1"},
        {DCM_RescaleIntercept, "0"},
        {DCM_RescaleSlope, "1"},
        {DCM_KVP, ""},
        {DCM_AcquisitionNumber, ""},
    };
    for (const auto& [key, value] : ct_values) MEDCRYPT_TRY(put(ds, key, value));
  } else {
    MEDCRYPT_TRY(put(ds, DCM_ConversionType, "WSD"));  // workstation: the image was made, not scanned
    if (g.frames > 1) {
      MEDCRYPT_TRY(put(ds, DCM_FrameTime, "1"));
      if (ds.putAndInsertTagKey(DCM_FrameIncrementPointer, DCM_FrameTime).bad()) {
        return make_error(ErrorCode::kInternal, "cannot set the DICOM Frame Increment Pointer");
      }
    }
  }
  MEDCRYPT_TRY(apply_geometry(ds, g));
  return serialize(file, EXS_LittleEndianExplicit, EET_ExplicitLength, true);
}

// Only group 0002 belongs in the File Meta Information. DCMTK reads on into the data set when the meta
// group length is too long, and keeps a stray element it finds there; written back with a group length that
// fits, such an element would be read as part of the data set, beside any element of the same tag. So it is
// moved into the data set now (or dropped, with a note, if the data set has its own). Then the group length
// is made to fit what the meta header holds: DCMTK also drops a repeated meta element without correcting
// it, and a meta header written back with a length too long would take the data set's first elements in
// (the DICOM fuzzer found both).
Status fix_meta_header(DcmFileFormat& file, std::vector<std::string>& notes) {
  DcmMetaInfo& meta = *file.getMetaInfo();
  DcmDataset& dataset = *file.getDataset();
  for (unsigned long i = meta.card(); i-- > 0;) {
    if (meta.getElement(i)->getGTag() == 0x0002) continue;
    std::unique_ptr<DcmElement> element(meta.remove(i));
    const std::string name = tag_name(element->getTag());
    if (dataset.tagExists(element->getTag())) {
      notes.push_back(
          fmt::format("dropped {} from the File Meta Information: the data set has its own", name));
      continue;
    }
    if (dataset.insert(element.get()).bad()) {
      return make_error(ErrorCode::kInternal, fmt::format("cannot move {} into the DICOM data set", name));
    }
    element.release();
    notes.push_back(fmt::format("moved {} from the File Meta Information into the data set", name));
  }
  Uint32 declared = 0;
  if (meta.findAndGetUint32(DCM_FileMetaInformationGroupLength, declared).bad()) return {};  // none to fix
  Uint32 fitting = 0;
  if (meta.computeGroupLengthAndPadding(EGL_recalcGL, EPD_noChange, EXS_LittleEndianExplicit).bad() ||
      meta.findAndGetUint32(DCM_FileMetaInformationGroupLength, fitting).bad()) {
    return make_error(ErrorCode::kInternal, "cannot update the DICOM File Meta Information Group Length");
  }
  if (fitting != declared) {
    notes.push_back(
        fmt::format("File Meta Information Group Length corrected from {} to {}", declared, fitting));
  }
  return {};
}

// The most the data of a compressed syntax can expand to when decoded (bytes out per byte in), and how much
// more a JPEG frame coded smaller than Rows x Columns may add as zero fill (see decompress). Checked against
// the declared geometry before any pixel memory is allocated, so that a header edited upward cannot make
// medcrypt allocate gigabytes for a small file.
struct ExpansionBound {
  std::uint64_t ratio = kMaxCompressionRatio;
  std::uint64_t zero_fill = 0;
};

ExpansionBound expansion_bound(E_TransferSyntax xfer) {
  constexpr std::uint64_t kJpegZeroFill = 64u << 20;
  switch (xfer) {
    case EXS_RLELossless:
      return {.ratio = 64};  // PackBits: a 2-byte run gives at most 128 bytes
    case EXS_JPEGProcess14:
    case EXS_JPEGProcess14SV1:
      // Lossless JPEG codes every sample, of at most 16 bits, with at least one bit.
      return {.ratio = 16, .zero_fill = kJpegZeroFill};
    default:
      break;
  }
  if (is_dcmtk_jpeg(xfer)) {
    // DCT JPEG codes every 8x8 block with at least one bit (the DC code; progressive AC scans can skip whole
    // runs of blocks), a chroma block covers at most 32x32 pixels (sampling factors up to 4), and words are
    // at most 2 bytes: under 2800 bytes out per byte in.
    return {.ratio = 4096, .zero_fill = kJpegZeroFill};
  }
  // JPEG-LS runs and JPEG 2000's empty code blocks have no useful bound; their headers are checked against
  // the geometry before decoding instead (decode_frames), and this ratio only stops the absurd.
  return {};
}

// Everything after parsing, whatever the input: checks, pixels (native, decompressed), attributes.
// `preamble` says whether the input began with the 128-byte preamble and "DICM".
Result<LoadedImage> load(DcmFileFormat& file, std::uint64_t input_size, bool preamble) {
  DcmDataset& dataset = *file.getDataset();
  LoadedImage loaded;
  loaded.format = FileFormat::kDicom;
  MEDCRYPT_TRY(fix_meta_header(file, loaded.notes));
  OFString syntax_uid;
  file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, syntax_uid);
  if (const std::string uid = trimmed_uid(syntax_uid);
      !uid.empty() && DcmXfer(uid.c_str()).getXfer() == EXS_Unknown) {
    return make_error(ErrorCode::kUnsupported, fmt::format("DICOM transfer syntax {} is not supported", uid));
  }
  const E_TransferSyntax original = dataset.getOriginalXfer();
  const DcmXfer xfer(original);

  DcmElement* element = pixel_element(dataset);
  if (element == nullptr) {
    return make_error(ErrorCode::kInvalidImage, "DICOM file has no Pixel Data (7FE0,0010)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Geometry geometry, read_geometry(dataset));
  if (!preamble) {
    loaded.notes.push_back(
        file.getMetaInfo()->card() == 0
            ? fmt::format("no File Meta Information: a bare data set ({}, as DCMTK detects it); it is written "
                          "back the same way",
                          xfer.getXferName())
            : "no 128-byte preamble and DICM prefix before the File Meta Information; it is written back the "
              "same way");
  }

  OFString modality;
  dataset.findAndGetOFString(DCM_Modality, modality);
  loaded.modality = trimmed(modality);
  const E_EncodingType encoding = encoding_of(dataset);
  DcmFileFormat* attributes = &file;  // what dicom_attributes is made from
  std::unique_ptr<DcmFileFormat> decoded_attributes;
  PixelBytes pixels;
  bool planar = false;
  if (!xfer.isEncapsulated()) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t stored_planar, planar_configuration(dataset, geometry));
    planar = stored_planar == 1;
    StoredForm form = planar ? StoredForm::kPlanar : StoredForm::kInterleaved;
    if (geometry.bits_allocated == 1) {
      form = StoredForm::kPackedBits;
      loaded.notes.push_back("1-bit pixels unpacked to one byte per sample (0 or 1); packed again when written "
                             "as DICOM");
    } else if (geometry.photometric.starts_with("YBR_PARTIAL_42")) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("uncompressed {} is not supported", geometry.photometric));
    } else if (geometry.photometric == "YBR_FULL_422" && geometry.samples == 3) {
      if (planar || geometry.width % 2 != 0) {
        return make_error(ErrorCode::kUnsupported,
                          fmt::format("uncompressed YBR_FULL_422 {} is not supported",
                                      planar ? "by plane (Planar Configuration 1)" : "with an odd number of "
                                                                                      "columns"));
      }
      form = StoredForm::kYbr422;
      loaded.notes.push_back("YBR_FULL_422 pixels (Y1 Y2 Cb Cr for each pair of pixels) expanded to Y Cb Cr for "
                             "every pixel, each pair sharing its Cb and Cr; packed again when written as DICOM");
    }
    MEDCRYPT_ASSIGN_OR_RETURN(NativePixels native, native_pixels(*element, geometry, form));
    pixels = std::move(native.pixels);
    // The writer makes Pixel Data (OB up to 8 bits, OW above) followed by a zero pad byte where needed; what
    // the file has otherwise, its VR or anything after the samples, stays in the attributes as a Pixel
    // Data element holding the value's end (from tail_start on), for the writer to put back.
    const DcmEVR default_vr = geometry.bits_allocated <= 8 ? EVR_OB : EVR_OW;
    const DcmEVR read_vr = element->getTag().getEVR();
    const DcmEVR vr = read_vr == EVR_OB || read_vr == EVR_OW ? read_vr : default_vr;
    const bool other_vr = element->getTag() == DCM_PixelData && xfer.isExplicitVR() && vr != default_vr;
    if (native.tail) {
      const std::uint64_t stored = stored_length(geometry, form);
      const std::uint64_t beyond = element->getLength() - stored;
      loaded.notes.push_back(
          beyond > stored % 2
              ? fmt::format("Pixel Data holds {} bytes after the {} its samples take; they are kept and written "
                            "back after the pixels",
                            beyond, stored)
              : "Pixel Data's padding after its samples is not zero; it is kept and written back");
    }
    std::unique_ptr<DcmElement> read(dataset.remove(element));
    if (native.tail || other_vr) {
      auto kept = std::make_unique<DcmPixelData>(DcmTag(DCM_PixelData, vr));
      const ByteView tail = native.tail ? ByteView(*native.tail) : ByteView();
      if (kept->putUint8Array(tail.data(), static_cast<unsigned long>(tail.size())).bad() ||
          dataset.insert(kept.get()).bad()) {
        return make_error(ErrorCode::kInternal, "cannot keep the end of DICOM Pixel Data");
      }
      kept.release();
    }
  } else {
    auto* pixel_data = dynamic_cast<DcmPixelData*>(element);
    if (pixel_data == nullptr || geometry.floating_point()) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("DICOM float pixel data in {} is not supported", xfer.getXferName()));
    }
    // 1-bit frames travel in JPEG 2000 (binary segmentations); JPEG and JPEG-LS cannot hold them, and RLE's
    // byte segments for packed bits are something no peer writes.
    const bool one_bit_jpeg2000 = geometry.bits_allocated == 1 && is_jpeg2000(original);
    if ((geometry.bits_allocated == 1 && !one_bit_jpeg2000) ||
        (geometry.bits_allocated == 32 && original != EXS_RLELossless)) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("{}-bit samples in {} are not supported", geometry.bits_allocated,
                                    xfer.getXferName()));
    }
    if (one_bit_jpeg2000) {
      loaded.notes.push_back("1-bit pixels decoded to one byte per sample (0 or 1); packed when written as DICOM");
    }
    MEDCRYPT_ASSIGN_OR_RETURN(DcmPixelSequence * sequence, pixel_sequence(*pixel_data, original));
    std::uint64_t compressed = 0;
    for (unsigned long i = 1; i < sequence->card(); ++i) {
      DcmPixelItem* item = nullptr;
      if (sequence->getItem(item, i).good() && item != nullptr) compressed += item->getLength();
    }
    const ExpansionBound bound = expansion_bound(original);
    if (geometry.byte_size() > std::min(input_size, compressed) * bound.ratio + bound.zero_fill) {
      return make_error(ErrorCode::kLimits,
                        fmt::format("DICOM header claims {} bytes of pixels, implausible for {} bytes of {} data "
                                    "(at most {}:1{})",
                                    geometry.byte_size(), compressed, xfer.getXferName(), bound.ratio,
                                    bound.zero_fill > 0 ? " plus zero fill" : ""));
    }
    loaded.notes.push_back(
        fmt::format("{} pixel data decompressed; it is written back as Explicit VR Little "
                    "Endian",
                    xfer.getXferName()));
    if (is_jpeg2000(original)) {
      MEDCRYPT_ASSIGN_OR_RETURN(pixels,
                                decode_jpeg2000(*pixel_data, original, geometry, dataset, loaded.notes));
    } else if (is_jpegls(original)) {
      MEDCRYPT_ASSIGN_OR_RETURN(pixels, decode_jpegls(*pixel_data, original, geometry, dataset, loaded.notes));
      MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t stored_planar, planar_configuration(dataset, geometry));
      planar = stored_planar == 1;
    } else {
      if (!DcmCodecList::canChangeCoding(original, EXS_LittleEndianExplicit)) {
        return make_error(ErrorCode::kUnsupported,
                          fmt::format("DICOM transfer syntax {} ({}) cannot be decoded", xfer.getXferName(),
                                      xfer.getXferID()));
      }
      MEDCRYPT_ASSIGN_OR_RETURN(Decompressed decompressed,
                                decompress(file, *pixel_data, original, geometry, loaded.notes));
      if (decompressed.geometry.photometric != geometry.photometric) {
        loaded.notes.push_back(fmt::format("decoder converted {} to {}", geometry.photometric,
                                           decompressed.geometry.photometric));
      }
      pixels = std::move(decompressed.pixels);
      geometry = std::move(decompressed.geometry);
      planar = decompressed.planar;
      decoded_attributes = std::move(decompressed.attributes);
      attributes = decoded_attributes.get();
    }
    attributes->getDataset()->findAndDeleteElement(DCM_PixelData);
  }
  if (planar) loaded.notes.push_back("colour-by-plane pixels (Planar Configuration 1) interleaved");
  // A deflated data set is kept inflated, in the syntax it is written back in (Explicit VR Little Endian), so
  // that writing never inflates attributes again.
  const bool deflated = original == EXS_DeflatedLittleEndianExplicit;
  MEDCRYPT_ASSIGN_OR_RETURN(loaded.dicom_attributes, serialize(*attributes, deflated ? EXS_LittleEndianExplicit
                                                                                     : original,
                                                               encoding, preamble));
  // Written back without a preamble, the file must be recognised again as it was (starts_dicom_stream):
  // DCMTK may have put its elements in another order than the file's (an element out of order, a group
  // length of an illegal group), and a file that opens otherwise would be "unrecognised" once restored.
  if (!preamble && !starts_dicom_stream(loaded.dicom_attributes)) {
    return make_error(ErrorCode::kInvalidImage,
                      "DICOM file without a preamble whose elements, as DCMTK orders them, no longer open as "
                      "a DICOM stream (group 0002 or 0008 first, tags ascending)");
  }
  if (deflated) {
    const std::uint64_t allowed = geometry.byte_size() + kMaxInflatedAttributesBeyondPixels;
    if (loaded.dicom_attributes.size() > allowed) {
      return make_error(ErrorCode::kLimits,
                        fmt::format("deflated DICOM attributes inflate to {} bytes, more than the {} allowed "
                                    "beside {} bytes of pixels",
                                    loaded.dicom_attributes.size(), allowed, geometry.byte_size()));
    }
    loaded.notes.push_back(
        "Deflated Explicit VR Little Endian data set inflated; it is written back as Explicit VR Little "
        "Endian");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(loaded.image, Image::from_bytes(std::move(geometry), std::move(pixels)));
  return loaded;
}

// The first elements of a DICOM stream without a preamble, read in one encoding: enough of them parse, with
// even groups first, ascending tags, known VRs where explicit and even lengths, to tell DICOM from other data.
bool stream_parses_as(ByteView head, bool explicit_vr, bool little_endian) {
  static constexpr std::string_view kVrs =
      "AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV";
  static constexpr std::string_view kLongVrs = "OB OD OF OL OV OW SQ UC UN UR UT SV UV";
  auto u16 = [&](std::size_t at) {
    return little_endian ? static_cast<std::uint32_t>(head[at] | (head[at + 1] << 8))
                         : static_cast<std::uint32_t>((head[at] << 8) | head[at + 1]);
  };
  auto u32 = [&](std::size_t at) {
    return little_endian ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  };
  std::uint64_t at = 0;
  std::uint32_t previous = 0;
  int elements = 0;
  while (at + 8 <= head.size() && elements < 4) {
    const std::uint32_t group = u16(static_cast<std::size_t>(at));
    const std::uint32_t tag = (group << 16) | u16(static_cast<std::size_t>(at) + 2);
    // A meta header (only ever explicit VR little endian), or a data set opening with the identifying group.
    if (elements == 0 && !(group == 0x0008 || (group == 0x0002 && explicit_vr && little_endian))) return false;
    if (elements > 0 && tag <= previous) return false;
    previous = tag;
    std::uint64_t length = 0;
    std::uint64_t header = 8;
    if (explicit_vr) {
      const std::string_view vr(reinterpret_cast<const char*>(head.data() + at + 4), 2);
      if (vr[0] < 'A' || vr[0] > 'Z' || kVrs.find(vr) == std::string_view::npos) return false;
      if (kLongVrs.find(vr) != std::string_view::npos) {
        if (at + 12 > head.size()) break;
        if (head[at + 6] != 0 || head[at + 7] != 0) return false;  // reserved bytes
        length = u32(static_cast<std::size_t>(at) + 8);
        header = 12;
      } else {
        length = u16(static_cast<std::size_t>(at) + 6);
      }
    } else {
      length = u32(static_cast<std::size_t>(at) + 4);
    }
    ++elements;
    if (length == 0xffffffff) break;  // a sequence of undefined length: its items follow
    if (length % 2 != 0) return false;
    at += header + length;
  }
  // Two elements agree with DICOM, or one fills the whole (short) input exactly.
  return elements >= 2 || (elements == 1 && at == head.size());
}

}  // namespace

bool starts_dicom_stream(ByteView head) {
  return stream_parses_as(head, true, true) || stream_parses_as(head, false, true) ||
         stream_parses_as(head, true, false);
}

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

Result<LoadedImage> read_dicom(ByteView bytes) {
  initialise_dcmtk();
  DcmFileFormat file;
  MemoryInputStream stream(bytes);
  MEDCRYPT_TRY(parse_file(file, stream, bytes.size()));
  return load(file, bytes.size(), has_preamble(bytes));
}

Result<LoadedImage> read_dicom_file(const std::filesystem::path& path) {
  initialise_dcmtk();
  std::error_code error;
  const std::uint64_t size = std::filesystem::file_size(path, error);
  if (error) return make_error(ErrorCode::kIo, fmt::format("cannot read the file size: {}", error.message()));
  DcmFileFormat file;
  FileInputStream stream(path);
  if (stream.status().bad()) {
    return make_error(ErrorCode::kIo, fmt::format("cannot open the file: {}", stream.status().text()));
  }
  std::ifstream head_stream(path, std::ios::binary);
  std::array<std::uint8_t, kPreambleBytes> head{};
  head_stream.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  const auto head_bytes = static_cast<std::size_t>(std::max<std::streamsize>(head_stream.gcount(), 0));
  MEDCRYPT_TRY(parse_file(file, stream, size));
  return load(file, size, has_preamble(ByteView(head.data(), head_bytes)));
}

// Whether every pair of pixels in each row shares its Cb and Cr, as YBR_FULL_422 stores them.
bool chroma_pairs_agree(const Image& image) {
  const Geometry& g = image.geometry();
  if (g.width % 2 != 0) return false;
  const std::size_t word = g.bytes_per_sample();
  const std::size_t pixel = 3 * word;
  const ByteView bytes = image.bytes();
  for (std::size_t at = 0; at < bytes.size(); at += 2 * pixel) {
    if (std::memcmp(bytes.data() + at + word, bytes.data() + at + pixel + word, 2 * word) != 0) return false;
  }
  return true;
}

Status write_dicom(const Image& image, ByteView dicom_attributes, const ByteSink& sink) {
  initialise_dcmtk();
  Geometry g = image.geometry();
  Bytes fresh;
  if (dicom_attributes.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(fresh, new_dicom_attributes("OT", g));
    dicom_attributes = fresh;
  }
  DcmFileFormat file;
  MemoryInputStream stream(dicom_attributes);
  // Attributes that come deflated (from a container made before they were kept inflated, or a crafted one)
  // may inflate as far as a file read may (load): the pixels' size plus a margin.
  stream.limit_inflation(g.byte_size() + kMaxInflatedAttributesBeyondPixels);
  if (auto parsed = parse_file(file, stream, dicom_attributes.size()); !parsed) {
    return make_error(parsed.error().code, fmt::format("DICOM attributes: {}", parsed.error().message));
  }
  DcmDataset& dataset = *file.getDataset();
  // The original syntax, from the stored meta header: native ones are kept, compressed ones become
  // Explicit VR Little Endian since the pixels are written uncompressed.
  const E_TransferSyntax original = dataset.getOriginalXfer();
  const E_TransferSyntax output = is_native(original) ? original : EXS_LittleEndianExplicit;
  const E_EncodingType encoding = encoding_of(dataset);

  // What a file read kept of its Pixel Data (the VR, the value's end: see load) applies to the image read
  // with it, not to another (a cipher image, say).
  DcmEVR vr = g.bits_allocated <= 8 ? EVR_OB : EVR_OW;
  Bytes tail;
  if (DcmElement* kept = pixel_element(dataset); kept != nullptr && kept->getTag() == DCM_PixelData) {
    if (const auto described = read_geometry(dataset); described && *described == g) {
      vr = kept->getTag().getEVR() == EVR_OB ? EVR_OB : EVR_OW;
      tail.resize(kept->getLength());
      DcmFileCache cache;
      MEDCRYPT_TRY(read_value(*kept, cache, 0, tail));
    }
  }
  for (const DcmTagKey& key : {DCM_PixelData, DCM_FloatPixelData, DCM_DoubleFloatPixelData}) {
    dataset.findAndDeleteElement(key);
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t planar, planar_configuration(dataset, g));
  StoredForm form = planar == 1 ? StoredForm::kPlanar : StoredForm::kInterleaved;
  if (g.bits_allocated == 1) {
    form = StoredForm::kPackedBits;
  } else if (g.photometric == "YBR_FULL_422" && g.samples == 3) {
    // Samples read from YBR_FULL_422 go back as they came; any others (a cipher image, say) cannot be
    // subsampled without loss, so they are written whole, as YBR_FULL.
    if (planar == 0 && chroma_pairs_agree(image)) {
      form = StoredForm::kYbr422;
    } else {
      g.photometric = "YBR_FULL";
    }
  }
  MEDCRYPT_TRY(apply_geometry(dataset, g));
  const std::uint64_t stored = stored_length(g, form);
  PixelLayout layout{.pixels = image.bytes(),
                     .geometry = g,
                     .form = form,
                     .stored = stored,
                     .tail = tail,
                     .length = tail.empty() ? stored + stored % 2 : tail_start(g, form, stored) + tail.size()};
  if (layout.length > kMaxValueLength || layout.length < stored) {
    return make_error(ErrorCode::kLimits, fmt::format("{} bytes of pixels exceed the {} a DICOM Pixel Data "
                                                      "value can hold",
                                                      layout.length, kMaxValueLength));
  }
  // The element reads its value from the image as DCMTK writes it: no copy of the pixels is made.
  std::unique_ptr<DcmElement> pixel_data;
  if (!g.floating_point()) {
    pixel_data = std::make_unique<DcmPixelData>(DcmTag(DCM_PixelData, vr));
  } else if (g.bits_allocated == 32) {
    pixel_data = std::make_unique<DcmOtherFloat>(DcmTag(DCM_FloatPixelData, EVR_OF));
  } else {
    pixel_data = std::make_unique<DcmOtherDouble>(DcmTag(DCM_DoubleFloatPixelData, EVR_OD));
  }
  auto factory = std::make_unique<PixelStreamFactory>(layout);
  if (pixel_data->createValueFromTempFile(factory.get(), static_cast<Uint32>(layout.length), EBO_LittleEndian)
          .bad()) {
    return make_error(ErrorCode::kInternal, "cannot store DICOM Pixel Data");
  }
  factory.release();  // the element owns it now
  if (dataset.insert(pixel_data.get(), true).bad()) {
    return make_error(ErrorCode::kInternal, "cannot store DICOM Pixel Data");
  }
  pixel_data.release();  // the dataset owns it now
  return serialize(file, output, encoding, has_preamble(dicom_attributes), sink);
}

}  // namespace internal

Result<Bytes> new_dicom_attributes(std::string_view modality, const Geometry& geometry) {
  MEDCRYPT_TRY(geometry.validate());
  if (!internal::valid_modality(modality)) {
    return make_error(ErrorCode::kUsage,
                      fmt::format("invalid DICOM modality '{}' (A-Z, 0-9, _; at most 16)", modality));
  }
  try {
    internal::initialise_dcmtk();
    return internal::build_new_attributes(modality, geometry);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimits, "out of memory while making DICOM attributes");
  } catch (...) {
    return make_error(ErrorCode::kInternal, "unexpected error while making DICOM attributes");
  }
}

}  // namespace medcrypt::image
