// Format detection by signature and dispatch to the per-format readers and writers.
#include "image/image_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <new>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "image/internal/codecs.hpp"

namespace medcrypt::image {
namespace {

using namespace std::string_view_literals;

bool has_signature(ByteView bytes, std::size_t offset, std::string_view signature) {
  if (bytes.size() < offset + signature.size()) return false;
  return std::equal(signature.begin(), signature.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                    [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
}

Result<FileFormat> detect_format(ByteView bytes) {
  if (bytes.empty()) return make_error(ErrorCode::kInvalidImage, "empty image file");
  // DICOM Part 10: a 128-byte preamble, then "DICM".
  if (has_signature(bytes, 128, "DICM"sv)) return FileFormat::kDicom;
  if (has_signature(bytes, 0, "\x89PNG\r\n\x1a\n"sv)) return FileFormat::kPng;
  if (has_signature(bytes, 0, "\xff\xd8\xff"sv)) return FileFormat::kJpeg;
  // Classic TIFF and BigTIFF, either byte order.
  for (auto magic : {"II*\0"sv, "MM\0*"sv, "II+\0"sv, "MM\0+"sv}) {
    if (has_signature(bytes, 0, magic)) return FileFormat::kTiff;
  }
  // DICOM without the preamble: a File Meta Information group, or a bare (ACR-NEMA style) data set. Tried
  // after every signature, since it is recognised by parsing rather than by magic bytes.
  if (internal::starts_dicom_stream(bytes)) return FileFormat::kDicom;
  // Unknown, not necessarily malformed: a BMP or GIF is a valid file medcrypt does not handle.
  return make_error(ErrorCode::kUnsupported, "unrecognised image format (not DICOM, PNG, JPEG or TIFF)");
}

// Enough of a file to recognise every format: the DICOM preamble and "DICM", or the first elements of a
// DICOM stream that has no preamble.
constexpr std::size_t kSignatureBytes = 1024;

Result<Bytes> read_file_head(const std::filesystem::path& path, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo,
                      fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return make_error(ErrorCode::kIo, fmt::format("{}: not a regular file", path.string()));
  }
  Bytes head(count);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(count));
  if (in.bad()) return make_error(ErrorCode::kIo, fmt::format("{}: read failed", path.string()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

// The codec libraries allocate with new (DCMTK) or call back into code that does; nothing may escape.
template <typename Fn>
auto guarded(std::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimits, fmt::format("out of memory while {}", what));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, fmt::format("unexpected error while {}: {}", what, e.what()));
  } catch (...) {
    return make_error(ErrorCode::kInternal, fmt::format("unexpected error while {}", what));
  }
}

}  // namespace

std::string_view format_name(FileFormat format) {
  switch (format) {
    case FileFormat::kDicom: return "dicom";
    case FileFormat::kPng: return "png";
    case FileFormat::kJpeg: return "jpeg";
    case FileFormat::kTiff: return "tiff";
  }
  return "unknown";
}

Result<FileFormat> parse_format_name(std::string_view name) {
  for (auto format : {FileFormat::kDicom, FileFormat::kPng, FileFormat::kJpeg, FileFormat::kTiff}) {
    if (name == format_name(format)) return format;
  }
  if (name == "dcm") return FileFormat::kDicom;
  if (name == "jpg") return FileFormat::kJpeg;
  if (name == "tif") return FileFormat::kTiff;
  return make_error(ErrorCode::kUsage,
                    fmt::format("unknown image format '{}' (expected dicom, png, jpeg or tiff)", name));
}

Result<LoadedImage> read_image_bytes(ByteView bytes) {
  MEDCRYPT_ASSIGN_OR_RETURN(FileFormat format, detect_format(bytes));
  return guarded(fmt::format("reading a {} image", format_name(format)), [&]() -> Result<LoadedImage> {
    switch (format) {
      case FileFormat::kDicom: return internal::read_dicom(bytes);
      case FileFormat::kPng: return internal::read_png(bytes);
      case FileFormat::kJpeg: return internal::read_jpeg(bytes);
      case FileFormat::kTiff: return internal::read_tiff(bytes);
    }
    return make_error(ErrorCode::kInternal, "unhandled image format");
  });
}

Result<LoadedImage> read_image_file(const std::filesystem::path& path) {
  // DICOM files are read in place (Pixel Data straight into the image); the others are read into memory
  // first.
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes head, read_file_head(path, kSignatureBytes));
  Result<LoadedImage> loaded = make_error(ErrorCode::kInternal, "not read");
  if (auto format = detect_format(head); format && *format == FileFormat::kDicom) {
    loaded = guarded("reading a dicom image", [&] { return internal::read_dicom_file(path); });
  } else {
    MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxImageFileBytes));
    loaded = read_image_bytes(bytes);
  }
  if (!loaded) {
    return make_error(loaded.error().code, fmt::format("{}: {}", path.string(), loaded.error().message));
  }
  return loaded;
}

namespace {

// An Image's pixels always match its geometry (it has no way to change one without the other); the check
// stays as a last defence before bytes reach a file.
Status check_writable(const Image& image, FileFormat format) {
  MEDCRYPT_TRY(image.geometry().validate());
  if (image.bytes().size() != image.geometry().byte_size()) {
    return make_error(ErrorCode::kInternal, fmt::format("image holds {} bytes, its geometry needs {}",
                                                        image.bytes().size(), image.geometry().byte_size()));
  }
  if (format == FileFormat::kJpeg) {
    return make_error(ErrorCode::kUnsupported, "JPEG output is lossy and not supported; write PNG instead");
  }
  const Geometry& g = image.geometry();
  if (format != FileFormat::kDicom &&
      (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16))) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("{} holds 8- or 16-bit integer samples, not {}-bit {}; write DICOM instead",
                                  format == FileFormat::kPng ? "PNG" : "TIFF", g.bits_allocated,
                                  g.floating_point() ? "floating point" : "integers"));
  }
  return {};
}

Status write_image(const Image& image, FileFormat format, ByteView dicom_attributes,
                   const internal::ByteSink& sink) {
  return guarded(fmt::format("writing a {} image", format_name(format)), [&]() -> Status {
    switch (format) {
      case FileFormat::kDicom: return internal::write_dicom(image, dicom_attributes, sink);
      case FileFormat::kPng: return internal::write_png(image, sink);
      case FileFormat::kTiff: {
        MEDCRYPT_ASSIGN_OR_RETURN(Bytes encoded, internal::encode_tiff(image));
        return sink(encoded);
      }
      case FileFormat::kJpeg: break;  // refused by check_writable
    }
    return make_error(ErrorCode::kInternal, "unhandled image format");
  });
}

}  // namespace

Result<Bytes> encode_image(const Image& image, FileFormat format, ByteView dicom_attributes) {
  MEDCRYPT_TRY(check_writable(image, format));
  Bytes out;
  MEDCRYPT_TRY(write_image(image, format, dicom_attributes, [&out](ByteView data) -> Status {
    out.insert(out.end(), data.begin(), data.end());
    return {};
  }));
  return out;
}

Status write_image_file(const std::filesystem::path& path, const Image& image, FileFormat format,
                        ByteView dicom_attributes, bool replace) {
  MEDCRYPT_TRY(check_writable(image, format));
  // Written as it is encoded: a DICOM or PNG file never exists in memory as a whole.
  MEDCRYPT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  MEDCRYPT_TRY(
      write_image(image, format, dicom_attributes, [&file](ByteView data) { return file.write(data); }));
  return file.commit(replace);
}

}  // namespace medcrypt::image
