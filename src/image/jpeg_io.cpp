// JPEG reading through libjpeg(-turbo): 8-bit grey and RGB. libjpeg's default error handler calls exit();
// ours longjmps back with the message instead. As in png_io.cpp, objects with destructors live in a
// context made before the setjmp, so a jump skips none.
#include <cstdio>  // jpeglib.h needs FILE

#include <jpeglib.h>
#include <jerror.h>

#include <csetjmp>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {
namespace {

// Progressive and multi-scan JPEGs keep all coefficients in memory; a lying header must not get gigabytes.
constexpr long kMaxDecoderMemory = 1L << 30;

struct ErrorManager {
  jpeg_error_mgr base;  // first member: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char text[JMSG_LENGTH_MAX] = "";
};

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  auto* manager = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, manager->text);
  std::longjmp(manager->jump, 1);
}

// Level -1 is a corrupt-data warning, after which libjpeg would carry on and fill the rest of the image
// with grey. A damaged medical image must not pass for a whole one, so it stops the decode.
void on_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error_exit(cinfo);
}

struct Context {
  Context() {
    cinfo.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error_exit;
    errors.base.emit_message = on_emit_message;
  }
  // Safe before jpeg_create_decompress too: it only frees what cinfo.mem holds.
  ~Context() { jpeg_destroy_decompress(&cinfo); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  jpeg_decompress_struct cinfo{};
  ErrorManager errors;
  Geometry geometry;
  PixelBytes pixels;
};

ErrorCode classify(int msg_code) {
  switch (msg_code) {
    case JERR_BAD_PRECISION:  // 12-bit or 16-bit JPEG
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED: return ErrorCode::kUnsupported;
    case JERR_OUT_OF_MEMORY:
    case JERR_NO_BACKING_STORE:  // over kMaxDecoderMemory
      return ErrorCode::kLimits;
    default: return ErrorCode::kInvalidImage;
  }
}

Status decode(Context& ctx, ByteView bytes) {
  jpeg_decompress_struct& cinfo = ctx.cinfo;
  if (setjmp(ctx.errors.jump)) {
    return make_error(classify(ctx.errors.base.msg_code), fmt::format("malformed JPEG: {}", ctx.errors.text));
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = kMaxDecoderMemory;
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);

  if (cinfo.num_components == 1) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (cinfo.num_components == 3) {
    cinfo.out_color_space = JCS_RGB;
  } else {
    return make_error(
        ErrorCode::kUnsupported,
        fmt::format("JPEG with {} components (only grey and RGB are supported)", cinfo.num_components));
  }
  ctx.geometry.width = cinfo.image_width;
  ctx.geometry.height = cinfo.image_height;
  ctx.geometry.samples = static_cast<std::uint8_t>(cinfo.num_components);
  ctx.geometry.photometric = cinfo.num_components == 3 ? "RGB" : "MONOCHROME2";
  MEDCRYPT_TRY(ctx.geometry.validate());

  jpeg_start_decompress(&cinfo);
  const std::size_t row_bytes =
      std::size_t{cinfo.output_width} * static_cast<std::size_t>(cinfo.output_components);
  if (row_bytes != ctx.geometry.frame_bytes() / ctx.geometry.height) {
    return make_error(ErrorCode::kInternal, "JPEG row size does not match the image geometry");
  }
  // Grown row by row, so memory follows the data actually decoded, not what the header claims.
  while (cinfo.output_scanline < cinfo.output_height) {
    const std::size_t offset = ctx.pixels.size();
    ctx.pixels.resize(offset + row_bytes, 0);
    JSAMPROW row = ctx.pixels.data() + offset;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
      return make_error(ErrorCode::kInvalidImage, "malformed JPEG: decoder returned no scanline");
    }
  }
  jpeg_finish_decompress(&cinfo);
  return {};
}

}  // namespace

Result<LoadedImage> read_jpeg(ByteView bytes) {
  Context ctx;
  MEDCRYPT_TRY(decode(ctx, bytes));
  MEDCRYPT_ASSIGN_OR_RETURN(Image image, Image::from_bytes(std::move(ctx.geometry), std::move(ctx.pixels)));
  LoadedImage loaded;
  loaded.image = std::move(image);
  loaded.format = FileFormat::kJpeg;
  return loaded;
}

}  // namespace medcrypt::image::internal
