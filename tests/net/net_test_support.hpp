// What the transmission tests share: child processes, loopback ports, a PKI with identities, the
// servers a test starts for itself (PostgreSQL, Orthanc, nginx), and a raw TLS client for refusals.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crypto/identity.hpp"
#include "net/tls.hpp"

namespace medcrypt::test {

// A child process, stdout and stderr appended to `output`; killed (SIGKILL) if still running at the end.
class Process {
 public:
  static Process start(const std::vector<std::string>& argv, const std::filesystem::path& output);
  Process(Process&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  Process& operator=(Process&& other) noexcept;
  ~Process();
  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Exit code, 128 + signal if killed, -1 on timeout (still running).
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

std::string read_text(const std::filesystem::path& path);
// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
bool wait_for_text(const std::filesystem::path& path, const std::string& needle,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));
// A loopback port nothing listens on now.
std::uint16_t free_port();
bool port_open(std::uint16_t port);

// A CA, a server certificate for 127.0.0.1, and for each name an identity (NAME.key/.pub) with a client
// certificate bound to it, all under `dir`.
struct TestPki {
  TestPki(const std::filesystem::path& dir, const std::vector<std::string>& names);
  net::TlsFiles server() const;
  net::TlsFiles client(const std::string& name) const;
  std::filesystem::path key(const std::string& name) const;  // the identity's NAME.key
  std::filesystem::path pub(const std::string& name) const;
  crypto::Identity identity(const std::string& name) const;
  std::filesystem::path dir;
};

// A container of a random 8-bit grey image for `to`, signed by `signer` if given, written to `path`.
void write_container(const std::filesystem::path& path, const std::vector<crypto::PublicIdentity>& to,
                     const crypto::Identity* signer, std::uint32_t width, std::uint32_t height, std::uint32_t seed);

// The medcrypt binary and the repository.
std::string medcrypt_cli();
std::filesystem::path source_dir();

// A PostgreSQL server of its own (initdb in `dir`, loopback port, trust authentication), run as the
// postgres user when the test runs as root. nullopt and a reason when PostgreSQL is not installed.
class PostgresServer {
 public:
  static std::optional<PostgresServer> start(const std::filesystem::path& dir, std::string* skip_reason);
  PostgresServer(PostgresServer&&) noexcept;
  PostgresServer& operator=(PostgresServer&&) = delete;
  ~PostgresServer();
  std::string url() const;
  std::uint16_t port() const { return port_; }

 private:
  PostgresServer() = default;
  std::string bin_, data_, runas_;
  std::uint16_t port_ = 0;
};

// What a bare TLS client saw: whether its handshake completed, and what came back for its request.
struct ProbeResult {
  bool handshake = false;
  std::string response;
};
struct ProbeOptions {
  std::filesystem::path cert, key;  // empty: no client certificate
  std::filesystem::path ca;
  bool tls12_only = false;
  std::string request;  // raw HTTP, sent after the handshake
};
ProbeResult tls_probe(std::uint16_t port, const ProbeOptions& options);

// Forwards loopback connections to `target`; the first connection is cut after `cut_after` bytes
// from the client, as a network failure would.
class CuttingProxy {
 public:
  CuttingProxy(std::uint16_t target, std::uint64_t cut_after);
  ~CuttingProxy();
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void run();
  std::uint16_t target_, port_ = 0;
  std::uint64_t cut_after_;
  int listen_fd_ = -1;
  std::atomic<int> connections_{0};
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace medcrypt::test
