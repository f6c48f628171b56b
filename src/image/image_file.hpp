// Reading and writing image files: DICOM (DCMTK, OpenJPEG), PNG (libpng), JPEG (libjpeg), TIFF (libtiff).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::image {

enum class FileFormat { kDicom, kPng, kJpeg, kTiff };

std::string_view format_name(FileFormat format);  // "dicom", "png", "jpeg", "tiff"
Result<FileFormat> parse_format_name(std::string_view name);

// What a reader gives back: the pixels plus what is needed to write the same file again.
struct LoadedImage {
  Image image;
  FileFormat format = FileFormat::kPng;
  // DICOM only: the file (meta header and dataset) with Pixel Data removed, as a DICOM Part 10 stream,
  // after any decompression (so attributes match the decoded pixels). Empty for other formats.
  Bytes dicom_attributes;
  // Conversions the reader made, one sentence each (e.g. "palette PNG expanded to RGB").
  std::vector<std::string> notes;
};

// Maximum input file size read into memory.
inline constexpr std::uint64_t kMaxImageFileBytes = 16ull << 30;

// Detects the format from the file's first bytes, not its name.
Result<LoadedImage> read_image_file(const std::filesystem::path& path);
Result<LoadedImage> read_image_bytes(ByteView bytes);

// Writes `image` as `format`. For DICOM, `dicom_attributes` (from LoadedImage) supplies every attribute
// but Pixel Data; an empty one makes a minimal Secondary Capture dataset. JPEG is written as PNG
// (lossless) by callers: write_image_file refuses kJpeg. Output appears atomically.
Status write_image_file(const std::filesystem::path& path, const Image& image, FileFormat format,
                        ByteView dicom_attributes = {});
Result<Bytes> encode_image(const Image& image, FileFormat format, ByteView dicom_attributes = {});

}  // namespace medcrypt::image

namespace medcrypt::image {

// A fresh DICOM attribute set (Part 10 stream without Pixel Data) for an image made by medcrypt itself,
// e.g. the demo's phantom: new UIDs, the given modality, and the geometry's pixel module.
Result<Bytes> new_dicom_attributes(std::string_view modality, const Geometry& geometry);

}  // namespace medcrypt::image
