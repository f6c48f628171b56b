#include "analysis/report_tables.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>

#include <fmt/format.h>

namespace medcrypt::analysis {
namespace {

using metrics::ChannelStats;
using metrics::Direction;
using metrics::kSignificanceLevels;

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

std::string number(double x, int digits, const std::string& missing = "undefined") {
  if (std::isnan(x)) return missing;
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return fmt::format("{:.{}f}", x, digits);
}

std::string verdicts(const metrics::PerLevel<bool>& pass) {
  std::string out;
  for (bool p : pass) out += (out.empty() ? "" : " / ") + std::string(p ? "pass" : "FAIL");
  return out;
}

std::string interval(const metrics::Interval& i, int digits) {
  return number(i.low, digits) + ".." + number(i.high, digits);
}

const std::string kLevels = "α = 0.05 / 0.01 / 0.001";

}  // namespace

Table stats_table(const metrics::ImageStats& stats, const std::string& title) {
  Table t;
  t.title = title;
  t.columns = {"figure"};
  for (const ChannelStats& c : stats.channels) t.columns.push_back(c.name);
  auto row = [&](const std::string& label, const std::function<std::string(const ChannelStats&)>& cell) {
    std::vector<std::string> cells{label};
    for (const ChannelStats& c : stats.channels) cells.push_back(cell(c));
    t.add_row(std::move(cells));
  };
  t.add_section("Entropy (bits)");
  row("entropy", [](const ChannelStats& c) { return number(c.entropy, 6); });
  row("entropy over bytes", [](const ChannelStats& c) { return number(c.entropy_bytes, 6); });
  row("local entropy", [](const ChannelStats& c) {
    return fmt::format("{} ({} x {})", number(c.local_entropy.value, 6, "no block fits"), c.local_entropy.blocks,
                       c.local_entropy.block_pixels);
  });
  row("  acceptance, α = 0.05", [](const ChannelStats& c) { return interval(c.local_entropy.acceptance[0], 6); });
  row("  " + kLevels, [](const ChannelStats& c) {
    return c.local_entropy.blocks == 0 ? std::string("n/a") : verdicts(c.local_entropy.pass);
  });
  t.add_section("Histogram uniformity (chi-square)");
  row("chi-square", [](const ChannelStats& c) { return number(c.chi_square.statistic, 2); });
  row("p-value", [](const ChannelStats& c) { return fmt::format("{:.4g}", c.chi_square.p_value); });
  row("  critical, α = 0.05", [](const ChannelStats& c) { return number(c.chi_square.critical[0], 2); });
  row("  " + kLevels, [](const ChannelStats& c) { return verdicts(c.chi_square.pass); });
  t.add_section("Adjacent-pixel correlation, all pairs");
  for (Direction d : metrics::kDirections) {
    row(std::string(metrics::direction_name(d)), [d](const ChannelStats& c) { return number(c.correlation[d], 6); });
  }
  t.add_section(fmt::format("Adjacent-pixel correlation, {} sampled pairs", stats.options.sampled_pairs));
  for (Direction d : metrics::kDirections) {
    row(std::string(metrics::direction_name(d)),
        [d](const ChannelStats& c) { return number(c.correlation_sampled[d], 6); });
  }
  return t;
}

Table compare_table(const metrics::ImageComparison& comparison, const std::string& title) {
  Table t;
  t.title = title;
  t.columns = {"figure", "all samples"};
  std::vector<const metrics::ChannelComparison*> columns{&comparison.overall};
  if (comparison.channels.size() > 1) {
    for (const auto& c : comparison.channels) {
      t.columns.push_back(c.name);
      columns.push_back(&c);
    }
  }
  auto row = [&](const std::string& label, const std::function<std::string(const metrics::ChannelComparison&)>& cell) {
    std::vector<std::string> cells{label};
    for (const auto* c : columns) cells.push_back(cell(*c));
    t.add_row(std::move(cells));
  };
  t.add_section(fmt::format("Differential (F = {})", comparison.max_value));
  row("NPCR %", [](const auto& c) { return number(c.differential.npcr, 4); });
  row("  NPCR*, α = 0.05", [](const auto& c) { return number(c.differential.npcr_critical[0], 4); });
  row("  " + kLevels, [](const auto& c) { return verdicts(c.differential.npcr_pass); });
  row("UACI %", [](const auto& c) { return number(c.differential.uaci, 4); });
  row("  UACI*, α = 0.05", [](const auto& c) { return interval(c.differential.uaci_critical[0], 4); });
  row("  " + kLevels, [](const auto& c) { return verdicts(c.differential.uaci_pass); });
  t.add_section("Error and similarity");
  row("MSE", [](const auto& c) { return number(c.error.mse, 4); });
  row("RMSE", [](const auto& c) { return number(c.error.rmse, 4); });
  row("MAE", [](const auto& c) { return number(c.error.mae, 4); });
  row("PSNR dB", [](const auto& c) { return number(c.error.psnr, 4); });
  row("SSIM", [](const auto& c) { return number(c.ssim, 6, "n/a (under 11x11)"); });
  return t;
}

namespace {

struct Figure {
  std::string section;
  std::string label;
  std::function<double(const ImageAnalysis&)> value;  // NaN: no value
  int digits = 4;
  bool pass_rate = false;          // a pass flag (0 or 1), or the fraction passing once averaged
  std::string missing = "undefined";
  bool of_cipher_image = false;    // measured on cipher images: none where the scheme has none
};

double channel_mean(const metrics::ImageStats& stats, const std::function<double(const ChannelStats&)>& field) {
  double sum = 0;
  for (const ChannelStats& c : stats.channels) sum += field(c);
  return sum / static_cast<double>(stats.channels.size());
}

std::vector<Figure> figures(std::size_t sampled_pairs) {
  std::vector<Figure> out;
  auto stats_figure = [&](const std::string& section, const std::string& label, bool cipher,
                          std::function<double(const ChannelStats&)> field, int digits, bool pass_rate = false) {
    out.push_back({section, label,
                   [cipher, field](const ImageAnalysis& a) { return channel_mean(cipher ? a.cipher : a.plain, field); },
                   digits, pass_rate, "undefined", cipher});
  };
  const std::string entropy = "Entropy (bits)";
  stats_figure(entropy, "plain", false, [](const ChannelStats& c) { return c.entropy; }, 6);
  stats_figure(entropy, "cipher", true, [](const ChannelStats& c) { return c.entropy; }, 6);
  stats_figure(entropy, "cipher, over bytes", true, [](const ChannelStats& c) { return c.entropy_bytes; }, 6);
  stats_figure(entropy, "cipher, local (30 x 1936)", true, [](const ChannelStats& c) { return c.local_entropy.value; }, 6);
  stats_figure(entropy, "  local entropy test, α = 0.05", true,
               [](const ChannelStats& c) { return c.local_entropy.blocks ? double(c.local_entropy.pass[0]) : kNone; }, 0,
               true);
  const std::string histogram = "Histogram (chi-square)";
  stats_figure(histogram, "plain", false, [](const ChannelStats& c) { return c.chi_square.statistic; }, 2);
  stats_figure(histogram, "cipher", true, [](const ChannelStats& c) { return c.chi_square.statistic; }, 2);
  stats_figure(histogram, "cipher p-value", true, [](const ChannelStats& c) { return c.chi_square.p_value; }, 4);
  stats_figure(histogram, "  chi-square test, α = 0.05", true,
               [](const ChannelStats& c) { return double(c.chi_square.pass[0]); }, 0, true);
  for (bool cipher : {false, true}) {
    for (bool sampled : {false, true}) {
      if (!cipher && sampled) continue;
      const std::string section = fmt::format("Correlation, {} ({})", cipher ? "cipher" : "plain",
                                              sampled ? fmt::format("{} sampled pairs", sampled_pairs) : "all pairs");
      for (Direction d : metrics::kDirections) {
        stats_figure(section, std::string(metrics::direction_name(d)), cipher,
                     [d, sampled](const ChannelStats& c) { return sampled ? c.correlation_sampled[d] : c.correlation[d]; },
                     6);
      }
    }
  }
  auto comparison_figures = [&](const std::string& section,
                                std::function<const metrics::ImageComparison*(const ImageAnalysis&)> pick,
                                const std::string& missing) {
    auto add = [&](const std::string& label, std::function<double(const metrics::ChannelComparison&)> field, int digits,
                   bool pass_rate = false) {
      out.push_back({section, label,
                     [pick, field](const ImageAnalysis& a) {
                       const metrics::ImageComparison* c = pick(a);
                       return c ? field(c->overall) : kNone;
                     },
                     digits, pass_rate, missing, true});
    };
    add("NPCR %", [](const auto& c) { return c.differential.npcr; }, 4);
    add("UACI %", [](const auto& c) { return c.differential.uaci; }, 4);
    add("  NPCR test, α = 0.05", [](const auto& c) { return double(c.differential.npcr_pass[0]); }, 0, true);
    add("  UACI test, α = 0.05", [](const auto& c) { return double(c.differential.uaci_pass[0]); }, 0, true);
  };
  comparison_figures("Plaintext sensitivity (one sample +1, test mode)",
                     [](const ImageAnalysis& a) { return &a.plaintext_sensitivity.cipher; }, "undefined");
  comparison_figures("Key sensitivity: cipher images (one key bit flipped)",
                     [](const ImageAnalysis& a) { return &a.key_sensitivity.cipher; }, "undefined");
  comparison_figures("Key sensitivity: decrypted with the flipped key",
                     [](const ImageAnalysis& a) {
                       const auto& d = a.key_sensitivity.decrypt;
                       return d.comparison ? &*d.comparison : nullptr;
                     },
                     "rejected");
  const std::string quality = "Decryption quality (right key)";
  out.push_back({quality, "MSE", [](const ImageAnalysis& a) { return a.quality.overall.error.mse; }, 4});
  out.push_back({quality, "PSNR dB", [](const ImageAnalysis& a) { return a.quality.overall.error.psnr; }, 2});
  out.push_back({quality, "SSIM", [](const ImageAnalysis& a) { return a.quality.overall.ssim; }, 6, false, "n/a"});
  const std::string cost = "Key space and speed";
  out.push_back({cost, "key space (bits)", [](const ImageAnalysis& a) { return a.key_space_bits; }, 0});
  out.push_back({cost, "encrypt ms", [](const ImageAnalysis& a) { return a.timing.encrypt_ms; }, 3});
  out.push_back({cost, "decrypt ms", [](const ImageAnalysis& a) { return a.timing.decrypt_ms; }, 3});
  out.push_back({cost, "encrypt MB/s", [](const ImageAnalysis& a) { return a.timing.encrypt_mb_s; }, 1});
  out.push_back({cost, "decrypt MB/s", [](const ImageAnalysis& a) { return a.timing.decrypt_mb_s; }, 1});
  return out;
}

// A column: a label and the analyses it aggregates with one statistic.
enum class Statistic { kMean, kStd, kMin, kMax };
struct Column {
  std::string label;
  std::vector<const ImageAnalysis*> analyses;
  Statistic statistic = Statistic::kMean;
};

double aggregate(const Figure& f, const Column& column) {
  std::vector<double> values;
  for (const ImageAnalysis* a : column.analyses) {
    if (f.of_cipher_image && !a->cipher_image) continue;
    const double v = f.value(*a);
    if (!std::isnan(v)) values.push_back(v);
  }
  if (values.empty()) return kNone;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  switch (column.statistic) {
    case Statistic::kMean: return mean;
    case Statistic::kMin: return *std::min_element(values.begin(), values.end());
    case Statistic::kMax: return *std::max_element(values.begin(), values.end());
    case Statistic::kStd: {
      if (values.size() < 2 || std::isinf(mean)) return kNone;
      double squares = 0;
      for (double v : values) squares += (v - mean) * (v - mean);
      return std::sqrt(squares / static_cast<double>(values.size() - 1));
    }
  }
  return kNone;
}

std::string cell(const Figure& f, double x) {
  if (std::isnan(x)) return f.missing;
  if (!f.pass_rate) return number(x, f.digits);
  if (x == 1) return "pass";
  if (x == 0) return "FAIL";
  return fmt::format("{:.0f}% pass", 100 * x);
}

}  // namespace

Table analysis_table(std::span<const ImageAnalysis> analyses) {
  std::vector<std::string> schemes;
  for (const ImageAnalysis& a : analyses) {
    if (std::find(schemes.begin(), schemes.end(), a.scheme) == schemes.end()) schemes.push_back(a.scheme);
  }
  std::vector<Column> columns;
  Table t;
  constexpr std::size_t kImageColumns = 4;
  if (schemes.size() > 1) {
    for (const std::string& s : schemes) {
      Column c{s, {}, Statistic::kMean};
      for (const ImageAnalysis& a : analyses) {
        if (a.scheme == s) c.analyses.push_back(&a);
      }
      columns.push_back(std::move(c));
    }
    t.title = fmt::format("Schemes compared over {} image(s): means over images and channels",
                          columns.front().analyses.size());
  } else if (analyses.size() <= kImageColumns) {
    for (const ImageAnalysis& a : analyses) {
      columns.push_back({std::filesystem::path(a.file).filename().string(), {&a}, Statistic::kMean});
    }
    t.title = fmt::format("Scheme {}: channel figures are means over channels", schemes.empty() ? "" : schemes[0]);
  } else {
    std::vector<const ImageAnalysis*> all;
    for (const ImageAnalysis& a : analyses) all.push_back(&a);
    for (auto [label, statistic] : {std::pair{"mean", Statistic::kMean}, std::pair{"std", Statistic::kStd},
                                    std::pair{"min", Statistic::kMin}, std::pair{"max", Statistic::kMax}}) {
      columns.push_back({label, all, statistic});
    }
    t.title = fmt::format("Scheme {} over {} images: channel figures are means over channels", schemes[0],
                          analyses.size());
  }
  t.columns = {"figure"};
  for (const Column& c : columns) t.columns.push_back(c.label);
  const std::size_t pairs = analyses.empty() ? metrics::kDefaultSampledPairs : analyses[0].plain.options.sampled_pairs;
  std::string section;
  for (const Figure& f : figures(pairs)) {
    if (f.section != section) {
      section = f.section;
      t.add_section(section);
    }
    std::vector<std::string> cells{f.label};
    for (const Column& c : columns) {
      const bool none = f.of_cipher_image && std::none_of(c.analyses.begin(), c.analyses.end(),
                                                          [](const ImageAnalysis* a) { return a->cipher_image; });
      cells.push_back(none ? "no cipher image" : cell(f, aggregate(f, c)));
    }
    t.add_row(std::move(cells));
  }
  return t;
}

}  // namespace medcrypt::analysis
