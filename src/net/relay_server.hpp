// The relay: an HTTPS server (TLS 1.3, mutual TLS) that stores signed containers addressed to identities
// and hands each recipient what is addressed to it. It verifies structure and signature on upload and
// never holds a key. It can also evaluate a classifier's last layer on encrypted features (paper 004)
// without seeing them. docs/DEPLOY.md describes the HTTP API.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "net/tls.hpp"
#include "relay/config.hpp"
#include "relay/inference.hpp"

namespace medcrypt::net {

struct RelayOptions {
  std::string listen = "127.0.0.1:8443";  // ADDR:PORT; port 0 picks a free port (tests)
  std::filesystem::path data_dir;
  TlsFiles tls;
  relay::RelayConfig config;
  std::filesystem::path log_file;  // empty: stderr
  // Serves POST /v1/he/evaluate (encrypted inference with this head) when set; 404 otherwise.
  std::shared_ptr<const relay::InferenceService> inference;
};

class RelayServer {
 public:
  // Opens the store and the data folder, binds the address and starts serving on its own threads.
  static Result<std::unique_ptr<RelayServer>> start(const RelayOptions& options);
  ~RelayServer();  // shuts down if still running
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  std::uint16_t port() const;
  // Stops accepting connections, lets requests in flight finish (up to the configured grace), stops.
  void shutdown();

 private:
  struct Impl;
  explicit RelayServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace medcrypt::net
