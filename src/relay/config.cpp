#include "relay/config.hpp"

#include <functional>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file_io.hpp"

namespace medcrypt::relay {
namespace {

using Json = nlohmann::json;
// Stores a value into its field, or returns what the value should have been.
using Setter = std::function<const char*(const Json&)>;

template <typename T>
Setter set_number(T& target) {
  return [&target](const Json& v) -> const char* {
    if (!v.is_number() || v.get<double>() < 0) return "a number >= 0";
    target = v.get<T>();
    return nullptr;
  };
}

template <typename Duration>
Setter set_duration(Duration& target) {
  return [&target](const Json& v) -> const char* {
    if (!v.is_number_unsigned()) return "a whole number >= 0";
    target = Duration(v.get<std::uint64_t>());
    return nullptr;
  };
}

}  // namespace

Result<RelayConfig> load_relay_config(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes text, read_file(path, 1 << 20));
  RelayConfig config;
  RelayLimits& l = config.limits;
  const std::map<std::string, Setter> keys = {
      {"store",
       [&](const Json& v) -> const char* {
         if (!v.is_string()) return "a string";
         config.store = v.get<std::string>();
         return nullptr;
       }},
      {"threads", set_number(config.threads)},
      {"blocking_threads", set_number(config.blocking_threads)},
      {"shutdown_grace_s", set_duration(config.shutdown_grace)},
      {"max_message_bytes", set_number(l.max_message_bytes)},
      {"max_header_bytes", set_number(l.max_header_bytes)},
      {"max_inference_request_bytes", set_number(l.max_inference_request_bytes)},
      {"inference_jobs", set_number(l.inference_jobs)},
      {"quota_bytes", set_number(l.quota_bytes)},
      {"rate_per_second", set_number(l.rate_per_second)},
      {"rate_burst", set_number(l.rate_burst)},
      {"idle_timeout_s", set_duration(l.idle_timeout)},
      {"handshake_timeout_s", set_duration(l.handshake_timeout)},
      {"min_upload_bytes_per_second", set_number(l.min_upload_bytes_per_second)},
      {"upload_expiry_h", set_duration(l.upload_expiry)},
      {"max_connections", set_number(l.max_connections)},
  };
  Json doc = Json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::kUsage, fmt::format("{}: expected a JSON object", path.string()));
  }
  for (const auto& [key, value] : doc.items()) {
    auto it = keys.find(key);
    if (it == keys.end()) return make_error(ErrorCode::kUsage, fmt::format("{}: unknown key \"{}\"", path.string(), key));
    if (const char* expected = it->second(value)) {
      return make_error(ErrorCode::kUsage, fmt::format("{}: \"{}\" must be {}", path.string(), key, expected));
    }
  }
  if (l.max_header_bytes < 1024) return make_error(ErrorCode::kUsage, "max_header_bytes must be at least 1024");
  if (l.rate_burst < 1) return make_error(ErrorCode::kUsage, "rate_burst must be at least 1");
  if (l.inference_jobs < 1) return make_error(ErrorCode::kUsage, "inference_jobs must be at least 1");
  return config;
}

}  // namespace medcrypt::relay
