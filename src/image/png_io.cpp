// PNG through libpng. libpng reports errors by longjmp; every function that calls libpng after setjmp
// keeps its C++ objects (with destructors) in a context created before the setjmp, so a jump skips none.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {
namespace {

// Deflate expands at most 1032:1, so a header promising more pixel bytes than that is lying.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

struct ErrorMessage {
  char text[256] = "";
  // Reading: damage libpng let pass as a warning (a fixed buffer: nothing may throw through libpng's C frames).
  int warnings = 0;
  char first_warning[256] = "";
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* error = static_cast<ErrorMessage*>(png_get_error_ptr(png));
  std::snprintf(error->text, sizeof error->text, "%s", message);
  png_longjmp(png, 1);
}

// Warnings are not errors: counted, the first kept for a note, nothing printed.
void on_png_warning(png_structp png, png_const_charp message) {
  auto* error = static_cast<ErrorMessage*>(png_get_error_ptr(png));
  if (error->warnings++ == 0) std::snprintf(error->first_warning, sizeof error->first_warning, "%s", message);
}

struct MemorySource {
  ByteView data;
  std::size_t position = 0;
};

void read_from_memory(png_structp png, png_bytep out, std::size_t length) {
  auto* source = static_cast<MemorySource*>(png_get_io_ptr(png));
  if (length > source->data.size() - source->position) png_error(png, "truncated PNG data");
  std::memcpy(out, source->data.data() + source->position, length);
  source->position += length;
}

struct ReadContext {
  ReadContext() {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
    if (png != nullptr) info = png_create_info_struct(png);
  }
  ~ReadContext() { png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr); }
  ReadContext(const ReadContext&) = delete;
  ReadContext& operator=(const ReadContext&) = delete;

  png_structp png = nullptr;
  png_infop info = nullptr;
  ErrorMessage error;
  MemorySource source;
  std::vector<png_bytep> rows;
  Geometry geometry;
  PixelBytes pixels;
  std::vector<std::string> notes;
};

// The significant bits recorded by an sBIT chunk, when it gives one consistent value for all channels.
std::uint8_t significant_bits(png_structp png, png_infop info, int bit_depth, bool colour) {
  png_color_8p sig = nullptr;
  if (png_get_sBIT(png, info, &sig) == 0 || sig == nullptr) return static_cast<std::uint8_t>(bit_depth);
  int bits = colour ? sig->red : sig->gray;
  if (colour && (sig->green != bits || sig->blue != bits)) return static_cast<std::uint8_t>(bit_depth);
  if (bits < 1 || bits > bit_depth) return static_cast<std::uint8_t>(bit_depth);
  return static_cast<std::uint8_t>(bits);
}

Status decode(ReadContext& ctx) {
  png_structp png = ctx.png;
  png_infop info = ctx.info;
  if (setjmp(png_jmpbuf(png))) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("malformed PNG: {}", ctx.error.text));
  }
  png_set_read_fn(png, &ctx.source, read_from_memory);
  // An ancillary chunk libpng finds damaged (an sCAL with an invalid unit, say) is a warning, as PIL and ITK
  // treat it: it says nothing about the pixels. Critical chunks and the image data stay strict (below).
  png_set_benign_errors(png, 1);
  png_read_info(png, info);
  png_set_benign_errors(png, 0);  // missing or damaged image data must not pass as a warning

  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int bit_depth = 0;
  int colour_type = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &colour_type, nullptr, nullptr, nullptr);
  const std::uint64_t raw_bytes = std::uint64_t{height} * (png_get_rowbytes(png, info) + 1);
  if (raw_bytes > ctx.source.data.size() * kMaxDeflateRatio) {
    return make_error(ErrorCode::kInvalidImage,
                      fmt::format("malformed PNG: a {}x{} image cannot fit in {} bytes", width, height,
                                  ctx.source.data.size()));
  }

  const bool colour = (colour_type & PNG_COLOR_MASK_COLOR) != 0;
  std::uint8_t bits_stored = 8;
  if (colour_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
    ctx.notes.push_back("palette PNG expanded to RGB");
  } else {
    bits_stored = significant_bits(png, info, bit_depth, colour);
  }
  if (colour_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
    bits_stored = 8;
    ctx.notes.push_back(fmt::format("{}-bit grey PNG scaled to 8 bits", bit_depth));
  }
  if ((colour_type & PNG_COLOR_MASK_ALPHA) != 0) {
    ctx.notes.push_back(colour ? "RGBA PNG: alpha channel dropped" : "grey+alpha PNG: alpha channel dropped");
  } else if (png_get_valid(png, info, PNG_INFO_tRNS) != 0) {
    ctx.notes.push_back("PNG transparency (tRNS) ignored");
  }
  png_set_strip_alpha(png);  // also removes the alpha channel that palette expansion makes from tRNS
  if (bit_depth == 16) png_set_swap(png);  // PNG stores 16-bit samples big-endian; Image words are LE
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const int channels = png_get_channels(png, info);
  const int out_depth = png_get_bit_depth(png, info);
  if ((channels != 1 && channels != 3) || (out_depth != 8 && out_depth != 16)) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("PNG conversion gave {} channels of {} bits", channels, out_depth));
  }
  ctx.geometry.width = width;
  ctx.geometry.height = height;
  ctx.geometry.samples = static_cast<std::uint8_t>(channels);
  ctx.geometry.bits_allocated = static_cast<std::uint8_t>(out_depth);
  ctx.geometry.bits_stored = bits_stored;
  ctx.geometry.photometric = channels == 3 ? "RGB" : "MONOCHROME2";
  MEDCRYPT_TRY(ctx.geometry.validate());
  const std::size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes != ctx.geometry.frame_bytes() / height) {
    return make_error(ErrorCode::kInternal, "PNG row size does not match the image geometry");
  }

  ctx.pixels.resize(static_cast<std::size_t>(ctx.geometry.byte_size()), 0);
  ctx.rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) ctx.rows[y] = ctx.pixels.data() + std::size_t{y} * row_bytes;
  png_read_image(png, ctx.rows.data());
  png_set_benign_errors(png, 1);  // ancillary chunks after the pixels, as before them
  png_read_end(png, nullptr);  // checks the trailing chunks too: a file cut after its pixels is still cut
  if (ctx.error.warnings > 0) {
    ctx.notes.push_back(fmt::format("PNG read despite {} libpng warning(s), damaged ancillary chunks skipped "
                                    "(first: {})", ctx.error.warnings, ctx.error.first_warning));
  }
  return {};
}

struct WriteContext {
  WriteContext() {
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
    if (png != nullptr) info = png_create_info_struct(png);
  }
  ~WriteContext() { png_destroy_write_struct(&png, info != nullptr ? &info : nullptr); }
  WriteContext(const WriteContext&) = delete;
  WriteContext& operator=(const WriteContext&) = delete;

  png_structp png = nullptr;
  png_infop info = nullptr;
  ErrorMessage error;
  const ByteSink* sink = nullptr;
  std::optional<Error> sink_error;  // why the sink refused data, reported instead of libpng's message
  std::vector<png_bytep> rows;
};

void write_to_sink(png_structp png, png_bytep data, std::size_t length) {
  auto* ctx = static_cast<WriteContext*>(png_get_io_ptr(png));
  try {
    Status written = (*ctx->sink)(ByteView(data, length));
    if (written) return;
    ctx->sink_error = std::move(written).error();
  } catch (...) {  // an exception must not unwind through libpng's C frames
    ctx->sink_error = make_error(ErrorCode::kLimits, "out of memory while writing a PNG image");
  }
  png_error(png, "output failed");
}

void flush_sink(png_structp) {}

Status encode(WriteContext& ctx, const Image& image) {
  png_structp png = ctx.png;
  png_infop info = ctx.info;
  if (setjmp(png_jmpbuf(png))) {
    if (ctx.sink_error) return *ctx.sink_error;
    return make_error(ErrorCode::kInternal, fmt::format("PNG encoding failed: {}", ctx.error.text));
  }
  const Geometry& g = image.geometry();
  const auto rows = static_cast<png_uint_32>(std::uint64_t{g.height} * g.frames);
  const bool colour = g.samples == 3;
  png_set_write_fn(png, &ctx, write_to_sink, flush_sink);
  png_set_IHDR(png, info, g.width, rows, g.bits_allocated, colour ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (g.bits_stored < g.bits_allocated) {
    png_color_8 sig{};
    sig.gray = sig.red = sig.green = sig.blue = g.bits_stored;
    png_set_sBIT(png, info, &sig);
  }
  png_write_info(png, info);
  if (g.bits_allocated == 16) png_set_swap(png);
  // libpng copies each row before transforming it, so the const pixels are never written to.
  const std::size_t row_bytes = g.frame_bytes() / g.height;
  auto* base = const_cast<std::uint8_t*>(image.bytes().data());
  for (png_uint_32 y = 0; y < rows; ++y) ctx.rows[y] = base + std::size_t{y} * row_bytes;
  png_write_image(png, ctx.rows.data());
  png_write_end(png, nullptr);
  return {};
}

}  // namespace

Result<LoadedImage> read_png(ByteView bytes) {
  ReadContext ctx;
  if (ctx.png == nullptr || ctx.info == nullptr) {
    return make_error(ErrorCode::kInternal, "libpng init failed");
  }
  ctx.source.data = bytes;
  MEDCRYPT_TRY(decode(ctx));
  MEDCRYPT_ASSIGN_OR_RETURN(Image image, Image::from_bytes(std::move(ctx.geometry), std::move(ctx.pixels)));
  LoadedImage loaded;
  loaded.image = std::move(image);
  loaded.format = FileFormat::kPng;
  loaded.notes = std::move(ctx.notes);
  return loaded;
}

Status write_png(const Image& image, const ByteSink& sink) {
  const Geometry& g = image.geometry();
  const std::uint64_t rows = std::uint64_t{g.height} * g.frames;
  if (rows > PNG_UINT_31_MAX) {
    return make_error(ErrorCode::kLimits,
                      fmt::format("{} frames of {} rows exceed PNG's maximum height", g.frames, g.height));
  }
  WriteContext ctx;
  if (ctx.png == nullptr || ctx.info == nullptr) {
    return make_error(ErrorCode::kInternal, "libpng init failed");
  }
  ctx.sink = &sink;
  ctx.rows.resize(static_cast<std::size_t>(rows));
  return encode(ctx, image);
}

}  // namespace medcrypt::image::internal
