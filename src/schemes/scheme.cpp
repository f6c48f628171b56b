#include "schemes/scheme.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace medcrypt::schemes {

Result<SchemeParams> parse_params(std::string_view text) {
  SchemeParams out;
  while (!text.empty()) {
    auto end = text.find(';');
    std::string_view item = text.substr(0, end);
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return make_error(ErrorCode::kUsage, fmt::format("scheme parameter '{}' is not key=value", item));
    }
    if (!out.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1))).second) {
      return make_error(ErrorCode::kUsage, fmt::format("scheme parameter '{}' given twice", item.substr(0, eq)));
    }
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return out;
}

std::string format_params(const SchemeParams& params) {
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "" : ";") + k + "=" + v;
  return out;
}

void SchemeRegistry::add(SchemeInfo info, SchemeFactory factory) {
  entries_.push_back(Entry{std::move(info), factory});
}

Result<std::unique_ptr<Scheme>> SchemeRegistry::create(std::string_view name, const SchemeParams& params) const {
  const Entry* best = nullptr;
  for (const auto& e : entries_) {
    if (e.info.name == name && (best == nullptr || e.info.version > best->info.version)) best = &e;
  }
  if (best == nullptr) {
    std::string known;
    for (const auto& info : list()) known += (known.empty() ? "" : ", ") + info.name;
    return make_error(ErrorCode::kUsage, fmt::format("unknown scheme '{}' (known: {})", name, known));
  }
  return best->factory(params);
}

Result<std::unique_ptr<Scheme>> SchemeRegistry::create(std::string_view name, std::uint16_t version,
                                                       const SchemeParams& params) const {
  for (const auto& e : entries_) {
    if (e.info.name == name && e.info.version == version) return e.factory(params);
  }
  return make_error(ErrorCode::kVersion,
                    fmt::format("scheme '{}' version {} is not known to this medcrypt", name, version));
}

std::vector<SchemeInfo> SchemeRegistry::list() const {
  std::vector<SchemeInfo> out;
  for (const auto& e : entries_) {
    auto it = std::find_if(out.begin(), out.end(), [&](const SchemeInfo& i) { return i.name == e.info.name; });
    if (it == out.end()) {
      out.push_back(e.info);
    } else if (e.info.version > it->version) {
      *it = e.info;
    }
  }
  std::sort(out.begin(), out.end(), [](const SchemeInfo& a, const SchemeInfo& b) { return a.name < b.name; });
  return out;
}

const SchemeRegistry& builtin_registry() {
  static const SchemeRegistry registry = [] {
    SchemeRegistry r;
    register_builtin_schemes(r);
    return r;
  }();
  return registry;
}

}  // namespace medcrypt::schemes
