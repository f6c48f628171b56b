// The analysis as one self-contained HTML page: the analysis table, then for each image and scheme its
// notes, statistics and comparison tables, the histograms of the plain and cipher images and the
// adjacent-pixel scatter plots (horizontal, vertical, diagonal) of both, per channel, as inline SVG. No
// scripts, no external files. Plot ids: a{N}-histogram-{plain|cipher}-c{C} and
// a{N}-scatter-{plain|cipher}-c{C}-{horizontal|vertical|diagonal}, N the analysis and C the channel index.
#pragma once

#include <span>
#include <string>

#include "analysis/analyze.hpp"

namespace medcrypt::analysis {

std::string html_report(std::span<const ImageAnalysis> analyses);

}  // namespace medcrypt::analysis
