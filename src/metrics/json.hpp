// The JSON forms of the stats and compare reports. The keys are an interface other tools read
// (docs/ANALYSIS.md lists them); NaN and infinities, which JSON lacks, become null.
#pragma once

#include <nlohmann/json.hpp>

#include "metrics/classification.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/image_stats.hpp"

namespace medcrypt::metrics {

nlohmann::json json_number(double x);

// {"max_value", "sampled_pairs", "seed", "channels": [{"channel", "entropy", "entropy_bytes",
//  "local_entropy", ..., "chi_square", "chi_square_p", ..., "correlation": {...}, "correlation_sampled": {...}}]}
nlohmann::json to_json(const ImageStats& stats);

// {"npcr", "uaci", "npcr_critical", "uaci_critical", "npcr_pass", "uaci_pass", "mse", "rmse", "mae", "psnr",
//  "ssim", "max_value", "samples", "channels": [the same per channel, with "channel"]}
nlohmann::json to_json(const ImageComparison& comparison);

// {"images", "accuracy", "map", "roc_auc", "average_precision": [per class], "auc": [per class]}
nlohmann::json to_json(const ClassificationScores& scores);

}  // namespace medcrypt::metrics
