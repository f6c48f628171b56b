// JPEG 2000 frame decoding with OpenJPEG, reading from memory; OpenJPEG's messages are collected, never
// printed, and the last error becomes the Error message.
#include "image/internal/jpeg2000.hpp"

#include <openjpeg.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace medcrypt::image::internal {
namespace {

struct MemoryStream {
  ByteView data;
  std::uint64_t position = 0;
};

OPJ_SIZE_T read_stream(void* buffer, OPJ_SIZE_T size, void* user_data) {
  auto* stream = static_cast<MemoryStream*>(user_data);
  if (stream->position >= stream->data.size()) return static_cast<OPJ_SIZE_T>(-1);  // end of stream
  const auto n = std::min<std::uint64_t>(size, stream->data.size() - stream->position);
  std::memcpy(buffer, stream->data.data() + stream->position, n);
  stream->position += n;
  return static_cast<OPJ_SIZE_T>(n);
}

OPJ_OFF_T skip_stream(OPJ_OFF_T count, void* user_data) {
  auto* stream = static_cast<MemoryStream*>(user_data);
  const auto size = static_cast<OPJ_OFF_T>(stream->data.size());
  const auto from = static_cast<OPJ_OFF_T>(stream->position);
  const OPJ_OFF_T to = std::clamp<OPJ_OFF_T>(count > size - from ? size : from + count, 0, size);
  stream->position = static_cast<std::uint64_t>(to);
  return to - from;
}

OPJ_BOOL seek_stream(OPJ_OFF_T position, void* user_data) {
  auto* stream = static_cast<MemoryStream*>(user_data);
  if (position < 0 || static_cast<std::uint64_t>(position) > stream->data.size()) return OPJ_FALSE;
  stream->position = static_cast<std::uint64_t>(position);
  return OPJ_TRUE;
}

struct ErrorMessage {
  char text[256] = "";
};

void on_error(const char* message, void* user_data) {
  auto* error = static_cast<ErrorMessage*>(user_data);
  std::snprintf(error->text, sizeof error->text, "%s", message);
  // OpenJPEG's messages end with a newline; an Error message is one line.
  std::size_t n = std::strlen(error->text);
  while (n > 0 && std::isspace(static_cast<unsigned char>(error->text[n - 1])) != 0) error->text[--n] = '\0';
}

struct CodecDeleter {
  void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct ImageDeleter {
  void operator()(opj_image_t* image) const { opj_image_destroy(image); }
};
struct InfoDeleter {
  void operator()(opj_codestream_info_v2_t* info) const { opj_destroy_cstr_info(&info); }
};

bool starts_with(ByteView data, std::initializer_list<std::uint8_t> prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
}

// Checks that every component is full size and fits the DICOM sample format.
Status check_components(const opj_image_t& image, const Geometry& geometry) {
  if (image.numcomps != geometry.samples) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("JPEG 2000 codestream has {} components, Samples per Pixel is {}",
                                  image.numcomps, geometry.samples));
  }
  for (OPJ_UINT32 c = 0; c < image.numcomps; ++c) {
    const opj_image_comp_t& comp = image.comps[c];
    if (comp.dx != 1 || comp.dy != 1) {
      return make_error(ErrorCode::kUnsupported, "JPEG 2000 codestream with subsampled components");
    }
    if (comp.w != geometry.width || comp.h != geometry.height) {
      return make_error(ErrorCode::kInvalidImage,
                        fmt::format("JPEG 2000 codestream is {}x{}, the DICOM header says {}x{}", comp.w,
                                    comp.h, geometry.width, geometry.height));
    }
    if (comp.prec < 1 || comp.prec > geometry.bits_allocated || (geometry.bits_allocated == 1 && comp.sgnd != 0)) {
      return make_error(ErrorCode::kInvalidImage,
                        fmt::format("JPEG 2000 component precision {} does not fit {}-bit words", comp.prec,
                                    geometry.bits_allocated));
    }
  }
  return {};
}

// Decodes a codestream into `out`, or with `header_only` reads and checks its header alone.
Result<Jpeg2000Frame> decode(ByteView codestream, const Geometry& geometry, std::span<std::uint8_t> out,
                             bool header_only) {
  if (!header_only && out.size() != geometry.frame_bytes()) {
    return make_error(ErrorCode::kInternal, "JPEG 2000 output buffer does not match the frame size");
  }
  OPJ_CODEC_FORMAT format = OPJ_CODEC_J2K;
  if (starts_with(codestream, {0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20})) {
    format = OPJ_CODEC_JP2;
  } else if (!starts_with(codestream, {0xff, 0x4f, 0xff, 0x51})) {
    return make_error(ErrorCode::kInvalidImage,
                      "JPEG 2000 frame does not start with a codestream (SOC, SIZ)");
  }

  ErrorMessage error;
  MemoryStream source{codestream};
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(opj_create_decompress(format));
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE));
  if (!codec || !stream) return make_error(ErrorCode::kInternal, "OpenJPEG initialisation failed");
  opj_stream_set_user_data(stream.get(), &source, nullptr);
  opj_stream_set_user_data_length(stream.get(), codestream.size());
  opj_stream_set_read_function(stream.get(), read_stream);
  opj_stream_set_skip_function(stream.get(), skip_stream);
  opj_stream_set_seek_function(stream.get(), seek_stream);
  opj_set_error_handler(codec.get(), on_error, &error);

  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  // Strict mode: a truncated codestream is an error, not a silently blurred image.
  if (opj_setup_decoder(codec.get(), &parameters) == OPJ_FALSE ||
      opj_decoder_set_strict_mode(codec.get(), OPJ_TRUE) == OPJ_FALSE) {
    return make_error(ErrorCode::kInternal, "OpenJPEG decoder setup failed");
  }
  auto failed = [&error](std::string_view stage) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("malformed JPEG 2000 {}: {}", stage,
                                  error.text[0] != '\0' ? error.text : "decoder failed"));
  };

  opj_image_t* raw_image = nullptr;
  const bool header_ok = opj_read_header(stream.get(), codec.get(), &raw_image) != OPJ_FALSE;
  std::unique_ptr<opj_image_t, ImageDeleter> image(raw_image);
  if (!header_ok || !image) return failed("header");
  // Checked before decoding, so a lying header costs no memory.
  MEDCRYPT_TRY(check_components(*image, geometry));
  if (header_only) return Jpeg2000Frame{};

  Jpeg2000Frame frame;
  std::unique_ptr<opj_codestream_info_v2_t, InfoDeleter> info(opj_get_cstr_info(codec.get()));
  frame.colour_transform = info && info->m_default_tile_info.mct == 1;

  if (opj_decode(codec.get(), stream.get(), image.get()) == OPJ_FALSE ||
      opj_end_decompress(codec.get(), stream.get()) == OPJ_FALSE) {
    return failed("data");
  }
  for (OPJ_UINT32 c = 0; c < image->numcomps; ++c) {
    if (image->comps[c].data == nullptr) return failed("data");
  }

  // OpenJPEG gives one int32 plane per component; interleave them as stored words (two's complement when
  // signed, the same bits DICOM would store uncompressed).
  const std::size_t pixels = static_cast<std::size_t>(geometry.pixels_per_frame());
  const std::size_t samples = geometry.samples;
  for (std::size_t c = 0; c < samples; ++c) {
    const OPJ_INT32* plane = image->comps[c].data;
    if (geometry.bits_allocated <= 8) {  // 1-bit samples are one byte each, 0 or 1
      for (std::size_t i = 0; i < pixels; ++i) out[i * samples + c] = static_cast<std::uint8_t>(plane[i]);
    } else {
      for (std::size_t i = 0; i < pixels; ++i) {
        const auto word = static_cast<std::uint16_t>(plane[i]);
        out[(i * samples + c) * 2] = static_cast<std::uint8_t>(word);
        out[(i * samples + c) * 2 + 1] = static_cast<std::uint8_t>(word >> 8);
      }
    }
  }
  return frame;
}

}  // namespace

Result<Jpeg2000Frame> decode_jpeg2000_frame(ByteView codestream, const Geometry& geometry,
                                            std::span<std::uint8_t> out) {
  return decode(codestream, geometry, out, false);
}

Status check_jpeg2000_header(ByteView codestream, const Geometry& geometry) {
  auto header = decode(codestream, geometry, {}, true);
  if (!header) return std::move(header).error();
  return {};
}

}  // namespace medcrypt::image::internal
