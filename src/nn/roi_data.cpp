#include "nn/roi_data.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <random>

#include <nlohmann/json.hpp>

#include "image/image_file.hpp"
#include "metrics/channel.hpp"
#include "nn/csv_table.hpp"

namespace medcrypt::nn {
namespace {

Result<image::Image> read_grey(const std::filesystem::path& path) {
  auto loaded = image::read_image_file(path);
  if (!loaded) return make_error(loaded.error().code, path.string() + ": " + loaded.error().message);
  const image::Geometry& g = loaded->image.geometry();
  if (g.samples != 1 || g.frames != 1 || g.floating_point()) {
    return make_error(ErrorCode::kUnsupported, path.string() + ": ROI sets hold grey single-frame images");
  }
  return std::move(loaded->image);
}

// 8-bit view of a grey image (value * 255 / max), for histograms.
std::vector<std::uint8_t> to_8bit(const image::Image& img) {
  const image::Geometry& g = img.geometry();
  const double scale = 255.0 / g.max_value();
  std::vector<std::uint8_t> out(g.pixels_per_frame());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::lround(metrics::sample_value(img.word(i), g) * scale));
  }
  return out;
}

// 4-connected components of the 1s of `bits`: a label per pixel (0 = none) and each label's size.
std::vector<std::uint32_t> label_components(std::span<const std::uint8_t> bits, std::uint32_t w, std::uint32_t h,
                                            std::vector<std::size_t>& sizes) {
  std::vector<std::uint32_t> label(bits.size(), 0);
  sizes.assign(1, 0);
  std::vector<std::size_t> stack;
  for (std::size_t start = 0; start < bits.size(); ++start) {
    if (bits[start] == 0 || label[start] != 0) continue;
    const auto id = static_cast<std::uint32_t>(sizes.size());
    sizes.push_back(0);
    label[start] = id;
    stack.push_back(start);
    while (!stack.empty()) {
      const std::size_t p = stack.back();
      stack.pop_back();
      ++sizes[id];
      const std::size_t x = p % w, y = p / w;
      const auto visit = [&](std::size_t q) {
        if (bits[q] != 0 && label[q] == 0) {
          label[q] = id;
          stack.push_back(q);
        }
      };
      if (x > 0) visit(p - 1);
      if (x + 1 < w) visit(p + 1);
      if (y > 0) visit(p - w);
      if (y + 1 < h) visit(p + w);
    }
  }
  return label;
}

// Keeps the `keep` largest components of `bits`, optionally dropping those that touch the border first.
std::vector<std::uint8_t> largest_components(std::span<const std::uint8_t> bits, std::uint32_t w, std::uint32_t h,
                                             int keep, bool drop_border) {
  std::vector<std::size_t> sizes;
  const std::vector<std::uint32_t> label = label_components(bits, w, h, sizes);
  if (drop_border) {
    const auto drop = [&](std::size_t p) { sizes[label[p]] = 0; };
    for (std::uint32_t x = 0; x < w; ++x) {
      drop(x);
      drop(std::size_t{h - 1} * w + x);
    }
    for (std::uint32_t y = 0; y < h; ++y) {
      drop(std::size_t{y} * w);
      drop(std::size_t{y} * w + w - 1);
    }
  }
  sizes[0] = 0;
  std::vector<std::uint32_t> order(sizes.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return sizes[a] != sizes[b] ? sizes[a] > sizes[b] : a < b; });
  std::vector<std::uint8_t> kept(sizes.size(), 0);
  for (int i = 0; i < keep && i < static_cast<int>(order.size()); ++i) {
    if (sizes[order[i]] > 0) kept[order[i]] = 1;
  }
  std::vector<std::uint8_t> out(bits.size());
  for (std::size_t p = 0; p < out.size(); ++p) out[p] = kept[label[p]];
  return out;
}

}  // namespace

Result<RoiSet> load_roi_set(const RoiSetOptions& o) {
  const auto images_dir = o.folder / "images", masks_dir = o.folder / "masks";
  if (!std::filesystem::is_directory(images_dir) || !std::filesystem::is_directory(masks_dir)) {
    return make_error(ErrorCode::kIo, o.folder.string() + ": not an ROI set (needs images/ and masks/)");
  }
  // File names, and each one's fold when labels.csv has one.
  std::vector<std::pair<std::string, int>> files;
  bool has_folds = false;
  if (std::filesystem::exists(o.folder / "labels.csv")) {
    MEDCRYPT_ASSIGN_OR_RETURN(CsvTable csv, read_csv_table(o.folder / "labels.csv"));
    const std::size_t file_col = csv.column("file"), fold_col = csv.column("cv_fold");
    if (!csv.has("file")) return make_error(ErrorCode::kInvalidImage, o.folder.string() + "/labels.csv has no file column");
    has_folds = csv.has("cv_fold");
    for (const auto& row : csv.rows) files.emplace_back(row[file_col], has_folds ? std::atoi(row[fold_col].c_str()) : 0);
  } else {
    for (const auto& entry : std::filesystem::directory_iterator(images_dir)) files.emplace_back(entry.path().filename().string(), 0);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return make_error(ErrorCode::kIo, o.folder.string() + ": no images");

  std::vector<bool> is_test(files.size(), false);
  RoiSet set;
  if (has_folds) {
    for (std::size_t i = 0; i < files.size(); ++i) is_test[i] = files[i].second == o.test_fold;
    set.split = "test = cv_fold " + std::to_string(o.test_fold) + " (patient-wise folds of labels.csv)";
  } else {
    if (!(o.test_fraction > 0 && o.test_fraction < 1)) return make_error(ErrorCode::kUsage, "roi set: the test fraction must lie in (0, 1)");
    std::vector<std::size_t> order(files.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::mt19937_64 rng(o.seed);
    std::shuffle(order.begin(), order.end(), rng);
    const auto n_test = static_cast<std::size_t>(std::lround(o.test_fraction * files.size()));
    for (std::size_t i = 0; i < n_test; ++i) is_test[order[i]] = true;
    set.split = "test = a seeded share " + std::to_string(o.test_fraction).substr(0, 4) + " (seed " + std::to_string(o.seed) +
                ", one image per patient)";
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto& side = is_test[i] ? set.test : set.train;
    if (o.limit != 0 && side.size() >= o.limit) continue;
    MEDCRYPT_ASSIGN_OR_RETURN(const std::filesystem::path image_path, listed_file(images_dir, files[i].first));
    MEDCRYPT_ASSIGN_OR_RETURN(const std::filesystem::path mask_path, listed_file(masks_dir, files[i].first));
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image img, read_grey(image_path));
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image mask, read_grey(mask_path));
    if (img.geometry().width != mask.geometry().width || img.geometry().height != mask.geometry().height) {
      return make_error(ErrorCode::kInvalidImage, files[i].first + ": the mask's size is not the image's");
    }
    side.push_back(RoiExample{files[i].first, std::move(img), std::move(mask)});
  }
  if (set.test.empty() || set.train.empty()) return make_error(ErrorCode::kUsage, o.folder.string() + ": the split leaves no training or no test images");
  return set;
}

Overlap overlap(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> truth) {
  std::size_t both = 0, p = 0, t = 0;
  for (std::size_t i = 0; i < predicted.size() && i < truth.size(); ++i) {
    both += predicted[i] & truth[i];
    p += predicted[i];
    t += truth[i];
  }
  if (p + t == 0) return Overlap{1, 1};
  return Overlap{2.0 * both / double(p + t), double(both) / double(p + t - both)};
}

std::vector<std::uint8_t> mask_bits(const image::Image& mask) {
  std::vector<std::uint8_t> out(mask.geometry().pixels_per_frame());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = mask.word(i * mask.geometry().samples) != 0;
  return out;
}

int otsu_threshold(std::span<const std::uint8_t> values8, std::span<const std::uint8_t> within) {
  std::array<double, 256> hist{};
  double n = 0;
  for (std::size_t i = 0; i < values8.size(); ++i) {
    if (within.empty() || within[i] != 0) {
      hist[values8[i]] += 1;
      n += 1;
    }
  }
  if (n == 0) return 127;
  double total = 0;
  for (int v = 0; v < 256; ++v) total += v * hist[v];
  double below = 0, below_sum = 0, best = -1;
  int best_t = 0;
  for (int t = 0; t < 255; ++t) {
    below += hist[t];
    below_sum += t * hist[t];
    if (below == 0 || below == n) continue;
    const double m0 = below_sum / below, m1 = (total - below_sum) / (n - below);
    const double between = below * (n - below) * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      best_t = t;
    }
  }
  return best_t;
}

Result<std::vector<std::uint8_t>> baseline_roi(const image::Image& img, std::string_view kind) {
  const image::Geometry& g = img.geometry();
  if (g.samples != 1 || g.frames != 1 || g.floating_point()) {
    return make_error(ErrorCode::kUnsupported, "baseline: grey single-frame images only");
  }
  const std::vector<std::uint8_t> v = to_8bit(img);
  std::vector<std::uint8_t> bits(v.size());
  if (kind == "lung") {
    const int t = otsu_threshold(v);
    for (std::size_t i = 0; i < v.size(); ++i) bits[i] = v[i] <= t;
    return largest_components(bits, g.width, g.height, 2, true);
  }
  if (kind == "brain-tumour") {
    // The head: the largest component above Otsu's threshold, its holes filled.
    const int t1 = otsu_threshold(v);
    for (std::size_t i = 0; i < v.size(); ++i) bits[i] = v[i] > t1;
    std::vector<std::uint8_t> head = largest_components(bits, g.width, g.height, 1, false);
    std::vector<std::uint8_t> outside(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) outside[i] = head[i] == 0;
    const std::vector<std::uint8_t> enclosed = largest_components(outside, g.width, g.height, int(v.size()), true);
    for (std::size_t i = 0; i < v.size(); ++i) head[i] |= enclosed[i];
    // Its interior: city-block distance to the outside over 8% of the width, which drops the bright scalp
    // (without this the largest bright component is the scalp, Dice 0 on every test image).
    const std::uint32_t w = g.width, h = g.height, far = w + h;
    std::vector<std::uint32_t> dist(v.size());
    for (std::uint32_t y = 0; y < h; ++y) {
      for (std::uint32_t x = 0; x < w; ++x) {
        const std::size_t p = std::size_t{y} * w + x;
        std::uint32_t d = head[p] ? far : 0;
        if (d && x > 0) d = std::min(d, dist[p - 1] + 1);
        if (d && y > 0) d = std::min(d, dist[p - w] + 1);
        dist[p] = head[p] && (x == 0 || y == 0) ? 1 : d;
      }
    }
    for (std::uint32_t y = h; y-- > 0;) {
      for (std::uint32_t x = w; x-- > 0;) {
        const std::size_t p = std::size_t{y} * w + x;
        if (x + 1 < w) dist[p] = std::min(dist[p], dist[p + 1] + 1);
        if (y + 1 < h) dist[p] = std::min(dist[p], dist[p + w] + 1);
        if (head[p] && (x + 1 == w || y + 1 == h)) dist[p] = std::min<std::uint32_t>(dist[p], 1);
      }
    }
    std::vector<std::uint8_t> inner(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) inner[i] = dist[i] > 0.08 * w;
    // The tumour: the largest component above a second Otsu threshold taken inside the interior.
    const int t2 = otsu_threshold(v, inner);
    for (std::size_t i = 0; i < v.size(); ++i) bits[i] = inner[i] && v[i] > t2;
    return largest_components(bits, g.width, g.height, 1, false);
  }
  return make_error(ErrorCode::kUsage, "baseline: no classical baseline for the kind '" + std::string(kind) + "'");
}

std::string roi_split_json(const RoiSetOptions& o) {
  return nlohmann::json{{"test_fold", o.test_fold}, {"test_fraction", o.test_fraction}, {"seed", o.seed}}.dump();
}

Result<std::vector<RoiSample>> roi_samples(const std::vector<RoiExample>& examples, int side) {
  std::vector<RoiSample> out;
  out.reserve(examples.size());
  for (const RoiExample& e : examples) {
    RoiSample s;
    MEDCRYPT_ASSIGN_OR_RETURN(s.image, roi_input(e.image, side));
    MEDCRYPT_ASSIGN_OR_RETURN(s.mask, roi_target(e.mask, side));
    out.push_back(std::move(s));
  }
  return out;
}

Result<RoiEvaluation> evaluate_roi(const RoiModel& model, const std::vector<RoiExample>& test, std::string_view kind) {
  RoiEvaluation ev;
  if (kind.empty()) kind = model.kind();
  if (test.empty()) return make_error(ErrorCode::kUsage, "eval roi: no test images");
  for (const RoiExample& e : test) {
    const std::vector<std::uint8_t> truth = mask_bits(e.mask);
    const auto start = std::chrono::steady_clock::now();
    MEDCRYPT_ASSIGN_OR_RETURN(RoiMask predicted, model.predict(e.image, kind));
    ev.network_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::uint8_t> baseline, baseline_roi(e.image, kind));
    RoiScore score{e.file, overlap(predicted.mask, truth), overlap(baseline, truth)};
    ev.network.dice += score.network.dice;
    ev.network.iou += score.network.iou;
    ev.baseline.dice += score.baseline.dice;
    ev.baseline.iou += score.baseline.iou;
    ev.images.push_back(std::move(score));
  }
  const double n = static_cast<double>(test.size());
  ev.network = {ev.network.dice / n, ev.network.iou / n};
  ev.baseline = {ev.baseline.dice / n, ev.baseline.iou / n};
  return ev;
}

}  // namespace medcrypt::nn
