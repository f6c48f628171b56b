// Training and evaluation images: every image file medcrypt reads (DICOM included) found in folders,
// and numpy .npz archives (the MedMNIST layout: uint8 arrays named *images*, N x H x W or N x H x W x 3).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::nn {

struct DatasetOptions {
  std::vector<std::filesystem::path> sources;  // folders (searched recursively) and .npz files
  int channels = 3;                 // images are converted to grey (ITU-R BT.601 luma) or RGB (grey repeated)
  std::uint32_t min_side = 0;       // images with a shorter side are enlarged (bilinear) to reach it
  std::uint32_t side = 0;           // if set, every image is resampled (bilinear) to side x side
  double test_fraction = 0.1;       // held out, chosen by `seed`, never trained on
  std::uint64_t seed = 1;
  std::size_t limit = 0;            // at most this many images (0: all), taken before the split
};

// Images are unsigned (signed samples offset), 8 or 16 bits as read, one frame each (frames of a
// multi-frame file become separate images but stay on the same side of the split).
struct Dataset {
  std::vector<image::Image> train, test;
  std::vector<std::string> notes;  // what was converted or skipped
};

Result<Dataset> load_dataset(const DatasetOptions& options);

// Bilinear resampling (pixel centres aligned), used to enlarge small images.
image::Image resize_bilinear(const image::Image& image, std::uint32_t width, std::uint32_t height);

}  // namespace medcrypt::nn
