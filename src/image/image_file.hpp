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
  // DICOM Modality (CT, MR, US, ...), empty for other formats.
  std::string modality;
  // Conversions the reader made, one sentence each (e.g. "palette PNG expanded to RGB").
  std::vector<std::string> notes;
};

// Maximum size of a PNG, JPEG or TIFF file, which is read into memory whole (DICOM files are read in place).
inline constexpr std::uint64_t kMaxImageFileBytes = 16ull << 30;

// Detects the format from the file's first bytes, not its name (docs/IMAGES.md lists what each reader
// accepts and converts). Errors: kInvalidImage for malformed or truncated data (and an empty file),
// kUnsupported for an unknown signature or a valid file medcrypt does not handle (transfer syntax, bit
// depth, colour model), kLimits for geometry over the limits in image.hpp, kIo if the file cannot be read.
// A DICOM file's pixels go straight from the file into the image (decompressed frame by frame), so reading
// costs little more memory than the image itself; read_image_bytes does the same from memory.
Result<LoadedImage> read_image_file(const std::filesystem::path& path);
Result<LoadedImage> read_image_bytes(ByteView bytes);

// Writes `image` as `format`. For DICOM, `dicom_attributes` (from LoadedImage) supplies every attribute
// but Pixel Data; an empty one makes a minimal Secondary Capture dataset. The pixel module is set to the
// image's geometry where it differs, and samples go back to the attributes' Planar Configuration. A file
// read from a native syntax (implicit/explicit VR little endian, explicit big endian) is written in that
// syntax with its meta header unchanged; one read from a compressed syntax is written uncompressed as
// Explicit VR Little Endian, its Transfer Syntax UID updated.
// PNG and TIFF keep the stored words (8 or 16 bits, 1 or 3 samples) but not signedness (PNG) or
// photometrics other than grey and RGB. PNG stacks frames vertically into one image of height x frames
// rows, frame 0 on top (how cipher images are exported); TIFF writes one page per frame. JPEG is written as
// PNG (lossless) by callers: write_image_file refuses kJpeg. Output appears atomically. DICOM and PNG files
// are written as they are encoded, the pixels read from the image in chunks: no second copy is made.
// Uncompressed DICOM Pixel Data holds at most 4 GiB - 2 bytes (kLimits beyond).
// With `replace` false a file already at `path` is kept and the write fails (AtomicFile::commit).
Status write_image_file(const std::filesystem::path& path, const Image& image, FileFormat format,
                        ByteView dicom_attributes = {}, bool replace = true);
// The same file as bytes in memory.
Result<Bytes> encode_image(const Image& image, FileFormat format, ByteView dicom_attributes = {});

}  // namespace medcrypt::image

namespace medcrypt::image {

// A fresh DICOM attribute set (Part 10 stream without Pixel Data) for an image made by medcrypt itself,
// e.g. the demo's phantom: new UIDs, the given modality, patient MEDCRYPT^DEMO, and the geometry's pixel
// module. SOP class: CT Image Storage for modality "CT" with single-frame 16-bit grey; otherwise Secondary
// Capture (its multi-frame grey or true colour variant where one fits). `modality` is a DICOM code string
// (A-Z, 0-9, _; at most 16), else kUsage.
Result<Bytes> new_dicom_attributes(std::string_view modality, const Geometry& geometry);

}  // namespace medcrypt::image
