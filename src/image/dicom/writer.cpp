// Writing DICOM: an image's attributes parsed, its pixel module set, and its Pixel Data streamed from it.
#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcvrod.h>
#include <dcmtk/dcmdata/dcvrof.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "image/dicom/dataset.hpp"
#include "image/dicom/native_pixels.hpp"
#include "image/dicom/streams.hpp"
#include "image/image_file.hpp"
#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {
namespace {

// The longest value a DICOM element can have (a 32-bit length, 0xFFFFFFFF meaning undefined, kept even).
constexpr std::uint64_t kMaxValueLength = 0xFFFFFFFE;

bool is_native(E_TransferSyntax xfer) {
  return xfer == EXS_LittleEndianImplicit || xfer == EXS_LittleEndianExplicit ||
         xfer == EXS_BigEndianExplicit;
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

}  // namespace

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

}  // namespace medcrypt::image::internal
