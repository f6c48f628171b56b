// TIFF through libtiff, in memory: 8/16-bit grey and RGB, contiguous or separate planes, strips or tiles;
// pages of one geometry become frames. libtiff's errors and warnings go to per-handle callbacks (never to
// stderr); the first error becomes the Error message.
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "image/internal/codecs.hpp"

namespace medcrypt::image::internal {
namespace {

// Caps on single allocations a hostile header can cause: libtiff's strip/tile buffers and our tile buffer.
constexpr tmsize_t kMaxLibtiffAllocation = tmsize_t{256} << 20;
constexpr std::uint64_t kMaxTileBytes = std::uint64_t{64} << 20;
// Classic TIFF has 32-bit offsets; larger outputs are written as BigTIFF.
constexpr std::uint64_t kClassicTiffLimit = std::uint64_t{3} << 30;

// The client data libtiff's I/O and error callbacks receive. Callbacks run inside libtiff's C frames, so
// they never throw: errors are kept in a fixed buffer and allocation failures become I/O errors.
struct MemoryFile {
  ByteView input;
  Bytes output;
  bool writing = false;
  std::uint64_t position = 0;
  char error[512] = "";

  ByteView data() const { return writing ? ByteView(output) : input; }
};

tmsize_t read_proc(thandle_t handle, void* buffer, tmsize_t size) {
  auto* file = static_cast<MemoryFile*>(handle);
  const ByteView data = file->data();
  if (size < 0 || file->position >= data.size()) return 0;
  const auto n = std::min<std::uint64_t>(static_cast<std::uint64_t>(size), data.size() - file->position);
  std::memcpy(buffer, data.data() + file->position, n);
  file->position += n;
  return static_cast<tmsize_t>(n);
}

tmsize_t write_proc(thandle_t handle, void* buffer, tmsize_t size) {
  auto* file = static_cast<MemoryFile*>(handle);
  if (!file->writing || size < 0) return -1;
  try {
    const std::uint64_t end = file->position + static_cast<std::uint64_t>(size);
    if (end > file->output.size()) file->output.resize(static_cast<std::size_t>(end));
    std::memcpy(file->output.data() + file->position, buffer, static_cast<std::size_t>(size));
    file->position = end;
    return size;
  } catch (...) {
    return -1;
  }
}

toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
  auto* file = static_cast<MemoryFile*>(handle);
  std::uint64_t base = 0;
  if (whence == SEEK_CUR) base = file->position;
  if (whence == SEEK_END) base = file->data().size();
  const std::uint64_t target = base + offset;  // wraps as libtiff intends for negative offsets
  if (target > (std::uint64_t{1} << 62)) return static_cast<toff_t>(-1);
  file->position = target;
  return target;
}

int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t handle) { return static_cast<MemoryFile*>(handle)->data().size(); }
int map_proc(thandle_t, void**, toff_t*) { return 0; }  // no mapping: reads go through read_proc
void unmap_proc(thandle_t, void*, toff_t) {}

int on_error(TIFF*, void* user_data, const char* module, const char* format, va_list args) {
  auto* file = static_cast<MemoryFile*>(user_data);
  if (file->error[0] == '\0') {
    char message[400];
    std::vsnprintf(message, sizeof message, format, args);
    std::snprintf(file->error, sizeof file->error, "%s%s%s", module != nullptr ? module : "",
                  module != nullptr ? ": " : "", message);
  }
  return 1;  // handled: libtiff must not also call its global handler, which prints to stderr
}

int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffCloser {
  void operator()(TIFF* tif) const { TIFFClose(tif); }
};
using TiffHandle = std::unique_ptr<TIFF, TiffCloser>;

TiffHandle open_memory(MemoryFile& file, const char* mode) {
  struct OptionsFree {
    void operator()(TIFFOpenOptions* options) const { TIFFOpenOptionsFree(options); }
  };
  std::unique_ptr<TIFFOpenOptions, OptionsFree> options(TIFFOpenOptionsAlloc());
  if (!options) return nullptr;
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), on_error, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), on_warning, &file);
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), kMaxLibtiffAllocation);
  return TiffHandle(TIFFClientOpenExt("memory", mode, &file, read_proc, write_proc, seek_proc, close_proc,
                                      size_proc, map_proc, unmap_proc, options.get()));
}

Error tiff_error(const MemoryFile& file, std::string_view fallback) {
  return make_error(ErrorCode::kInvalidImage,
                    fmt::format("malformed TIFF: {}", file.error[0] != '\0' ? file.error : fallback));
}

// How one page (directory) stores its samples.
struct PageLayout {
  Geometry geometry;
  std::uint16_t samples_per_pixel = 1;  // may exceed geometry.samples: extra (alpha) samples are dropped
  bool separate_planes = false;
};

Result<PageLayout> read_layout(TIFF* tif) {
  PageLayout layout;
  Geometry& g = layout.geometry;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint16_t bits = 1;
  std::uint16_t format = SAMPLEFORMAT_UINT;
  std::uint16_t planar = PLANARCONFIG_CONTIG;
  std::uint16_t photometric = 0;
  if (TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) != 1 ||
      TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height) != 1) {
    return make_error(ErrorCode::kInvalidImage, "malformed TIFF: missing image width or length");
  }
  if (TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric) != 1) {
    return make_error(ErrorCode::kInvalidImage, "malformed TIFF: missing photometric interpretation");
  }
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &layout.samples_per_pixel);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);

  if (format != SAMPLEFORMAT_UINT && format != SAMPLEFORMAT_INT) {
    return make_error(ErrorCode::kUnsupported, "floating-point or complex TIFF samples");
  }
  if (bits != 8 && bits != 16) {
    return make_error(ErrorCode::kUnsupported, fmt::format("{}-bit TIFF samples (8 or 16 supported)", bits));
  }
  switch (photometric) {
    case PHOTOMETRIC_MINISBLACK:
      g.photometric = "MONOCHROME2";
      g.samples = 1;
      break;
    case PHOTOMETRIC_MINISWHITE:
      g.photometric = "MONOCHROME1";
      g.samples = 1;
      break;
    case PHOTOMETRIC_RGB:
      g.photometric = "RGB";
      g.samples = 3;
      break;
    default:
      return make_error(
          ErrorCode::kUnsupported,
          fmt::format("TIFF photometric interpretation {} (grey and RGB supported)", photometric));
  }
  if (layout.samples_per_pixel < g.samples) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("malformed TIFF: {} samples per pixel for {}",
                                                            layout.samples_per_pixel, g.photometric));
  }
  g.width = width;
  g.height = height;
  g.bits_allocated = g.bits_stored = static_cast<std::uint8_t>(bits);
  g.is_signed = format == SAMPLEFORMAT_INT;
  layout.separate_planes = planar == PLANARCONFIG_SEPARATE && layout.samples_per_pixel > 1;
  MEDCRYPT_TRY(g.validate());
  return layout;
}

// Appends one plane's rows to `plane`; memory grows with what libtiff actually decodes.
Status read_strip_plane(TIFF* tif, const MemoryFile& file, std::uint32_t height, std::size_t row_bytes,
                        std::uint16_t plane_index, Bytes& plane) {
  if (static_cast<std::uint64_t>(TIFFScanlineSize64(tif)) != row_bytes) {
    return make_error(ErrorCode::kUnsupported, "TIFF scanline layout does not match its sample format");
  }
  for (std::uint32_t row = 0; row < height; ++row) {
    const std::size_t offset = plane.size();
    plane.resize(offset + row_bytes);
    if (TIFFReadScanline(tif, plane.data() + offset, row, plane_index) < 0) {
      return tiff_error(file, fmt::format("cannot read row {}", row));
    }
  }
  return {};
}

Status read_tiled_plane(TIFF* tif, const MemoryFile& file, std::uint32_t width, std::uint32_t height,
                        std::size_t pixel_bytes, std::uint16_t plane_index, Bytes& plane) {
  std::uint32_t tile_width = 0;
  std::uint32_t tile_height = 0;
  TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tile_width);
  TIFFGetField(tif, TIFFTAG_TILELENGTH, &tile_height);
  const std::uint64_t tile_bytes = std::uint64_t{tile_width} * tile_height * pixel_bytes;
  if (tile_width == 0 || tile_height == 0 || static_cast<std::uint64_t>(TIFFTileSize64(tif)) != tile_bytes) {
    return make_error(ErrorCode::kInvalidImage, "malformed TIFF: bad tile size");
  }
  if (tile_bytes > kMaxTileBytes) {
    return make_error(ErrorCode::kLimits, fmt::format("TIFF tile of {} bytes exceeds the limit of {} bytes",
                                                      tile_bytes, kMaxTileBytes));
  }
  for (std::uint32_t y = 0; y < height; y += tile_height) {
    // Decode the whole row of tiles first, so nothing is allocated for tiles that are not there.
    std::vector<Bytes> tiles;
    for (std::uint32_t x = 0; x < width; x += tile_width) {
      Bytes tile(static_cast<std::size_t>(tile_bytes));
      if (TIFFReadTile(tif, tile.data(), x, y, 0, plane_index) < 0) {
        return tiff_error(file, fmt::format("cannot read the tile at ({}, {})", x, y));
      }
      tiles.push_back(std::move(tile));
    }
    const std::uint32_t rows = std::min(tile_height, height - y);
    for (std::uint32_t r = 0; r < rows; ++r) {
      for (std::size_t t = 0; t < tiles.size(); ++t) {
        const std::uint32_t x = static_cast<std::uint32_t>(t) * tile_width;
        const std::size_t visible = std::size_t{std::min(tile_width, width - x)} * pixel_bytes;
        const std::uint8_t* src = tiles[t].data() + std::size_t{r} * tile_width * pixel_bytes;
        plane.insert(plane.end(), src, src + visible);
      }
    }
  }
  return {};
}

// Reads the current page and appends it, samples interleaved, to `pixels`.
Status read_page(TIFF* tif, const MemoryFile& file, const PageLayout& layout, PixelBytes& pixels) {
  const Geometry& g = layout.geometry;
  const std::size_t sample_bytes = g.bytes_per_sample();
  const std::size_t plane_count = layout.separate_planes ? layout.samples_per_pixel : 1;
  const std::size_t plane_samples = layout.separate_planes ? 1 : layout.samples_per_pixel;
  const std::size_t pixel_bytes = plane_samples * sample_bytes;
  const std::size_t frame_offset = pixels.size();
  const auto pixel_count = static_cast<std::size_t>(g.pixels_per_frame());

  for (std::size_t p = 0; p < plane_count; ++p) {
    if (layout.separate_planes && p >= g.samples) break;  // an extra (alpha) plane: not needed
    Bytes plane;
    const auto plane_index = static_cast<std::uint16_t>(p);
    if (TIFFIsTiled(tif) != 0) {
      MEDCRYPT_TRY(read_tiled_plane(tif, file, g.width, g.height, pixel_bytes, plane_index, plane));
    } else {
      MEDCRYPT_TRY(
          read_strip_plane(tif, file, g.height, std::size_t{g.width} * pixel_bytes, plane_index, plane));
    }
    if (p == 0) pixels.resize(frame_offset + static_cast<std::size_t>(g.frame_bytes()), 0);
    std::uint8_t* frame = pixels.data() + frame_offset;
    if (!layout.separate_planes && plane_samples == g.samples) {
      std::memcpy(frame, plane.data(), plane.size());
      continue;
    }
    // Scatter this plane's samples into their interleaved places, keeping only the first g.samples.
    for (std::size_t s = 0; s < plane_samples; ++s) {
      const std::size_t channel = layout.separate_planes ? p : s;
      if (channel >= g.samples) continue;
      for (std::size_t i = 0; i < pixel_count; ++i) {
        std::memcpy(frame + (i * g.samples + channel) * sample_bytes,
                    plane.data() + (i * plane_samples + s) * sample_bytes, sample_bytes);
      }
    }
  }
  return {};
}

std::string describe(const Geometry& g) {
  return fmt::format("{}x{}, {} sample(s) of {} bits, {}", g.width, g.height, g.samples, g.bits_allocated,
                     g.photometric);
}

}  // namespace

Result<LoadedImage> read_tiff(ByteView bytes) {
  MemoryFile file;
  file.input = bytes;
  TiffHandle tif = open_memory(file, "r");
  if (!tif) return tiff_error(file, "cannot open");

  LoadedImage loaded;
  loaded.format = FileFormat::kTiff;
  Geometry geometry;
  PixelBytes pixels;
  std::uint32_t pages = 0;
  bool dropped_samples = false;
  do {
    MEDCRYPT_ASSIGN_OR_RETURN(PageLayout layout, read_layout(tif.get()));
    if (pages == 0) {
      geometry = layout.geometry;
    } else if (layout.geometry != geometry) {
      return make_error(
          ErrorCode::kUnsupported,
          fmt::format("TIFF page {} is {} but page 1 is {}; pages become frames only if they match",
                      pages + 1, describe(layout.geometry), describe(geometry)));
    }
    if (++pages > kMaxFrames) {
      return make_error(ErrorCode::kLimits, fmt::format("TIFF has more than {} pages", kMaxFrames));
    }
    dropped_samples = dropped_samples || layout.samples_per_pixel > layout.geometry.samples;
    MEDCRYPT_TRY(read_page(tif.get(), file, layout, pixels));
    file.error[0] = '\0';  // so that an error below belongs to the next directory
  } while (TIFFReadDirectory(tif.get()) != 0);
  if (file.error[0] != '\0') return tiff_error(file, "cannot read the next page");

  geometry.frames = pages;
  if (dropped_samples) loaded.notes.push_back("TIFF extra samples (alpha) dropped");
  if (pages > 1) loaded.notes.push_back(fmt::format("{} TIFF pages read as frames", pages));
  MEDCRYPT_ASSIGN_OR_RETURN(loaded.image, Image::from_bytes(std::move(geometry), std::move(pixels)));
  return loaded;
}

Result<Bytes> encode_tiff(const Image& image) {
  const Geometry& g = image.geometry();
  MemoryFile file;
  file.writing = true;
  TiffHandle tif = open_memory(file, image.bytes().size() > kClassicTiffLimit ? "w8l" : "wl");
  auto failed = [&file](std::string_view what) {
    return make_error(
        ErrorCode::kInternal,
        fmt::format("TIFF encoding failed: {}", file.error[0] != '\0' ? file.error : std::string(what)));
  };
  if (!tif) return failed("cannot create");

  int photometric = PHOTOMETRIC_MINISBLACK;
  if (g.samples == 3) {
    photometric = PHOTOMETRIC_RGB;
  } else if (g.photometric == "MONOCHROME1") {
    photometric = PHOTOMETRIC_MINISWHITE;
  }
  const std::size_t row_bytes = static_cast<std::size_t>(g.frame_bytes() / g.height);
  Bytes row(row_bytes);  // TIFFWriteScanline takes a mutable buffer
  for (std::uint32_t f = 0; f < g.frames; ++f) {
    TIFFSetField(tif.get(), TIFFTAG_IMAGEWIDTH, g.width);
    TIFFSetField(tif.get(), TIFFTAG_IMAGELENGTH, g.height);
    TIFFSetField(tif.get(), TIFFTAG_BITSPERSAMPLE, int{g.bits_allocated});
    TIFFSetField(tif.get(), TIFFTAG_SAMPLESPERPIXEL, int{g.samples});
    TIFFSetField(tif.get(), TIFFTAG_SAMPLEFORMAT, g.is_signed ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT);
    TIFFSetField(tif.get(), TIFFTAG_PHOTOMETRIC, photometric);
    TIFFSetField(tif.get(), TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif.get(), TIFFTAG_COMPRESSION, COMPRESSION_NONE);
    TIFFSetField(tif.get(), TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(tif.get(), 0));
    if (g.frames > 1) {
      TIFFSetField(tif.get(), TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
      TIFFSetField(tif.get(), TIFFTAG_PAGENUMBER, static_cast<int>(f), static_cast<int>(g.frames));
    }
    const std::uint8_t* frame = image.bytes().data() + f * g.frame_bytes();
    for (std::uint32_t y = 0; y < g.height; ++y) {
      std::memcpy(row.data(), frame + std::size_t{y} * row_bytes, row_bytes);
      if (TIFFWriteScanline(tif.get(), row.data(), y, 0) < 0) return failed("cannot write a row");
    }
    if (TIFFWriteDirectory(tif.get()) == 0) return failed("cannot write a page");
  }
  tif.reset();
  return std::move(file.output);
}

}  // namespace medcrypt::image::internal
