// DICOM through DCMTK: dcmdata parses and writes, its JPEG, JPEG-LS and RLE codecs decompress, and
// jpeg2000.cpp (OpenJPEG) decodes the JPEG 2000 syntaxes DCMTK cannot. Pixels are the stored words exactly
// as decoded: no masking of unused high bits, no rescaling, colour converted only where a decoder does it.
#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "image/internal/codecs.hpp"
#include "image/internal/jpeg2000.hpp"

namespace medcrypt::image {
namespace internal {
namespace {

// Compressed pixel data may expand at most this much. No real image comes close; a tiny file whose header
// claims gigabytes of frames does, and would otherwise make the decoder allocate them.
constexpr std::uint64_t kMaxCompressionRatio = 65536;
// DCMTK's output stream writes into a fixed buffer and hands it back whenever it is full.
constexpr std::size_t kWriteChunk = 1 << 16;

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
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

std::string tag_name(const DcmTagKey& key) {
  DcmTag tag(key);
  return fmt::format("{} {}", tag.getTagName(), key.toString().c_str());
}

// DCMTK allocates an element's declared length before reading its value, unless the stream can hand out
// a factory for reading the value later: then it first skips the value, which fails for a length running
// past the end. A plain buffer stream has no factory, so a 4 GB length in a tiny file would cost 4 GB;
// this one has, so memory stays bounded by the input.
class MemoryInputStream : public DcmInputBufferStream {
 public:
  explicit MemoryInputStream(ByteView data) : data_(data), raw_producer_(currentProducer()) {
    setBuffer(data.data(), static_cast<offile_off_t>(data.size()));
    setEos();
  }
  DcmInputStreamFactory* newFactory() const override;
  // Where the value of the element DCMTK most recently deferred starts, if any: parse_file uses it to say
  // by how much a value overruns the data.
  std::optional<std::uint64_t> last_deferred_value() const { return last_deferred_value_; }

 private:
  ByteView data_;
  const DcmProducer* raw_producer_;  // positions mean nothing once a deflate filter is installed
  mutable std::optional<std::uint64_t> last_deferred_value_;
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

// Parses a whole Part 10 stream held in memory; `bytes` must outlive `file` (values load lazily).
Status parse_file(DcmFileFormat& file, ByteView bytes) {
  MemoryInputStream stream(bytes);
  file.transferInit();
  const OFCondition status = file.read(stream);
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
    } else if (!last->valueLoaded() && deferred && *deferred + declared > bytes.size()) {
      message = fmt::format("truncated DICOM: {} declares {} bytes but only {} remain",
                            tag_name(last->getTag()), declared, bytes.size() - *deferred);
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

// Writes the file (meta header and dataset) into memory in `xfer`. An existing meta header is written as
// read but for the Transfer Syntax UID (DCMTK's other modes would also rewrite the Implementation Class
// UID and Version Name); without one, DCMTK makes a fresh one.
Result<Bytes> serialize(DcmFileFormat& file, E_TransferSyntax xfer, E_EncodingType encoding) {
  DcmMetaInfo& meta = *file.getMetaInfo();
  E_FileWriteMode mode = EWM_fileformat;
  if (meta.card() > 0) {
    MEDCRYPT_TRY(set_meta_transfer_syntax(meta, xfer));
    mode = EWM_dontUpdateMeta;
  }
  Bytes out;
  std::vector<std::uint8_t> chunk(kWriteChunk);
  DcmOutputBufferStream stream(chunk.data(), static_cast<offile_off_t>(chunk.size()));
  file.transferInit();
  OFCondition status;
  do {
    status = file.write(stream, xfer, encoding, nullptr, EGL_recalcGL, EPD_noChange, 0, 0, 0, mode);
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    const auto* begin = static_cast<const std::uint8_t*>(data);
    out.insert(out.end(), begin, begin + length);
  } while (status == EC_StreamNotifyClient);
  file.transferEnd();
  if (status.bad()) {
    return make_error(ErrorCode::kInternal, fmt::format("DICOM encoding failed: {}", status.text()));
  }
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

Result<Geometry> read_geometry(DcmItem& dataset) {
  Geometry g;
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t rows, required_us(dataset, DCM_Rows));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t columns, required_us(dataset, DCM_Columns));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t samples, required_us(dataset, DCM_SamplesPerPixel));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t allocated, required_us(dataset, DCM_BitsAllocated));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t stored, required_us(dataset, DCM_BitsStored));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t representation, required_us(dataset, DCM_PixelRepresentation));
  MEDCRYPT_ASSIGN_OR_RETURN(g.frames, number_of_frames(dataset));
  OFString photometric;
  dataset.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  g.photometric = trimmed(photometric);
  if (g.photometric.empty()) {
    return make_error(ErrorCode::kInvalidImage, "DICOM Photometric Interpretation (0028,0004) is missing");
  }
  if (allocated != 8 && allocated != 16) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("DICOM Bits Allocated {} is not supported (8 or 16)", allocated));
  }
  if (samples != 1 && samples != 3) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("DICOM Samples per Pixel {} is not supported (1 or 3)", samples));
  }
  if (stored < 1 || stored > allocated) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM Bits Stored {} does not fit Bits Allocated {}", stored, allocated));
  }
  if (representation > 1) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM Pixel Representation {} (expected 0 or 1)", representation));
  }
  g.width = columns;
  g.height = rows;
  g.samples = static_cast<std::uint8_t>(samples);
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

// Converts between colour-by-plane (R...R G...G B...B per frame) and interleaved samples.
Bytes reorder_planes(ByteView in, const Geometry& g, bool to_planar) {
  Bytes out(in.size());
  const std::size_t word = g.bytes_per_sample();
  const auto pixels = static_cast<std::size_t>(g.pixels_per_frame());
  const auto frame_bytes = static_cast<std::size_t>(g.frame_bytes());
  for (std::size_t f = 0; f < g.frames; ++f) {
    const std::uint8_t* src = in.data() + f * frame_bytes;
    std::uint8_t* dst = out.data() + f * frame_bytes;
    for (std::size_t c = 0; c < g.samples; ++c) {
      for (std::size_t i = 0; i < pixels; ++i) {
        const std::size_t planar = (c * pixels + i) * word;
        const std::size_t interleaved = (i * g.samples + c) * word;
        std::memcpy(dst + (to_planar ? planar : interleaved), src + (to_planar ? interleaved : planar), word);
      }
    }
  }
  return out;
}

// Native (or natively decompressed) pixel data: DCMTK hands 16-bit words over in host (little-endian) order.
Result<Bytes> native_pixels(DcmPixelData& pixel_data, const Geometry& g) {
  const std::uint64_t needed = g.byte_size();
  const std::uint64_t length = pixel_data.getLength();
  // A value of odd length carries one pad byte.
  if (length != needed && !(needed % 2 == 1 && length == needed + 1)) {
    return make_error(
        ErrorCode::kInvalidImage,
        fmt::format("DICOM Pixel Data holds {} bytes, but {} frame(s) of {}x{}x{} {}-bit samples "
                    "need {}",
                    length, g.frames, g.width, g.height, g.samples, g.bits_allocated, needed));
  }
  const std::uint8_t* data = nullptr;
  if (g.bits_allocated == 8) {
    Uint8* bytes = nullptr;
    if (pixel_data.getUint8Array(bytes).good()) data = bytes;
  } else {
    Uint16* words = nullptr;
    if (pixel_data.getUint16Array(words).good()) data = reinterpret_cast<const std::uint8_t*>(words);
  }
  if (data == nullptr) return make_error(ErrorCode::kInvalidImage, "DICOM Pixel Data has no readable value");
  return Bytes(data, data + needed);
}

struct Fragment {
  ByteView data;
  std::uint64_t offset = 0;  // of its item tag, counted from the first fragment's, as the offset table does
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
// fragment per frame when the counts match, else every fragment that starts a codestream starts a frame.
Result<std::vector<std::size_t>> frame_starts(ByteView offset_table, const std::vector<Fragment>& fragments,
                                              std::uint32_t frames) {
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
      auto it = std::find_if(fragments.begin(), fragments.end(),
                             [&](const Fragment& fr) { return fr.offset == offset; });
      const auto index = static_cast<std::size_t>(it - fragments.begin());
      if (it == fragments.end() || (f == 0 && index != 0) || (f > 0 && index <= starts.back())) {
        return make_error(
            ErrorCode::kInvalidImage,
            fmt::format("DICOM Basic Offset Table entry {} ({}) is not a fragment in order", f, offset));
      }
      starts.push_back(index);
    }
  } else if (frames == 1) {
    starts.push_back(0);
  } else if (fragments.size() == frames) {
    for (std::size_t f = 0; f < frames; ++f) starts.push_back(f);
  } else {
    for (std::size_t i = 0; i < fragments.size(); ++i) {
      if (starts_jpeg2000(fragments[i].data)) starts.push_back(i);
    }
    if (starts.size() != frames || starts.front() != 0) {
      return make_error(
          ErrorCode::kInvalidImage,
          fmt::format("cannot find {} JPEG 2000 frames in {} fragments", frames, fragments.size()));
    }
  }
  return starts;
}

struct Encapsulated {
  ByteView offset_table;  // the Basic Offset Table, possibly empty
  std::vector<Fragment> fragments;
};

// The items of encapsulated Pixel Data, as views into the dataset.
Result<Encapsulated> encapsulated_items(DcmPixelData& pixel_data, E_TransferSyntax xfer) {
  DcmPixelSequence* sequence = nullptr;
  if (pixel_data.getEncapsulatedRepresentation(xfer, nullptr, sequence).bad() || sequence == nullptr) {
    return make_error(ErrorCode::kInvalidImage, "compressed DICOM Pixel Data is not encapsulated");
  }
  Encapsulated items;
  std::uint64_t offset = 0;
  for (unsigned long i = 0; i < sequence->card(); ++i) {
    DcmPixelItem* item = nullptr;
    Uint8* data = nullptr;
    if (sequence->getItem(item, i).bad() || item == nullptr) {
      return make_error(ErrorCode::kInvalidImage, "unreadable DICOM Pixel Data fragment");
    }
    const Uint32 length = item->getLength();
    if (length > 0 && (item->getUint8Array(data).bad() || data == nullptr)) {
      return make_error(ErrorCode::kInvalidImage, "unreadable DICOM Pixel Data fragment");
    }
    const ByteView view(data, length);
    if (i == 0) {
      items.offset_table = view;  // the first item is always the offset table
      continue;
    }
    items.fragments.push_back({view, offset});
    offset += 8 + std::uint64_t{length};  // item tag and length, then the value
  }
  if (items.fragments.empty()) {
    return make_error(ErrorCode::kInvalidImage, "DICOM Pixel Data has no fragments");
  }
  return items;
}

// DCMTK 3.6.7's JPEG decoder walks the markers at the start of each frame to find its bit depth
// (DJCodecDecoder::scanJpegDataForBitDepth) and never steps past a TEM marker (FF 01): such data would hang
// it. This walks fragments the same way and says whether that walk ends.
bool dcmtk_jpeg_marker_walk_ends(ByteView data) {
  std::size_t offset = 0;
  while (offset + 4 < data.size()) {
    const std::uint8_t marker = data[offset + 1];
    if (data[offset] != 0xff) return true;  // not a marker: DCMTK stops
    if (marker == 0x01) return false;       // TEM: DCMTK loops forever
    const bool start_of_frame =
        marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (start_of_frame) return true;
    if (marker >= 0xd0 && marker <= 0xd9) {
      offset += 2;  // RSTn, SOI, EOI
    } else if (marker == 0xff) {
      offset += 1;  // fill byte
    } else if (marker == 0xc4 || marker == 0xc8 || marker == 0xcc || marker >= 0xda) {
      offset += ((std::size_t{data[offset + 2]} << 8) | data[offset + 3]) + 2;  // a segment with a length
    } else if (marker > 0x02 && marker <= 0xbf) {
      offset += 2;  // reserved
    } else {
      return true;  // invalid marker: DCMTK stops
    }
  }
  return true;
}

bool is_dcmtk_jpeg(E_TransferSyntax xfer) { return xfer >= EXS_JPEGProcess1 && xfer <= EXS_JPEGProcess14SV1; }

// Decodes every frame of JPEG 2000 encapsulated pixel data. Updates the photometric interpretation (in the
// geometry and the dataset) when the codestream undid a colour transform.
Result<Bytes> decode_jpeg2000(DcmPixelData& pixel_data, E_TransferSyntax xfer, Geometry& geometry,
                              DcmItem& dataset, std::vector<std::string>& notes) {
  MEDCRYPT_ASSIGN_OR_RETURN(Encapsulated items, encapsulated_items(pixel_data, xfer));
  const std::vector<Fragment>& fragments = items.fragments;
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::size_t> starts,
                            frame_starts(items.offset_table, fragments, geometry.frames));

  Bytes pixels(static_cast<std::size_t>(geometry.byte_size()));
  const auto frame_bytes = static_cast<std::size_t>(geometry.frame_bytes());
  bool colour_transform = false;
  Bytes joined;
  for (std::size_t f = 0; f < starts.size(); ++f) {
    const std::size_t first = starts[f];
    const std::size_t end = f + 1 < starts.size() ? starts[f + 1] : fragments.size();
    ByteView codestream = fragments[first].data;
    if (end - first > 1) {  // a frame split over several fragments is decoded from their concatenation
      joined.clear();
      for (std::size_t i = first; i < end; ++i) {
        joined.insert(joined.end(), fragments[i].data.begin(), fragments[i].data.end());
      }
      codestream = joined;
    }
    auto decoded =
        decode_jpeg2000_frame(codestream, geometry, std::span(pixels).subspan(f * frame_bytes, frame_bytes));
    if (!decoded) {
      return make_error(decoded.error().code, fmt::format("frame {}: {}", f + 1, decoded.error().message));
    }
    if (f > 0 && decoded->colour_transform != colour_transform) {
      return make_error(ErrorCode::kInvalidImage, "JPEG 2000 frames disagree on the colour transform");
    }
    colour_transform = decoded->colour_transform;
  }
  if (colour_transform && (geometry.photometric == "YBR_RCT" || geometry.photometric == "YBR_ICT")) {
    notes.push_back(fmt::format("JPEG 2000 decoder converted {} to RGB", geometry.photometric));
    geometry.photometric = "RGB";
    if (dataset.putAndInsertString(DCM_PhotometricInterpretation, "RGB").bad()) {
      return make_error(ErrorCode::kInternal, "cannot update the Photometric Interpretation");
    }
  }
  return pixels;
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
  Uint16 stored = 0;
  if (dataset.findAndGetUint16(DCM_BitsStored, stored).bad() || stored != g.bits_stored ||
      !dataset.tagExists(DCM_HighBit)) {
    MEDCRYPT_TRY(set_us(DCM_BitsStored, g.bits_stored));
    MEDCRYPT_TRY(set_us(DCM_HighBit, static_cast<std::uint16_t>(g.bits_stored - 1)));
  }
  MEDCRYPT_TRY(set_us(DCM_PixelRepresentation, g.is_signed ? 1 : 0));
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
  if (g.frames == 1) return UID_SecondaryCaptureImageStorage;
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
  return serialize(file, EXS_LittleEndianExplicit, EET_ExplicitLength);
}

}  // namespace

Result<LoadedImage> read_dicom(ByteView bytes) {
  initialise_dcmtk();
  DcmFileFormat file;
  MEDCRYPT_TRY(parse_file(file, bytes));
  DcmDataset& dataset = *file.getDataset();

  OFString syntax_uid;
  file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, syntax_uid);
  if (const std::string uid = trimmed_uid(syntax_uid);
      !uid.empty() && DcmXfer(uid.c_str()).getXfer() == EXS_Unknown) {
    return make_error(ErrorCode::kUnsupported, fmt::format("DICOM transfer syntax {} is not supported", uid));
  }
  const E_TransferSyntax original = dataset.getOriginalXfer();
  const DcmXfer xfer(original);

  if (dataset.tagExists(DCM_FloatPixelData) || dataset.tagExists(DCM_DoubleFloatPixelData)) {
    return make_error(ErrorCode::kUnsupported, "DICOM float pixel data is not supported");
  }
  DcmElement* element = nullptr;
  auto* pixel_data = dataset.findAndGetElement(DCM_PixelData, element).good()
                         ? dynamic_cast<DcmPixelData*>(element)
                         : nullptr;
  if (pixel_data == nullptr) {
    return make_error(ErrorCode::kInvalidImage, "DICOM file has no Pixel Data (7FE0,0010)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Geometry geometry, read_geometry(dataset));

  LoadedImage loaded;
  loaded.format = FileFormat::kDicom;
  OFString modality;
  dataset.findAndGetOFString(DCM_Modality, modality);
  loaded.modality = trimmed(modality);
  Bytes pixels;
  if (xfer.isEncapsulated()) {
    if (geometry.byte_size() > bytes.size() * kMaxCompressionRatio) {
      return make_error(
          ErrorCode::kLimits,
          fmt::format("DICOM header claims {} bytes of pixels, implausible for a {}-byte {} file",
                      geometry.byte_size(), bytes.size(), xfer.getXferName()));
    }
    loaded.notes.push_back(
        fmt::format("{} pixel data decompressed; it is written back as Explicit VR Little "
                    "Endian",
                    xfer.getXferName()));
  }
  if (is_jpeg2000(original)) {
    MEDCRYPT_ASSIGN_OR_RETURN(pixels,
                              decode_jpeg2000(*pixel_data, original, geometry, dataset, loaded.notes));
  } else {
    if (xfer.isEncapsulated()) {
      if (!DcmCodecList::canChangeCoding(original, EXS_LittleEndianExplicit)) {
        return make_error(ErrorCode::kUnsupported,
                          fmt::format("DICOM transfer syntax {} ({}) cannot be decoded", xfer.getXferName(),
                                      xfer.getXferID()));
      }
      if (is_dcmtk_jpeg(original)) {
        MEDCRYPT_ASSIGN_OR_RETURN(Encapsulated items, encapsulated_items(*pixel_data, original));
        for (const Fragment& fragment : items.fragments) {
          if (!dcmtk_jpeg_marker_walk_ends(fragment.data)) {
            return make_error(ErrorCode::kInvalidImage,
                              "malformed JPEG in DICOM: a TEM marker (FF01) among the "
                              "frame headers");
          }
        }
      }
      const OFCondition status = dataset.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
      if (status.bad() || !dataset.canWriteXfer(EXS_LittleEndianExplicit)) {
        return make_error(ErrorCode::kInvalidImage, fmt::format("cannot decompress {} pixel data: {}",
                                                                xfer.getXferName(), status.text()));
      }
      // The decoder may have changed attributes (YBR_FULL -> RGB for JPEG); the dataset now describes the
      // decoded pixels.
      const std::string before = geometry.photometric;
      MEDCRYPT_ASSIGN_OR_RETURN(geometry, read_geometry(dataset));
      if (geometry.photometric != before) {
        loaded.notes.push_back(fmt::format("decoder converted {} to {}", before, geometry.photometric));
      }
    }
    MEDCRYPT_ASSIGN_OR_RETURN(pixels, native_pixels(*pixel_data, geometry));
    MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t planar, planar_configuration(dataset, geometry));
    if (planar == 1) {
      pixels = reorder_planes(pixels, geometry, false);
      loaded.notes.push_back("colour-by-plane pixels (Planar Configuration 1) interleaved");
    }
  }
  const E_EncodingType encoding = encoding_of(dataset);
  dataset.findAndDeleteElement(DCM_PixelData);
  MEDCRYPT_ASSIGN_OR_RETURN(loaded.dicom_attributes, serialize(file, original, encoding));
  MEDCRYPT_ASSIGN_OR_RETURN(loaded.image, Image::from_bytes(std::move(geometry), std::move(pixels)));
  return loaded;
}

Result<Bytes> encode_dicom(const Image& image, ByteView dicom_attributes) {
  initialise_dcmtk();
  const Geometry& g = image.geometry();
  Bytes fresh;
  if (dicom_attributes.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(fresh, new_dicom_attributes("OT", g));
    dicom_attributes = fresh;
  }
  DcmFileFormat file;
  if (auto parsed = parse_file(file, dicom_attributes); !parsed) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("DICOM attributes: {}", parsed.error().message));
  }
  DcmDataset& dataset = *file.getDataset();
  // The original syntax, from the stored meta header: native ones are kept, compressed ones become
  // Explicit VR Little Endian since the pixels are written uncompressed.
  const E_TransferSyntax original = dataset.getOriginalXfer();
  const E_TransferSyntax output = is_native(original) ? original : EXS_LittleEndianExplicit;
  const E_EncodingType encoding = encoding_of(dataset);

  dataset.findAndDeleteElement(DCM_PixelData);
  MEDCRYPT_TRY(apply_geometry(dataset, g));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t planar, planar_configuration(dataset, g));
  Bytes planes;
  ByteView stored = image.bytes();
  if (planar == 1) {
    planes = reorder_planes(stored, g, true);
    stored = planes;
  }
  auto pixel_data =
      std::make_unique<DcmPixelData>(DcmTag(DCM_PixelData, g.bits_allocated == 8 ? EVR_OB : EVR_OW));
  const OFCondition put_status =
      g.bits_allocated == 8
          ? pixel_data->putUint8Array(stored.data(), static_cast<unsigned long>(stored.size()))
          : pixel_data->putUint16Array(reinterpret_cast<const Uint16*>(stored.data()),
                                       static_cast<unsigned long>(stored.size() / 2));
  if (put_status.bad() || dataset.insert(pixel_data.get(), true).bad()) {
    return make_error(ErrorCode::kInternal, "cannot store DICOM Pixel Data");
  }
  pixel_data.release();  // the dataset owns it now
  return serialize(file, output, encoding);
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
