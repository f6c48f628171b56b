#include "nn/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include <zip.h>

#include "image/image_file.hpp"
#include "metrics/channel.hpp"

namespace medcrypt::nn {
namespace {

struct Group {  // images that must stay on the same side of the split (frames of one file)
  std::vector<image::Image> images;
};

// One frame of `src` as an unsigned image with `channels` samples.
image::Image convert_frame(const image::Image& src, std::uint32_t frame, int channels) {
  const image::Geometry& g = src.geometry();
  image::Geometry out = g;
  out.frames = 1;
  out.samples = static_cast<std::uint8_t>(channels);
  out.is_signed = false;
  out.photometric = channels == 1 ? "MONOCHROME2" : "RGB";
  image::Image img = image::Image::create(out).value();
  const std::size_t pixels = g.pixels_per_frame();
  const std::size_t base = frame * pixels * g.samples;
  for (std::size_t p = 0; p < pixels; ++p) {
    std::uint32_t v[3];
    for (std::uint32_t c = 0; c < g.samples; ++c) v[c] = metrics::sample_value(src.word(base + p * g.samples + c), g);
    if (g.samples == 1) {
      for (int c = 0; c < channels; ++c) img.set_word(p * channels + c, v[0]);
    } else if (channels == 3) {
      for (int c = 0; c < 3; ++c) img.set_word(p * 3 + c, v[c]);
    } else {
      img.set_word(p, static_cast<std::uint32_t>(std::lround(0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2])));
    }
  }
  return img;
}

Status add_file(const std::filesystem::path& path, const DatasetOptions& options, std::vector<Group>& groups,
                std::map<std::string, int>& notes) {
  auto loaded = image::read_image_file(path);
  if (!loaded) {
    if (loaded.error().code == ErrorCode::kUnsupported) {  // not an image (or one medcrypt cannot read): skip
      ++notes["skipped (not an image medcrypt reads)"];
      return {};
    }
    return make_error(loaded.error().code, path.string() + ": " + loaded.error().message);
  }
  const image::Geometry& g = loaded->image.geometry();
  if (g.photometric == "PALETTE COLOR") {
    ++notes["skipped (palette colour)"];
    return {};
  }
  if (g.samples != options.channels) ++notes[options.channels == 1 ? "converted to grey" : "converted to RGB"];
  Group group;
  for (std::uint32_t f = 0; f < g.frames; ++f) group.images.push_back(convert_frame(loaded->image, f, options.channels));
  groups.push_back(std::move(group));
  return {};
}

// numpy .npy header: "{'descr': '|u1', 'fortran_order': False, 'shape': (3882, 28, 28), }"
Result<std::vector<std::size_t>> npy_shape(const std::string& header, const std::string& name) {
  if (header.find("'descr': '|u1'") == std::string::npos && header.find("'descr': '<u1'") == std::string::npos) {
    return make_error(ErrorCode::kUnsupported, name + ": only uint8 arrays are read");
  }
  if (header.find("'fortran_order': False") == std::string::npos) {
    return make_error(ErrorCode::kUnsupported, name + ": Fortran-ordered arrays are not read");
  }
  const auto key = header.find("'shape'");
  const auto open = header.find('(', key), close = header.find(')', open);
  if (key == std::string::npos || open == std::string::npos || close == std::string::npos) {
    return make_error(ErrorCode::kInvalidImage, name + ": no shape in the .npy header");
  }
  std::vector<std::size_t> shape;
  std::size_t value = 0;
  bool digits = false;
  for (std::size_t i = open + 1; i <= close; ++i) {
    const char c = header[i];
    if (c >= '0' && c <= '9') {
      if (value > (std::size_t{1} << 40)) return make_error(ErrorCode::kLimits, name + ": absurd shape");
      value = value * 10 + static_cast<std::size_t>(c - '0');
      digits = true;
    } else if (c == ',' || c == ')') {
      if (digits) shape.push_back(value);
      value = 0;
      digits = false;
    } else if (c != ' ') {
      return make_error(ErrorCode::kInvalidImage, name + ": malformed shape in the .npy header");
    }
  }
  return shape;
}

Status add_npz(const std::filesystem::path& path, const DatasetOptions& options, std::vector<Group>& groups,
               std::map<std::string, int>& notes) {
  int err = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (archive == nullptr) return make_error(ErrorCode::kInvalidImage, path.string() + ": not a readable .npz (zip) archive");
  std::unique_ptr<zip_t, int (*)(zip_t*)> guard(archive, zip_close);
  const zip_int64_t entries = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    const std::string name = zip_get_name(archive, i, 0);
    if (name.find("images") == std::string::npos || !name.ends_with(".npy")) continue;
    zip_stat_t st;
    if (zip_stat_index(archive, i, 0, &st) != 0 || st.size > (2ull << 30)) {
      return make_error(ErrorCode::kLimits, path.string() + ": " + name + " is too large");
    }
    Bytes data(st.size);
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen_index(archive, i, 0), zip_fclose);
    if (!file || zip_fread(file.get(), data.data(), data.size()) != static_cast<zip_int64_t>(data.size())) {
      return make_error(ErrorCode::kInvalidImage, path.string() + ": " + name + " cannot be decompressed");
    }
    if (data.size() < 10 || std::string(data.begin() + 1, data.begin() + 6) != "NUMPY") {
      return make_error(ErrorCode::kInvalidImage, path.string() + ": " + name + " is not a .npy array");
    }
    const bool v1 = data[6] == 1;
    const std::size_t header_len = v1 ? data[8] | data[9] << 8 : data[8] | data[9] << 8 | data[10] << 16 | std::size_t{data[11]} << 24;
    const std::size_t start = (v1 ? 10 : 12) + header_len;
    if (start > data.size()) return make_error(ErrorCode::kInvalidImage, path.string() + ": " + name + " is truncated");
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::size_t> shape,
                              npy_shape(std::string(data.begin() + (v1 ? 10 : 12), data.begin() + start), name));
    const std::size_t samples = shape.size() == 4 ? shape[3] : 1;
    if ((shape.size() != 3 && shape.size() != 4) || (samples != 1 && samples != 3) || shape[1] == 0 || shape[2] == 0 ||
        shape[1] > image::kMaxDimension || shape[2] > image::kMaxDimension) {
      return make_error(ErrorCode::kUnsupported, path.string() + ": " + name + ": expected N x H x W (x 1 or 3) images");
    }
    const std::size_t each = shape[1] * shape[2] * samples;
    if (data.size() - start != shape[0] * each) {
      return make_error(ErrorCode::kInvalidImage, path.string() + ": " + name + ": size does not match its shape");
    }
    image::Geometry g;
    g.width = static_cast<std::uint32_t>(shape[2]);
    g.height = static_cast<std::uint32_t>(shape[1]);
    g.samples = static_cast<std::uint8_t>(samples);
    g.photometric = samples == 1 ? "MONOCHROME2" : "RGB";
    for (std::size_t n = 0; n < shape[0]; ++n) {
      const auto* p = data.data() + start + n * each;
      image::Image img = image::Image::from_bytes(g, PixelBytes(p, p + each)).value();
      groups.push_back(Group{{convert_frame(img, 0, options.channels)}});
    }
    ++notes["read from " + path.filename().string() + ":" + name];
  }
  return {};
}

}  // namespace

image::Image resize_bilinear(const image::Image& src, std::uint32_t width, std::uint32_t height) {
  const image::Geometry& g = src.geometry();
  image::Geometry out = g;
  out.width = width;
  out.height = height;
  out.frames = 1;
  image::Image img = image::Image::create(out).value();
  const double sx = double(g.width) / width, sy = double(g.height) / height;
  for (std::uint32_t y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, double(g.height - 1));
    const std::uint32_t y0 = static_cast<std::uint32_t>(fy), y1 = std::min(y0 + 1, g.height - 1);
    const double wy = fy - y0;
    for (std::uint32_t x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, double(g.width - 1));
      const std::uint32_t x0 = static_cast<std::uint32_t>(fx), x1 = std::min(x0 + 1, g.width - 1);
      const double wx = fx - x0;
      for (std::uint32_t c = 0; c < g.samples; ++c) {
        auto at = [&](std::uint32_t xx, std::uint32_t yy) { return double(src.word((std::size_t{yy} * g.width + xx) * g.samples + c)); };
        const double v = (1 - wy) * ((1 - wx) * at(x0, y0) + wx * at(x1, y0)) + wy * ((1 - wx) * at(x0, y1) + wx * at(x1, y1));
        img.set_word((std::size_t{y} * width + x) * g.samples + c, static_cast<std::uint32_t>(std::lround(v)));
      }
    }
  }
  return img;
}

Result<Dataset> load_dataset(const DatasetOptions& options) {
  if (options.channels != 1 && options.channels != 3) return make_error(ErrorCode::kUsage, "dataset: channels must be 1 or 3");
  if (!(options.test_fraction >= 0 && options.test_fraction < 1)) {
    return make_error(ErrorCode::kUsage, "dataset: the test fraction must lie in [0, 1)");
  }
  std::vector<Group> groups;
  std::map<std::string, int> notes;
  for (const auto& source : options.sources) {
    std::error_code ec;
    if (std::filesystem::is_directory(source, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(source, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        if (file.extension() == ".npz") {
          MEDCRYPT_TRY(add_npz(file, options, groups, notes));
        } else {
          MEDCRYPT_TRY(add_file(file, options, groups, notes));
        }
      }
    } else if (std::filesystem::is_regular_file(source, ec)) {
      MEDCRYPT_TRY(source.extension() == ".npz" ? add_npz(source, options, groups, notes)
                                                 : add_file(source, options, groups, notes));
    } else {
      return make_error(ErrorCode::kIo, source.string() + ": no such file or folder");
    }
  }
  if (options.limit != 0 && groups.size() > options.limit) groups.resize(options.limit);
  if (groups.empty()) return make_error(ErrorCode::kUsage, "dataset: no images found");

  std::vector<std::size_t> order(groups.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  std::shuffle(order.begin(), order.end(), rng);
  const auto test_groups = static_cast<std::size_t>(std::lround(options.test_fraction * groups.size()));

  Dataset data;
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto& side = i < test_groups ? data.test : data.train;
    for (auto& img : groups[order[i]].images) {
      const image::Geometry& g = img.geometry();
      const std::uint32_t short_side = std::min(g.width, g.height);
      if (options.side != 0 && (g.width != options.side || g.height != options.side)) {
        img = resize_bilinear(img, options.side, options.side);
        ++notes["resampled (bilinear) to " + std::to_string(options.side) + "x" + std::to_string(options.side)];
      } else if (short_side < options.min_side) {
        const double s = double(options.min_side) / short_side;
        img = resize_bilinear(img, static_cast<std::uint32_t>(std::ceil(g.width * s)),
                              static_cast<std::uint32_t>(std::ceil(g.height * s)));
        ++notes["enlarged (bilinear) to a side of " + std::to_string(options.min_side)];
      }
      side.push_back(std::move(img));
    }
  }
  for (const auto& [what, count] : notes) data.notes.push_back(std::to_string(count) + " x " + what);
  return data;
}

}  // namespace medcrypt::nn
