// `medcrypt analyze`: one image through one scheme, measured the way the image-cipher literature does:
// statistics of the plain and cipher images, plaintext and key sensitivity (test mode), the quality of the
// decrypted image, the key space and the encryption and decryption speed. A scheme without a cipher image
// (ae-aes: its payload is sealed features, not pixels) gets what applies to it: the plain image's
// statistics, the decrypted image's quality, key space and speed.
#pragma once

#include <string>
#include <vector>

#include "analysis/plot_data.hpp"
#include "analysis/selective.hpp"
#include "analysis/sensitivity.hpp"
#include "analysis/thumbnails.hpp"
#include "analysis/timing.hpp"
#include "core/parallel.hpp"
#include "image/image_file.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/image_stats.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::analysis {

struct AnalyzeOptions {
  // Sampled pairs and seed. The seed also fixes the test-mode key and randomness (seed), the changed
  // plain sample (seed + 2) and the flipped key bit (seed + 3).
  metrics::StatsOptions stats;
  unsigned threads = default_threads();  // for the timing runs
  bool thumbnails = true;                // the PNG pictures only the HTML report shows
};

struct ImageAnalysis {
  std::string file;
  std::string scheme;
  image::Geometry geometry;
  bool cipher_image = true;  // false: the scheme has none, and cipher, the sensitivities and cipher_plots are empty
  metrics::ImageStats plain;
  metrics::ImageStats cipher;
  PlaintextSensitivity plaintext_sensitivity;
  KeySensitivity key_sensitivity;
  metrics::ImageComparison quality;  // plain against decrypted (real reader, right key)
  double key_space_bits = 0;         // from the scheme's own description
  Timing timing;
  std::optional<SelectiveLeakage> selective;  // a selective mode's leakage and speed, when one is on
  std::vector<std::string> notes;    // what a reader of the figures must know (test mode, refusals)
  PlotData plain_plots;
  PlotData cipher_plots;
  Thumbnails thumbnails;  // for the HTML report; empty unless AnalyzeOptions::thumbnails
};

// Every registered scheme, lossy ones and those without a cipher image included, with its default
// parameters (`analyze --scheme all`).
Result<std::vector<std::unique_ptr<schemes::Scheme>>> analyzable_schemes(const schemes::SchemeRegistry& registry);

Result<ImageAnalysis> analyze_image(const image::LoadedImage& loaded, const std::string& file,
                                    const schemes::Scheme& scheme, const schemes::SchemeRegistry& registry,
                                    const AnalyzeOptions& options);

}  // namespace medcrypt::analysis
