// `medcrypt eval utility`: does the decrypted image still serve the diagnosis? Every held-out image goes
// through each scheme the normal way (container::seal with a fresh random key, container::open), and the
// diagnostic classifier (nn/classifier.hpp) classifies the original and the decrypted image. Per scheme:
// accuracy, MAP and ROC AUC after decryption, the share of predictions that changed, PSNR, RMSE and SSIM
// of the decrypted image against the original, and encryption and decryption times. A run may add one
// of paper 002's noise models to the image before encryption (the figures still compare with the clean
// original); a run without a scheme measures what the noise alone costs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "metrics/classification.hpp"
#include "nn/classifier.hpp"
#include "nn/classifier_data.hpp"
#include "nn/noise.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::analysis {

struct UtilityRunSpec {
  std::string scheme;              // registered name; empty: no encryption (the noise alone)
  schemes::SchemeParams params;
  std::optional<nn::NoiseSpec> noise;
  std::string label() const;       // "zigzag-gan[speckle=0.04]", "ae-aes + gaussian (variance 0.01)"
};

// "NAME" or "NAME[k=v;k=v]", or "all": every registered scheme that may be sent, and the lossy settings
// of the schemes that have one (ae-aes:paper[latent=features], zigzag-gan and zigzag-gan:paper with
// speckle=0.04). Each noise adds a run of the noise alone and one per lossy scheme with it.
Result<std::vector<UtilityRunSpec>> utility_runs(const std::vector<std::string>& specs, const std::vector<nn::NoiseSpec>& noises,
                                                 const schemes::SchemeRegistry& registry);

struct UtilityThumbnails {  // 8-bit PNGs, for the HTML report
  std::string file;
  Bytes original, cipher, decrypted, difference;  // cipher empty where the scheme has no cipher image
  int predicted_original = 0, predicted_cipher = -1, predicted_decrypted = 0;
  double difference_max = 0;  // the difference image is |decrypted - original| / this (on [0, 1])
};

struct UtilityRun {
  UtilityRunSpec spec;
  bool lossless = true;                     // as the scheme declares itself
  std::string error;                        // non-empty: the run was refused (the message), no figures
  std::vector<std::vector<double>> scores;  // per image, after decryption
  std::vector<double> psnr, rmse, ssim, encrypt_ms, decrypt_ms;  // per image; PSNR +inf when identical
  metrics::ClassificationScores figures;
  double changed = 0;            // share of images whose predicted class changed
  std::size_t identical = 0;     // decrypted images equal to the original, sample for sample
  double mean_psnr = 0;          // over the images that are not identical (NaN when all are)
  double mean_rmse = 0, mean_ssim = 0, mean_encrypt_ms = 0, mean_decrypt_ms = 0;
  std::vector<UtilityThumbnails> thumbnails;
};

struct UtilityReport {
  std::string model_digest, set, split;
  std::vector<std::string> classes;
  std::vector<std::string> files;
  std::vector<int> labels;
  std::vector<std::vector<double>> scores;  // per image, the original
  metrics::ClassificationScores figures;    // the original images
  std::vector<UtilityRun> runs;
  unsigned threads = 0;
};

struct UtilityOptions {
  std::vector<UtilityRunSpec> runs;
  unsigned threads = 0;          // 0: every core
  std::size_t thumbnails = 0;    // images per run kept for the HTML report
  std::uint64_t seed = 1;        // of the noise
  std::function<void(std::size_t done, std::size_t total)> progress;
};

Result<UtilityReport> evaluate_utility(const nn::ClassifierModel& model, const nn::ClassSet& set,
                                       const UtilityOptions& options, const schemes::SchemeRegistry& registry);

std::string utility_json(const UtilityReport& report);   // every image's label, scores and predictions
std::string utility_table(const UtilityReport& report);  // the text table
std::string utility_html(const UtilityReport& report);   // the table, and the thumbnails with predictions

}  // namespace medcrypt::analysis
