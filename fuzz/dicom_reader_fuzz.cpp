// libFuzzer target for the image readers, seeded with DICOM (fuzz/corpus/dicom/): the DCMTK parse, the
// pixel module checks, DCMTK's JPEG and RLE decoders, CharLS for JPEG-LS and OpenJPEG for JPEG 2000 with
// our frame splitting. Inputs that lose the DICOM signature reach the PNG, JPEG and TIFF readers instead.
// A DICOM file that reads must also survive the writer: written back and read again, it gives the same
// image, or the target aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "image/image_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto loaded = medcrypt::image::read_image_bytes(medcrypt::ByteView(data, size));
  if (!loaded || loaded->format != medcrypt::image::FileFormat::kDicom) return 0;
  auto written = medcrypt::image::encode_image(loaded->image, medcrypt::image::FileFormat::kDicom,
                                               loaded->dicom_attributes);
  if (!written) return 0;  // attributes DCMTK will not write again are an error, not a bug
  auto again = medcrypt::image::read_image_bytes(*written);
  if (!again || !(again->image == loaded->image)) std::abort();
  return 0;
}
