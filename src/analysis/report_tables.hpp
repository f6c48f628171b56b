// The tables medcrypt prints: one image's statistics (channels as columns), a comparison of two images,
// and the analysis table in the shape of the image-cipher papers' tables: rows are figures, columns are
// images (up to four), summary columns (more images), or schemes (`--scheme all`, means over images).
#pragma once

#include <span>
#include <string>

#include "analysis/analyze.hpp"
#include "analysis/text_table.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/image_stats.hpp"

namespace medcrypt::analysis {

Table stats_table(const metrics::ImageStats& stats, const std::string& title);
Table compare_table(const metrics::ImageComparison& comparison, const std::string& title);
// Channel figures are averaged over channels; comparisons use all samples of all channels.
Table analysis_table(std::span<const ImageAnalysis> analyses);

}  // namespace medcrypt::analysis
