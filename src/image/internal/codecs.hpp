// One reader and writer per file format, dispatched to by image_file.cpp. Internal to medcrypt::image:
// the third-party types each one uses stay inside its .cpp file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"
#include "image/image_file.hpp"

namespace medcrypt::image::internal {

// Where a writer puts its output, piece by piece: a file being written or a growing buffer.
using ByteSink = std::function<Status(ByteView)>;

// Whether `head` (a file's first bytes) opens a DICOM stream that lacks the Part 10 preamble and "DICM": a
// File Meta Information group, or a bare data set as ACR-NEMA files and some old writers store it. It is
// recognised by its first elements parsing as DICOM: see dicom/reader.cpp.
bool starts_dicom_stream(ByteView head);

// Readers expect the format's signature to have been checked already (image_file.cpp does).
Result<LoadedImage> read_dicom(ByteView bytes);
// Reads the file itself, loading large values (Pixel Data) only when and as far as they are needed.
Result<LoadedImage> read_dicom_file(const std::filesystem::path& path);
Result<LoadedImage> read_png(ByteView bytes);
Result<LoadedImage> read_jpeg(ByteView bytes);
Result<LoadedImage> read_tiff(ByteView bytes);

// Colour-by-plane samples (R...R G...G B...B) of one frame of `g` to interleaved ones (R,G,B,R,G,B,...), for
// the decoders that give planes.
void interleave_frame(const std::uint8_t* planar, std::uint8_t* interleaved, const Geometry& g);

// Writers take an Image whose geometry has been validated against its pixels.
Status write_dicom(const Image& image, ByteView dicom_attributes, const ByteSink& sink);
Status write_png(const Image& image, const ByteSink& sink);
Result<Bytes> encode_tiff(const Image& image);

}  // namespace medcrypt::image::internal
