// Reading DICOM: a Part 10 stream or bare data set parsed, checked and loaded as an image and attributes.
//
// DICOM through DCMTK: dcmdata parses and writes, its JPEG codec decompresses, medcrypt decodes RLE itself,
// jpeg2000.cpp (OpenJPEG) decodes the JPEG 2000 syntaxes DCMTK cannot, and jpegls.cpp (CharLS 2) the
// JPEG-LS ones, on which DCMTK's bundled CharLS 1.0 aborts the process when the data is malformed. Pixels
// are the stored words exactly as decoded: no masking of unused high bits, no rescaling, colour converted
// only where a decoder does it.
//
// Memory: the image is the only full copy of the pixels. Reading leaves Pixel Data in the file (or input
// buffer) until it is copied into the image in chunks, or decompressed into it frame by frame; writing hands
// DCMTK a stream over the image (PixelStreamFactory), which it reads in chunks as it writes.
//
// The DICOM implementation lies in src/image/dicom/, one job a file: streams (DCMTK's streams over memory, a
// file and a sink), dataset (attribute helpers), native_pixels (uncompressed Pixel Data), frames (compressed
// Pixel Data), rle (the RLE decoder), reader (this file), writer, and new_attributes (attributes for an
// image medcrypt made).
#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "image/dicom/dataset.hpp"
#include "image/dicom/frames.hpp"
#include "image/dicom/native_pixels.hpp"
#include "image/dicom/streams.hpp"
#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {
namespace {

bool is_jpeg2000(E_TransferSyntax xfer) { return xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000; }
bool is_jpegls(E_TransferSyntax xfer) { return xfer == EXS_JPEGLSLossless || xfer == EXS_JPEGLSLossy; }

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
    // Assigned, not initialised, from the Result: GCC 12 otherwise warns, wrongly, that the moved tail may be
    // used uninitialised (-Wmaybe-uninitialized) once native_pixels is defined in another file.
    NativePixels native;
    MEDCRYPT_ASSIGN_OR_RETURN(native, native_pixels(*element, geometry, form));
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

}  // namespace medcrypt::image::internal
