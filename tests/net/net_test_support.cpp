#include "net_test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <random>

#include "container/container.hpp"
#include "net/pki.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {

Process Process::start(const std::vector<std::string>& argv, const std::filesystem::path& output) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return Process(pid);
}

Process& Process::operator=(Process&& other) noexcept {
  std::swap(pid_, other.pid_);
  return *this;
}

Process::~Process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int Process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int status = 0;
  bool done = wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
  if (!done) return -1;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool wait_for_text(const std::filesystem::path& path, const std::string& needle, std::chrono::milliseconds timeout) {
  return wait_until([&] { return read_text(path).find(needle) != std::string::npos; }, timeout);
}

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_open(std::uint16_t port) {
  int fd = connect_loopback(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

TestPki::TestPki(const std::filesystem::path& d, const std::vector<std::string>& names) : dir(d) {
  std::filesystem::create_directories(dir);
  if (!net::ca_init(dir, {})) throw std::runtime_error("ca init failed");
  net::IssueOptions server;
  server.name = "relay";
  server.server_hosts = {"127.0.0.1"};
  if (!net::ca_issue(dir, server)) throw std::runtime_error("server certificate failed");
  for (const auto& name : names) {
    auto id = crypto::generate_identity(name);
    auto pem = crypto::private_identity_pem(*id, std::nullopt);
    std::ofstream(key(name)) << *pem;
    std::filesystem::permissions(key(name), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::ofstream(pub(name)) << crypto::public_identity_pem(id->public_identity);
    net::IssueOptions client;
    client.name = name;
    client.identities = {id->public_identity};
    if (!net::ca_issue(dir, client)) throw std::runtime_error("client certificate failed");
  }
}

net::TlsFiles TestPki::server() const { return {dir / "relay.crt", dir / "relay.key", dir / "ca.crt"}; }
net::TlsFiles TestPki::client(const std::string& name) const {
  return {dir / (name + ".crt"), dir / (name + ".key"), dir / "ca.crt"};
}
std::filesystem::path TestPki::key(const std::string& name) const { return dir / (name + ".identity.key"); }
std::filesystem::path TestPki::pub(const std::string& name) const { return dir / (name + ".pub"); }
crypto::Identity TestPki::identity(const std::string& name) const {
  return *crypto::load_private_identity(key(name), std::nullopt);
}

void write_container(const std::filesystem::path& path, const std::vector<crypto::PublicIdentity>& to,
                     const crypto::Identity* signer, std::uint32_t width, std::uint32_t height, std::uint32_t seed) {
  image::Geometry g{width, height, 1, 1, 8, 8, false, "MONOCHROME2"};
  auto img = image::Image::create(g);
  std::mt19937 rng(seed);
  for (auto& b : img->bytes()) b = static_cast<std::uint8_t>(rng());
  const auto recipients = container::Recipients::identities(to);
  container::SealOptions options;
  options.signer = signer;
  auto scheme = schemes::builtin_registry().create("aead");
  auto sink = container::FileSink::create(path);
  container::Metadata metadata{"image" + std::to_string(seed) + ".png", "png", {}, {}, {}};
  if (!container::seal(*img, metadata, **scheme, recipients, options, *sink) || !sink->finish()) {
    throw std::runtime_error("cannot seal a test container");
  }
}

std::string medcrypt_cli() { return MEDCRYPT_CLI; }
std::filesystem::path source_dir() { return MEDCRYPT_SOURCE_DIR; }

std::optional<PostgresServer> PostgresServer::start(const std::filesystem::path& dir, std::string* skip_reason) {
  PostgresServer pg;
  for (int version = 20; version >= 11 && pg.bin_.empty(); --version) {
    auto bin = std::filesystem::path("/usr/lib/postgresql") / std::to_string(version) / "bin";
    if (std::filesystem::exists(bin / "initdb")) pg.bin_ = bin.string();
  }
  if (pg.bin_.empty()) {
    *skip_reason = "PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql";
    return std::nullopt;
  }
  std::filesystem::create_directories(dir);
  pg.data_ = (dir / "data").string();
  if (::geteuid() == 0) {
    // PostgreSQL refuses to run as root: its files belong to the postgres user.
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      *skip_reason = "running as root and there is no postgres user to run PostgreSQL as";
      return std::nullopt;
    }
    if (::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
      *skip_reason = "cannot give the PostgreSQL folder to the postgres user";
      return std::nullopt;
    }
    pg.runas_ = "runuser -u postgres -- ";
  }
  pg.port_ = free_port();
  auto log = dir / "postgres.log";
  auto init = run_command(pg.runas_ + pg.bin_ + "/initdb -D " + shell_quote(pg.data_) +
                          " -A trust -U postgres -E UTF8 --no-sync");
  if (init.exit_code != 0) {
    *skip_reason = "initdb failed: " + init.out;
    return std::nullopt;
  }
  auto started = run_command(pg.runas_ + pg.bin_ + "/pg_ctl -D " + shell_quote(pg.data_) + " -l " +
                             shell_quote(log.string()) + " -w -o " +
                             shell_quote("-p " + std::to_string(pg.port_) + " -k " + dir.string() +
                                         " -c listen_addresses=127.0.0.1 -c fsync=off") +
                             " start");
  if (started.exit_code != 0) {
    *skip_reason = "pg_ctl start failed: " + started.out + read_text(log);
    return std::nullopt;
  }
  return std::optional<PostgresServer>(std::move(pg));
}

PostgresServer::PostgresServer(PostgresServer&& other) noexcept
    : bin_(std::move(other.bin_)), data_(std::move(other.data_)), runas_(std::move(other.runas_)), port_(other.port_) {
  other.port_ = 0;
}

PostgresServer::~PostgresServer() {
  if (port_ != 0) run_command(runas_ + bin_ + "/pg_ctl -D " + shell_quote(data_) + " -m immediate stop");
}

std::string PostgresServer::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

ProbeResult tls_probe(std::uint16_t port, const ProbeOptions& options) {
  ProbeResult result;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (options.tls12_only) {
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  } else {
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  }
  if (!options.cert.empty()) {
    SSL_CTX_use_certificate_chain_file(ctx, options.cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx, options.key.c_str(), SSL_FILETYPE_PEM);
  }
  if (!options.ca.empty()) SSL_CTX_load_verify_locations(ctx, options.ca.c_str(), nullptr);
  int fd = connect_loopback(port);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  result.handshake = fd >= 0 && SSL_connect(ssl) == 1;
  if (result.handshake && !options.request.empty()) {
    SSL_write(ssl, options.request.data(), static_cast<int>(options.request.size()));
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) result.response.append(buf, static_cast<std::size_t>(n));
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (fd >= 0) ::close(fd);
  return result;
}

CuttingProxy::CuttingProxy(std::uint16_t target, std::uint64_t cut_after) : target_(target), cut_after_(cut_after) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(0);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 16);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  threads_.emplace_back([this] { run(); });
}

CuttingProxy::~CuttingProxy() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  ::close(listen_fd_);
}

void CuttingProxy::run() {
  std::vector<std::thread> pumps;
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int server = connect_loopback(target_);
    bool cut = connections_++ == 0;
    pumps.emplace_back([this, client, server, cut] {
      std::uint64_t forwarded = 0;
      char buf[16384];
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      while (!stop_ && server >= 0) {
        if (::poll(fds, 2, 50) <= 0) continue;
        bool closed = false;
        for (int i = 0; i < 2 && !closed; ++i) {
          if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
          ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
          if (n <= 0) {
            closed = true;
            break;
          }
          if (i == 0 && cut && forwarded + static_cast<std::uint64_t>(n) > cut_after_) {
            closed = true;  // the network fails mid-request
            break;
          }
          if (i == 0) forwarded += static_cast<std::uint64_t>(n);
          ::send(fds[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        }
        if (closed) break;
      }
      ::close(client);
      if (server >= 0) ::close(server);
    });
  }
  for (auto& t : pumps) t.join();
}

}  // namespace medcrypt::test
