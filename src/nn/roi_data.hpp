// Labelled region-of-interest sets, their patient-disjoint split, the overlap measures and the classical
// baseline the network is measured against.
//
// A set is a folder with images/ and masks/ (the same file names; masks 0 / 255) and optionally a
// labels.csv whose `file` column names the images. When labels.csv has a `cv_fold` column (the brain set's
// patient-wise folds) the test split is every image of `test_fold`; otherwise (the lung set: one image per
// patient) it is a seeded `test_fraction` of the images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"
#include "nn/roi.hpp"

namespace medcrypt::nn {

struct RoiSetOptions {
  std::filesystem::path folder;
  int test_fold = 4;             // used when labels.csv has cv_fold
  double test_fraction = 0.2;    // used otherwise
  std::uint64_t seed = 1;
  std::size_t limit = 0;         // at most this many images of each split (0: all), for quick runs
};

struct RoiExample {
  std::string file;
  image::Image image;  // grey, one frame
  image::Image mask;   // same size; non-zero = region of interest
};

struct RoiSet {
  std::vector<RoiExample> train, test;
  std::string split;  // how the test split was made, in words
};

Result<RoiSet> load_roi_set(const RoiSetOptions& options);

// 0/1 masks of the same size. Both empty: Dice and IoU 1.
struct Overlap {
  double dice = 0, iou = 0;
};
Overlap overlap(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> truth);
std::vector<std::uint8_t> mask_bits(const image::Image& mask);  // non-zero -> 1

// Otsu's threshold over the image's 256-bin histogram (values scaled to 8 bits), of the pixels where
// `within` is 1 (every pixel when empty): the bin t maximising the between-class variance; "above" is
// value > t.
int otsu_threshold(std::span<const std::uint8_t> values8, std::span<const std::uint8_t> within = {});

// The classical baseline, stated exactly in docs/MODELS.md:
//   lung: dark pixels (<= Otsu threshold), minus the 4-connected components touching the image border
//     (the air around the body), then the largest two components left;
//   brain-tumour: the head (largest component above the Otsu threshold, holes filled), its interior
//     (city-block distance to the outside > 8% of the width, which drops the scalp), bright pixels above
//     a second Otsu threshold taken over that interior, then the largest 4-connected component.
Result<std::vector<std::uint8_t>> baseline_roi(const image::Image& image, std::string_view kind);

// The split's options as JSON (recorded in the weights, read back by `eval roi`).
std::string roi_split_json(const RoiSetOptions& options);

// Examples at the network's resolution (roi_input, roi_target).
Result<std::vector<RoiSample>> roi_samples(const std::vector<RoiExample>& examples, int side);

// The network and the baseline on each test image, at the image's own size.
struct RoiScore {
  std::string file;
  Overlap network, baseline;
};
struct RoiEvaluation {
  std::vector<RoiScore> images;
  Overlap network, baseline;  // means over the images
  double network_seconds = 0;  // inference, all images
};
// `kind` picks the baseline and must be one the network was trained for (default: the network's kind).
Result<RoiEvaluation> evaluate_roi(const RoiModel& model, const std::vector<RoiExample>& test, std::string_view kind = {});

}  // namespace medcrypt::nn
