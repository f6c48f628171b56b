// One reader and writer per file format, dispatched to by image_file.cpp. Internal to medcrypt::image:
// the third-party types each one uses stay inside its .cpp file.
#pragma once

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"
#include "image/image_file.hpp"

namespace medcrypt::image::internal {

// Readers expect the format's signature to have been checked already (image_file.cpp does).
Result<LoadedImage> read_dicom(ByteView bytes);
Result<LoadedImage> read_png(ByteView bytes);
Result<LoadedImage> read_jpeg(ByteView bytes);
Result<LoadedImage> read_tiff(ByteView bytes);

// Encoders take an Image whose geometry has been validated against its pixels.
Result<Bytes> encode_dicom(const Image& image, ByteView dicom_attributes);
Result<Bytes> encode_png(const Image& image);
Result<Bytes> encode_tiff(const Image& image);

}  // namespace medcrypt::image::internal
