#include "analysis/report_json.hpp"

#include <algorithm>
#include <cmath>
#include <map>


#include "metrics/json.hpp"

namespace medcrypt::analysis {
namespace {

nlohmann::json geometry_json(const image::Geometry& g) {
  return {{"width", g.width},
          {"height", g.height},
          {"frames", g.frames},
          {"samples", g.samples},
          {"bits_allocated", g.bits_allocated},
          {"bits_stored", g.bits_stored},
          {"signed", g.is_signed},
          {"photometric", g.photometric}};
}

nlohmann::json decrypt_json(const WrongKeyDecryption& d) {
  if (d.comparison) return metrics::to_json(*d.comparison);
  return {{"rejected", d.rejected->message}, {"error", error_code_name(d.rejected->code)}};
}

void flatten_into(const nlohmann::json& value, const std::string& key,
                  std::vector<std::pair<std::string, nlohmann::json>>& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) flatten_into(v, key.empty() ? k : key + "." + k, out);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) flatten_into(value[i], key + "." + std::to_string(i), out);
  } else {
    out.emplace_back(key, value);
  }
}

std::string csv_cell(const nlohmann::json& value) {
  if (value.is_null()) return {};
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (!value.is_string()) return value.dump();
  std::string s = value.get<std::string>();
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

nlohmann::json figure_summary(const std::vector<double>& values) {
  const double n = static_cast<double>(values.size());
  double mean = 0;
  for (double v : values) mean += v;
  mean /= n;
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return {{"mean", mean},
          {"std", values.size() < 2 ? nlohmann::json(nullptr) : nlohmann::json(std::sqrt(squares / (n - 1)))},
          {"min", *std::min_element(values.begin(), values.end())},
          {"max", *std::max_element(values.begin(), values.end())}};
}

}  // namespace

namespace {

nlohmann::json to_json(const RegionLeakage& r) {
  return {{"samples", r.samples},
          {"plain_entropy", metrics::json_number(r.plain_entropy)},
          {"cipher_entropy", metrics::json_number(r.cipher_entropy)},
          {"cipher_correlation", metrics::json_number(r.cipher_correlation)},
          {"plain_cipher_correlation", metrics::json_number(r.plain_cipher_correlation)}};
}

}  // namespace

nlohmann::json to_json(const ImageAnalysis& a) {
  nlohmann::json out = {
      {"file", a.file},
      {"scheme", a.scheme},
      {"geometry", geometry_json(a.geometry)},
      {"cipher_image", a.cipher_image},
      {"plain", metrics::to_json(a.plain)},
      {"quality", metrics::to_json(a.quality)},
      {"key_space_bits", a.key_space_bits},
      {"timing",
       {{"encrypt_ms", a.timing.encrypt_ms},
        {"decrypt_ms", a.timing.decrypt_ms},
        {"encrypt_mb_s", a.timing.encrypt_mb_s},
        {"decrypt_mb_s", a.timing.decrypt_mb_s},
        {"runs", a.timing.runs},
        {"threads", a.timing.threads}}},
      {"notes", a.notes},
  };
  if (a.cipher_image) {  // without one, these sections are absent rather than zero
    nlohmann::json plaintext = metrics::to_json(a.plaintext_sensitivity.cipher);
    plaintext["changed_sample"] = a.plaintext_sensitivity.changed_sample;
    plaintext["test_mode"] = true;
    out["cipher"] = metrics::to_json(a.cipher);
    out["plaintext_sensitivity"] = std::move(plaintext);
    out["key_sensitivity"] = {{"flipped_bit", a.key_sensitivity.flipped_bit},
                              {"test_mode", true},
                              {"cipher", metrics::to_json(a.key_sensitivity.cipher)},
                              {"decrypt", decrypt_json(a.key_sensitivity.decrypt)}};
  }
  if (a.selective) {
    const SelectiveLeakage& s = *a.selective;
    out["selective"] = {{"light_share", s.light_share},
                        {"light", to_json(s.light)},
                        {"full", to_json(s.full)},
                        {"full_cipher_encrypt_ms", s.full_cipher.encrypt_ms},
                        {"full_cipher_decrypt_ms", s.full_cipher.decrypt_ms},
                        {"speedup", s.speedup},
                        {"decrypt_speedup", s.decrypt_speedup}};
  }
  return out;
}

std::vector<std::pair<std::string, nlohmann::json>> flatten(const nlohmann::json& document) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  flatten_into(document, "", out);
  return out;
}

nlohmann::json summary_json(std::span<const ImageAnalysis> analyses) {
  nlohmann::json summary = nlohmann::json::object();
  std::vector<std::string> schemes;
  for (const ImageAnalysis& a : analyses) {
    if (std::find(schemes.begin(), schemes.end(), a.scheme) == schemes.end()) schemes.push_back(a.scheme);
  }
  for (const std::string& scheme : schemes) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<double>> figures;
    std::size_t images = 0;
    for (const ImageAnalysis& a : analyses) {
      if (a.scheme != scheme) continue;
      ++images;
      for (const auto& [key, value] : flatten(to_json(a))) {
        if (!value.is_number() && !value.is_boolean()) continue;
        auto [it, inserted] = figures.try_emplace(key);
        if (inserted) order.push_back(key);
        it->second.push_back(value.is_boolean() ? (value.get<bool>() ? 1.0 : 0.0) : value.get<double>());
      }
    }
    nlohmann::json per_figure = nlohmann::json::object();
    for (const std::string& key : order) per_figure[key] = figure_summary(figures[key]);
    summary[scheme] = {{"images", images}, {"figures", std::move(per_figure)}};
  }
  return summary;
}

nlohmann::json report_json(std::span<const ImageAnalysis> analyses) {
  nlohmann::json images = nlohmann::json::array();
  for (const ImageAnalysis& a : analyses) images.push_back(to_json(a));
  return {{"images", std::move(images)}, {"summary", summary_json(analyses)}};
}

std::string report_csv(std::span<const ImageAnalysis> analyses) {
  std::vector<std::string> columns = {"file", "scheme"};
  std::vector<std::map<std::string, nlohmann::json>> rows;
  for (const ImageAnalysis& a : analyses) {
    std::map<std::string, nlohmann::json> row;
    for (auto& [key, value] : flatten(to_json(a))) {
      if (key.rfind("notes.", 0) == 0) continue;  // sentences, not figures
      if (row.emplace(key, value).second &&
          std::find(columns.begin(), columns.end(), key) == columns.end()) {
        columns.push_back(key);
      }
    }
    rows.push_back(std::move(row));
  }
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csv_cell(columns[i]);
  out += "\r\n";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      auto it = row.find(columns[i]);
      out += (i ? "," : "") + (it == row.end() ? std::string() : csv_cell(it->second));
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace medcrypt::analysis
