// Encapsulated (compressed) Pixel Data: its fragments found, and its frames decoded into an image.
#include "image/dicom/frames.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "image/dicom/dataset.hpp"
#include "image/dicom/rle.hpp"
#include "image/internal/codecs.hpp"
#include "image/internal/jpeg2000.hpp"
#include "image/internal/jpegls.hpp"

namespace medcrypt::image::internal {
namespace {

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

}  // namespace

Result<DcmPixelSequence*> pixel_sequence(DcmPixelData& pixel_data, E_TransferSyntax xfer) {
  DcmPixelSequence* sequence = nullptr;
  if (pixel_data.getEncapsulatedRepresentation(xfer, nullptr, sequence).bad() || sequence == nullptr) {
    return make_error(ErrorCode::kInvalidImage, "compressed DICOM Pixel Data is not encapsulated");
  }
  if (sequence->card() < 2) return make_error(ErrorCode::kInvalidImage, "DICOM Pixel Data has no fragments");
  return sequence;
}

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

}  // namespace medcrypt::image::internal
