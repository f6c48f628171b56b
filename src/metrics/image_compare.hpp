// Everything `medcrypt compare` reports about two images of the same geometry: NPCR and UACI with their
// critical values, MSE, RMSE, MAE, PSNR and SSIM, over all samples and per channel.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"
#include "metrics/channel.hpp"
#include "metrics/differential.hpp"
#include "metrics/quality.hpp"

namespace medcrypt::metrics {

struct ChannelComparison {
  std::string name;
  DifferenceSums sums;
  DifferentialTest differential;
  ErrorMeasures error;
  double ssim = 0;
};

struct ImageComparison {
  // F = 2^bits - 1 with the larger bits stored of the two (a plain 12-bit image against its 16-bit cipher
  // image is measured on the 16-bit scale).
  std::uint32_t max_value = 0;
  ChannelComparison overall;  // every sample of every channel; SSIM is the mean of the channels' SSIM
  std::vector<ChannelComparison> channels;
};

// Width, height, frames, samples and bits allocated must match (kUsage otherwise); bits stored and
// signedness may differ, each image's values being read with its own (channel.hpp).
Result<ImageComparison> compare_images(const image::ImageView& a, const image::ImageView& b);

// The same for channels already split; `a` and `b` have matching channels and geometry.
ImageComparison compare_channels(std::span<const Channel> a, std::span<const Channel> b,
                                 const std::vector<std::string>& names);

}  // namespace medcrypt::metrics
