// Attributes of a DICOM data set: the pixel module read and checked, or set to an image's geometry.
#include "image/dicom/dataset.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>

#include <charconv>
#include <string>

#include <fmt/format.h>

namespace medcrypt::image::internal {
namespace {

Result<std::uint16_t> required_us(DcmItem& dataset, const DcmTagKey& key) {
  Uint16 value = 0;
  if (dataset.findAndGetUint16(key, value).bad()) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("DICOM {} is missing or malformed", tag_name(key)));
  }
  return value;
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

}  // namespace

std::string tag_name(const DcmTagKey& key) {
  DcmTag tag(key);
  return fmt::format("{} {}", tag.getTagName(), key.toString().c_str());
}

std::string trimmed_uid(const OFString& value) {
  std::string s = value.c_str();
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string trimmed(const OFString& value) {
  std::string s = value.c_str();
  const auto end = s.find_last_not_of(' ');
  const auto begin = s.find_first_not_of(' ');
  return end == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

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

DcmElement* pixel_element(DcmItem& dataset) {
  DcmElement* element = nullptr;
  for (const DcmTagKey& key : {DCM_PixelData, DCM_FloatPixelData, DCM_DoubleFloatPixelData}) {
    if (dataset.findAndGetElement(key, element).good()) return element;
  }
  return nullptr;
}

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

}  // namespace medcrypt::image::internal
