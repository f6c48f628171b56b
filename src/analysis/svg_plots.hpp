// Inline SVG plots for the HTML report: plain markup, no scripts, no external files. Each <svg> carries
// the classes "plot" and its kind ("histogram", "scatter") and the id it is given.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace medcrypt::analysis {

// Bars over the value range 0..max_value.
std::string histogram_svg(const std::vector<std::uint64_t>& bars, std::uint32_t max_value, const std::string& id,
                          const std::string& title, const std::string& colour);

// Points (first, second value of a pair) on 0..max_value squared.
std::string scatter_svg(const std::vector<std::pair<std::uint16_t, std::uint16_t>>& pairs, std::uint32_t max_value,
                        const std::string& id, const std::string& title, const std::string& colour);

}  // namespace medcrypt::analysis
