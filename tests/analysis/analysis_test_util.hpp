// Analyses of small generated images, shared by the report tests.
#pragma once

#include <string>
#include <vector>

#include "analysis/analyze.hpp"

namespace medcrypt::test {

// A smooth-ish image with some texture: its figures differ from one image to the next.
inline image::LoadedImage generated_image(std::uint32_t width, std::uint32_t height, std::uint8_t samples,
                                          std::uint8_t bits, unsigned variant) {
  image::Geometry g{width, height, 1, samples, static_cast<std::uint8_t>(bits > 8 ? 16 : 8), bits, false,
                    samples == 3 ? "RGB" : "MONOCHROME2"};
  image::LoadedImage loaded;
  loaded.image = image::Image::create(g).value();
  for (std::size_t i = 0; i < g.sample_count(); ++i) {
    const std::size_t pixel = i / samples, x = pixel % width, y = pixel / width;
    const std::uint64_t v = (x * (3 + variant) + y * 2 + (i % samples) * 40 + (i * 2654435761u >> 28) % 9);
    loaded.image.set_word(i, static_cast<std::uint32_t>(v % (g.max_value() + 1)));
  }
  return loaded;
}

inline analysis::ImageAnalysis analysis_of(const image::LoadedImage& loaded, const std::string& file,
                                           const schemes::Scheme& scheme, const schemes::SchemeRegistry& registry) {
  analysis::AnalyzeOptions options;
  options.threads = 1;
  return analysis::analyze_image(loaded, file, scheme, registry, options).value();
}

}  // namespace medcrypt::test
