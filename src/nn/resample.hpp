// Area-average resampling of one channel of an image's first frame to side x side, the input side of the
// ROI network and the classifier: each output cell averages the source pixels it covers, by area.
#pragma once

#include <vector>

#include "image/image.hpp"

namespace medcrypt::nn {

// Values / max (or, with `binary`, 1 where the sample is non-zero), of sample `channel` (0 for grey).
std::vector<float> area_resample(const image::Image& image, int side, int channel = 0, bool binary = false);

}  // namespace medcrypt::nn
