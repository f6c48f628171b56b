#include "metrics/json.hpp"

#include <cmath>

namespace medcrypt::metrics {
namespace {

nlohmann::json interval_json(const Interval& i) { return {{"low", json_number(i.low)}, {"high", json_number(i.high)}}; }

template <typename T, typename Convert>
nlohmann::json per_level(const PerLevel<T>& values, Convert convert) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < kLevelCount; ++i) out[level_name(kSignificanceLevels[i])] = convert(values[i]);
  return out;
}
const auto kAsIs = [](auto x) { return nlohmann::json(x); };

nlohmann::json correlations_json(const Correlations& c) {
  nlohmann::json out = nlohmann::json::object();
  for (Direction d : kDirections) out[std::string(direction_name(d))] = json_number(c[d]);
  return out;
}

nlohmann::json channel_json(const ChannelStats& s) {
  return {
      {"channel", s.name},
      {"entropy", json_number(s.entropy)},
      {"entropy_bytes", json_number(s.entropy_bytes)},
      {"local_entropy", json_number(s.local_entropy.value)},
      {"local_entropy_blocks", s.local_entropy.blocks},
      {"local_entropy_block_pixels", s.local_entropy.block_pixels},
      {"local_entropy_critical", per_level(s.local_entropy.acceptance, interval_json)},
      {"local_entropy_pass", per_level(s.local_entropy.pass, kAsIs)},
      {"chi_square", json_number(s.chi_square.statistic)},
      {"chi_square_p", json_number(s.chi_square.p_value)},
      {"chi_square_critical", per_level(s.chi_square.critical, kAsIs)},
      {"chi_square_pass", per_level(s.chi_square.pass, kAsIs)},
      {"correlation", correlations_json(s.correlation)},
      {"correlation_sampled", correlations_json(s.correlation_sampled)},
  };
}

nlohmann::json comparison_json(const ChannelComparison& c) {
  const DifferentialTest& d = c.differential;
  return {
      {"npcr", json_number(d.npcr)},
      {"uaci", json_number(d.uaci)},
      {"npcr_critical", per_level(d.npcr_critical, kAsIs)},
      {"uaci_critical", per_level(d.uaci_critical, interval_json)},
      {"npcr_pass", per_level(d.npcr_pass, kAsIs)},
      {"uaci_pass", per_level(d.uaci_pass, kAsIs)},
      {"mse", json_number(c.error.mse)},
      {"rmse", json_number(c.error.rmse)},
      {"mae", json_number(c.error.mae)},
      {"psnr", json_number(c.error.psnr)},
      {"ssim", json_number(c.ssim)},
      {"samples", c.sums.samples},
  };
}

}  // namespace

nlohmann::json json_number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json to_json(const ImageStats& stats) {
  nlohmann::json channels = nlohmann::json::array();
  for (const ChannelStats& s : stats.channels) channels.push_back(channel_json(s));
  return {{"max_value", stats.max_value},
          {"sampled_pairs", stats.options.sampled_pairs},
          {"seed", stats.options.seed},
          {"channels", std::move(channels)}};
}

nlohmann::json to_json(const ImageComparison& comparison) {
  nlohmann::json out = comparison_json(comparison.overall);
  out["max_value"] = comparison.max_value;
  nlohmann::json channels = nlohmann::json::array();
  for (const ChannelComparison& c : comparison.channels) {
    nlohmann::json j = comparison_json(c);
    j["channel"] = c.name;
    channels.push_back(std::move(j));
  }
  out["channels"] = std::move(channels);
  return out;
}

nlohmann::json to_json(const ClassificationScores& s) {
  nlohmann::json ap = nlohmann::json::array(), auc = nlohmann::json::array();
  for (double v : s.average_precision) ap.push_back(json_number(v));
  for (double v : s.auc) auc.push_back(json_number(v));
  return {{"images", s.images}, {"accuracy", json_number(s.accuracy)}, {"map", json_number(s.mean_average_precision)},
          {"roc_auc", json_number(s.roc_auc)}, {"average_precision", ap}, {"auc", auc}};
}

}  // namespace medcrypt::metrics
