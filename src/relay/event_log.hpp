// Structured logs for the relay: one JSON object per line with the time, level, event and its fields.
// Callers log fingerprints, digests, sizes and times only, never patient data or keys.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"

namespace medcrypt::relay {

struct LogField {
  template <typename T>
    requires std::is_integral_v<T>
  LogField(std::string_view k, T v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}

  std::string_view key;
  std::variant<std::string, std::int64_t, double> value;
};

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class EventLog {
 public:
  // Writes to stderr, or appends to `file` when it is not empty.
  static Result<std::shared_ptr<EventLog>> create(const std::filesystem::path& file = {},
                                                  LogLevel level = LogLevel::kInfo);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
  void info(std::string_view event, std::initializer_list<LogField> fields = {}) { log(LogLevel::kInfo, event, fields); }
  void warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kWarning, event, fields);
  }

 private:
  struct Impl;
  explicit EventLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace medcrypt::relay
