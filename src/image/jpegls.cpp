// JPEG-LS frame decoding with CharLS 2, reading from memory. CharLS reports every malformed stream as a
// charls::jpegls_error, which becomes the Error message.
#include "image/internal/jpegls.hpp"

#include <bit>
#include <new>
#include <utility>
#include <vector>

#include <charls/charls.h>
#include <fmt/format.h>

#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {

bool starts_jpegls(ByteView data) {
  if (data.size() < 4 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff) return false;
  return data[3] == 0xf7 || data[3] == 0xfe || (data[3] & 0xf0) == 0xe0;
}

namespace {

Status check_frame(const charls::frame_info& info, const Geometry& geometry) {
  if (info.width != geometry.width || info.height != geometry.height) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("JPEG-LS stream is {}x{}, the DICOM header says {}x{}", info.width,
                                  info.height, geometry.width, geometry.height));
  }
  if (info.component_count < 1 || static_cast<std::uint32_t>(info.component_count) != geometry.samples) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("JPEG-LS stream has {} components, Samples per Pixel is {}",
                                  info.component_count, geometry.samples));
  }
  const bool wide = info.bits_per_sample > 8;
  if (wide != (geometry.bytes_per_sample() == 2)) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("JPEG-LS sample precision {} does not fit {}-bit words",
                                  info.bits_per_sample, geometry.bits_allocated));
  }
  return {};
}

}  // namespace

Status check_jpegls_header(ByteView stream, const Geometry& geometry) {
  if (!starts_jpegls(stream)) {
    return make_error(ErrorCode::kInvalidImage, "JPEG-LS frame does not start with SOI and a frame header");
  }
  try {
    charls::jpegls_decoder decoder(stream.data(), stream.size(), false);
    decoder.read_header();
    return check_frame(decoder.frame_info(), geometry);
  } catch (const charls::jpegls_error& e) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("malformed JPEG-LS data: {}", e.what()));
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimits, "out of memory reading a JPEG-LS header");
  }
}

Status decode_jpegls_frame(ByteView stream, const Geometry& geometry, std::span<std::uint8_t> out) {
  if (out.size() != geometry.frame_bytes()) {
    return make_error(ErrorCode::kInternal, "JPEG-LS output buffer does not match the frame size");
  }
  if (!starts_jpegls(stream)) {
    return make_error(ErrorCode::kInvalidImage, "JPEG-LS frame does not start with SOI and a frame header");
  }
  try {
    charls::jpegls_decoder decoder(stream.data(), stream.size(), false);
    decoder.read_header();
    // Checked before decoding, so a lying header costs no memory.
    MEDCRYPT_TRY(check_frame(decoder.frame_info(), geometry));
    if (decoder.destination_size() != out.size()) {
      return make_error(ErrorCode::kInvalidImage, "JPEG-LS stream does not fill the DICOM frame");
    }
    if (geometry.samples > 1 && decoder.interleave_mode() == charls::interleave_mode::none) {
      // CharLS gives an uninterleaved scan colour-by-plane; the image wants it by pixel.
      std::vector<std::uint8_t> planes(out.size());
      decoder.decode(planes.data(), planes.size());
      interleave_frame(planes.data(), out.data(), geometry);
    } else {
      decoder.decode(out.data(), out.size());  // by pixel, for sample and line interleaving alike
    }
  } catch (const charls::jpegls_error& e) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("malformed JPEG-LS data: {}", e.what()));
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimits, "out of memory decoding JPEG-LS data");
  }
  if constexpr (std::endian::native == std::endian::big) {  // CharLS writes words in host order
    if (geometry.bytes_per_sample() == 2) {
      for (std::size_t i = 0; i + 1 < out.size(); i += 2) std::swap(out[i], out[i + 1]);
    }
  }
  return {};
}

}  // namespace medcrypt::image::internal
