// The relay's configuration: storage backend and limits, read from a JSON file (docs/DEPLOY.md lists
// every key). Every limit has a default fit for one hospital site.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace medcrypt::relay {

struct RelayLimits {
  std::uint64_t max_message_bytes = std::uint64_t{4} << 30;  // one container
  std::uint32_t max_header_bytes = 16 * 1024;                // one HTTP request header
  std::uint64_t quota_bytes = std::uint64_t{64} << 30;       // per client: undelivered messages and open uploads
  double rate_per_second = 200;                              // requests per client, refilled continuously
  double rate_burst = 400;
  std::chrono::seconds idle_timeout{30};       // no byte received for this long closes the connection
  std::chrono::seconds handshake_timeout{10};  // TLS handshake and request header
  // A slow client: a request body must arrive at this average rate (after idle_timeout of grace).
  std::uint64_t min_upload_bytes_per_second = 32 * 1024;
  std::chrono::hours upload_expiry{24};  // an unfinished upload is dropped after this
  std::size_t max_connections = 1024;
  // One encrypted-inference request (POST /v1/he/evaluate), held in memory while it is evaluated: 2048
  // features of 47 images at 3072 bits take about 1 MiB.
  std::uint64_t max_inference_request_bytes = 64ull << 20;
  // Encrypted-inference requests read and evaluated at once (more are answered 503 and retried): each
  // holds its request in memory and keeps one blocking thread and every core busy while it is evaluated.
  unsigned inference_jobs = 1;
};

struct RelayConfig {
  // "sqlite" (DATA/relay.db), "sqlite:PATH", or a PostgreSQL URL "postgresql://user@host:port/db".
  std::string store = "sqlite";
  unsigned threads = 0;  // network threads; 0: up to 4, one per core
  unsigned blocking_threads = 0;  // fsync, verification and database work; 0: 4 per network thread
  std::chrono::seconds shutdown_grace{10};  // SIGTERM: how long requests in flight may take to finish
  RelayLimits limits;
};

// Reads a JSON object whose keys are those of docs/DEPLOY.md; an unknown key is an error (a typo would
// otherwise leave a limit at its default unnoticed).
Result<RelayConfig> load_relay_config(const std::filesystem::path& path);

}  // namespace medcrypt::relay
