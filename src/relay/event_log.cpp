#include "relay/event_log.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace medcrypt::relay {
namespace {

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarning: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

struct EventLog::Impl {
  std::shared_ptr<spdlog::logger> logger;
};

EventLog::EventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventLog::~EventLog() = default;

Result<std::shared_ptr<EventLog>> EventLog::create(const std::filesystem::path& file, LogLevel level) {
  spdlog::sink_ptr sink;
  try {
    if (file.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string());
    }
  } catch (const spdlog::spdlog_ex& e) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open the log: {}", file.string(), e.what()));
  }
  auto impl = std::make_unique<Impl>();
  impl->logger = std::make_shared<spdlog::logger>("relay", std::move(sink));
  // The fields come as the inside of a JSON object; spdlog adds the time and level around them.
  impl->logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  impl->logger->set_level(spdlog_level(level));
  impl->logger->flush_on(spdlog::level::debug);
  return std::shared_ptr<EventLog>(new EventLog(std::move(impl)));
}

void EventLog::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  auto lvl = spdlog_level(level);
  if (!impl_->logger->should_log(lvl)) return;
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["event"] = event;
  for (const LogField& f : fields) {
    std::visit([&](const auto& v) { line[std::string(f.key)] = v; }, f.value);
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Drop the braces: the pattern puts the time and level first inside one object.
  impl_->logger->log(lvl, std::string_view(text).substr(1, text.size() - 2));
}

}  // namespace medcrypt::relay
