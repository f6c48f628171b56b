// The analysis report as JSON and CSV. JSON: {"images": [one object per image and scheme], "summary":
// {scheme: {"images", "figures": {flat key: {"mean", "std", "min", "max"}}}}}; CSV: one row per image and
// scheme, one column per flat key. docs/ANALYSIS.md lists the keys.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analyze.hpp"

namespace medcrypt::analysis {

nlohmann::json to_json(const ImageAnalysis& analysis);

// Numbers, booleans and strings of a JSON document under dotted keys ("cipher.channels.0.entropy"), in
// document order; null values are kept (as null).
std::vector<std::pair<std::string, nlohmann::json>> flatten(const nlohmann::json& document);

// Per scheme, over its images: mean, sample standard deviation (null below two images), minimum and
// maximum of every numeric figure (booleans count as 0 and 1: the mean of a pass flag is a pass rate).
nlohmann::json summary_json(std::span<const ImageAnalysis> analyses);

nlohmann::json report_json(std::span<const ImageAnalysis> analyses);

// RFC 4180 CSV: a header of flat keys ("file", "scheme", then the union of the others in first-seen
// order, notes left out) and one row per analysis; null and missing values are empty cells.
std::string report_csv(std::span<const ImageAnalysis> analyses);

}  // namespace medcrypt::analysis
