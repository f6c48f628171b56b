// DICOM attributes for an image medcrypt made itself: fresh UIDs, a SOP class that fits, the pixel module.
#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrda.h>
#include <dcmtk/dcmdata/dcvrtm.h>

#include <algorithm>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "image/dicom/dataset.hpp"
#include "image/dicom/streams.hpp"
#include "image/image_file.hpp"

namespace medcrypt::image {
namespace internal {
namespace {

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

}  // namespace
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
