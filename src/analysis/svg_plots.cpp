#include "analysis/svg_plots.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "analysis/text_table.hpp"

namespace medcrypt::analysis {
namespace {

// Plot area inside the <svg>, in pixels; the margins hold the axis labels.
constexpr double kWidth = 300, kHeight = 220;
constexpr double kLeft = 48, kTop = 22, kRight = 10, kBottom = 26;
constexpr double kPlotWidth = kWidth - kLeft - kRight, kPlotHeight = kHeight - kTop - kBottom;

std::string open_svg(const std::string& kind, const std::string& id, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot {0}\" id=\"{1}\" width=\"{2}\" height=\"{3}\" "
      "viewBox=\"0 0 {2} {3}\" role=\"img\" aria-label=\"{4}\"><title>{4}</title>"
      "<rect x=\"0\" y=\"0\" width=\"{2}\" height=\"{3}\" fill=\"#ffffff\"/>"
      "<text x=\"{5}\" y=\"15\" font-size=\"12\" text-anchor=\"middle\" fill=\"#222\">{4}</text>",
      kind, html_escape(id), kWidth, kHeight, html_escape(title), kLeft + kPlotWidth / 2);
}

std::string axes(const std::string& x_low, const std::string& x_high, const std::string& y_low,
                 const std::string& y_high) {
  const double bottom = kTop + kPlotHeight;
  return fmt::format(
      "<path d=\"M{0},{1}V{2}H{3}\" fill=\"none\" stroke=\"#444\" stroke-width=\"1\"/>"
      "<text x=\"{0}\" y=\"{4}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#444\">{5}</text>"
      "<text x=\"{3}\" y=\"{4}\" font-size=\"10\" text-anchor=\"end\" fill=\"#444\">{6}</text>"
      "<text x=\"{7}\" y=\"{2}\" font-size=\"10\" text-anchor=\"end\" fill=\"#444\">{8}</text>"
      "<text x=\"{7}\" y=\"{9}\" font-size=\"10\" text-anchor=\"end\" fill=\"#444\">{10}</text>",
      kLeft, kTop, bottom, kLeft + kPlotWidth, bottom + 14, x_low, x_high, kLeft - 4, y_low, kTop + 8, y_high);
}

}  // namespace

std::string histogram_svg(const std::vector<std::uint64_t>& bars, std::uint32_t max_value, const std::string& id,
                          const std::string& title, const std::string& colour) {
  const std::uint64_t tallest = std::max<std::uint64_t>(1, *std::max_element(bars.begin(), bars.end()));
  const double bar_width = kPlotWidth / static_cast<double>(bars.size());
  const double bottom = kTop + kPlotHeight;
  // One path for every bar keeps a 256-bar histogram to a few kilobytes.
  std::string d;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    if (bars[i] == 0) continue;
    const double height = kPlotHeight * static_cast<double>(bars[i]) / static_cast<double>(tallest);
    d += fmt::format("M{:.2f},{:.2f}v{:.2f}h{:.3f}v{:.2f}z", kLeft + i * bar_width, bottom, -height, bar_width, height);
  }
  return open_svg("histogram", id, title) + fmt::format("<path d=\"{}\" fill=\"{}\"/>", d, colour) +
         axes("0", std::to_string(max_value), "0", std::to_string(tallest)) + "</svg>";
}

std::string scatter_svg(const std::vector<std::pair<std::uint16_t, std::uint16_t>>& pairs, std::uint32_t max_value,
                        const std::string& id, const std::string& title, const std::string& colour) {
  const double scale_x = kPlotWidth / std::max<double>(1, max_value);
  const double scale_y = kPlotHeight / std::max<double>(1, max_value);
  const double bottom = kTop + kPlotHeight;
  std::string d;
  for (const auto& [a, b] : pairs) {
    d += fmt::format("M{:.1f},{:.1f}h1.6v1.6h-1.6z", kLeft + a * scale_x - 0.8, bottom - b * scale_y - 0.8);
  }
  return open_svg("scatter", id, title) + fmt::format("<path d=\"{}\" fill=\"{}\" fill-opacity=\"0.6\"/>", d, colour) +
         axes("0", std::to_string(max_value), "0", std::to_string(max_value)) + "</svg>";
}

}  // namespace medcrypt::analysis
