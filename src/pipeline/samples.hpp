// Sample images medcrypt can make by itself, so the demo needs no data: a Shepp-Logan phantom as a
// 16-bit CT slice, an 8-bit grey image and an RGB image, with mild noise like a real acquisition.
#pragma once

#include <filesystem>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::pipeline {

// The modified Shepp-Logan phantom (Toft 1996) sampled on a size x size grid, values in [0, 1].
std::vector<double> shepp_logan(std::uint32_t size);

// Writes ct_phantom.dcm (512x512, 12 bits in 16, CT), mr_phantom.png (256x256 8-bit grey) and
// rgb_phantom.png (320x240 RGB) into `dir`, seeded so every run makes the same files.
Result<std::vector<std::filesystem::path>> write_sample_images(const std::filesystem::path& dir);

}  // namespace medcrypt::pipeline
