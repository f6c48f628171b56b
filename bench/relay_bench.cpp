// The relay under load on loopback: C clients upload signed containers of S KiB at once, each over its
// own mutual-TLS connection, N each: as fast as they can (period 0: the aggregate rate), or one every
// P ms each (the latency at a given load). Reports the upload rate, per-image latency (p50, p99), the
// relay's peak memory, and the CPU time (all, and in the kernel) the relay and the clients used while uploading (they share the
// machine's cores). The relay runs in a child process (fork): its memory and CPU time are its own.
//   relay_bench [--benchmark_filter=...]  (Google Benchmark flags; scripts/run-benchmarks.sh runs it)
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "container/container.hpp"
#include "net/pki.hpp"
#include "net/relay_client.hpp"
#include "net/relay_server.hpp"

namespace medcrypt {
namespace {

struct Setup {
  std::filesystem::path dir;
  std::vector<crypto::Identity> senders;
  crypto::Identity recipient;
  pid_t relay = -1;
  std::uint16_t port = 0;
};

std::filesystem::path temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "medcrypt-relay-bench-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

bool make_pki(Setup& s, int clients) {
  if (!net::ca_init(s.dir, {})) return false;
  if (!net::ca_issue(s.dir, {"relay", {"127.0.0.1"}, {}, 30})) return false;
  s.recipient = *crypto::generate_identity("recipient");
  for (int c = 0; c < clients; ++c) {
    s.senders.push_back(*crypto::generate_identity("s" + std::to_string(c)));
    if (!net::ca_issue(s.dir, {"s" + std::to_string(c), {}, {s.senders.back().public_identity}, 30})) return false;
  }
  return true;
}

// One signed container per (client, index) of a random 16-bit grey image with `kib` KiB of pixels.
bool seal_all(const Setup& s, int per_client, int kib) {
  std::uint32_t side = static_cast<std::uint32_t>(std::sqrt(kib * 512.0));
  image::Geometry g{side, side, 1, 1, 16, 16, false, "MONOCHROME2"};
  auto img = image::Image::create(g);
  std::mt19937 rng(1);
  for (auto& b : img->bytes()) b = static_cast<std::uint8_t>(rng());
  auto scheme = schemes::builtin_registry().create("aead");
  const auto to = container::Recipients::identities({s.recipient.public_identity});
  for (std::size_t c = 0; c < s.senders.size(); ++c) {
    container::SealOptions options;
    options.signer = &s.senders[c];
    options.threads = 1;
    for (int i = 0; i < per_client; ++i) {
      auto sink = container::FileSink::create(s.dir / ("c" + std::to_string(c) + "_" + std::to_string(i) + ".mct"));
      if (!sink || !container::seal(*img, {"bench.png", "png", {}, {}, {}}, **scheme, to, options, *sink) ||
          !sink->finish()) {
        return false;
      }
    }
  }
  return true;
}

// Forks the relay; the parent gets its port through a pipe.
bool start_relay(Setup& s, unsigned threads) {
  int fds[2];
  if (::pipe(fds) != 0) return false;
  s.relay = ::fork();
  if (s.relay == 0) {
    ::close(fds[0]);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    net::RelayOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = s.dir / "data";
    options.tls = {s.dir / "relay.crt", s.dir / "relay.key", s.dir / "ca.crt"};
    options.log_file = s.dir / "relay.log";
    options.config.threads = threads;
    options.config.limits.rate_per_second = 1e6;
    options.config.limits.rate_burst = 1e6;
    auto server = net::RelayServer::start(options);
    std::uint16_t port = server ? (*server)->port() : 0;
    (void)!::write(fds[1], &port, sizeof port);
    ::close(fds[1]);
    int sig = 0;
    if (server) sigwait(&stop, &sig);
    if (server) (*server)->shutdown();
    ::_exit(server ? 0 : 1);
  }
  ::close(fds[1]);
  bool ok = ::read(fds[0], &s.port, sizeof s.port) == sizeof s.port && s.port != 0;
  ::close(fds[0]);
  return ok;
}

// The relay's peak resident memory (VmHWM) in MiB.
double relay_peak_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// CPU seconds the relay has used: user and system.
struct CpuSeconds {
  double user = 0, system = 0;
  CpuSeconds operator-(const CpuSeconds& o) const { return {user - o.user, system - o.system}; }
};

CpuSeconds relay_cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  const auto tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return {static_cast<double>(utime) / tick, static_cast<double>(stime) / tick};
}

// CPU seconds this process has used: the clients' threads, as the main thread waits.
CpuSeconds own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return {seconds(u.ru_utime), seconds(u.ru_stime)};
}

void stop_relay(Setup& s) {
  if (s.relay > 0) {
    ::kill(s.relay, SIGTERM);
    ::waitpid(s.relay, nullptr, 0);
  }
  std::error_code ec;
  if (!std::getenv("KEEP")) std::filesystem::remove_all(s.dir, ec);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Args: clients, KiB per image, images per client, relay network threads, period in ms (0: closed loop).
void BM_RelayUpload(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0)), kib = static_cast<int>(state.range(1));
  const int per_client = static_cast<int>(state.range(2));
  const std::chrono::milliseconds period(state.range(4));
  for (auto _ : state) {
    Setup s;
    s.dir = temp_dir();
    if (!make_pki(s, clients) || !seal_all(s, per_client, kib) || !start_relay(s, static_cast<unsigned>(state.range(3)))) {
      state.SkipWithError("setup failed");
      stop_relay(s);
      break;
    }
    std::vector<std::vector<double>> latencies(clients);
    std::atomic<int> failures{0};
    std::atomic<std::uint64_t> bytes{0};
    const CpuSeconds relay_cpu_before = relay_cpu_seconds(s.relay), client_cpu_before = own_cpu_seconds();
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        net::TlsFiles tls{s.dir / ("s" + std::to_string(c) + ".crt"), s.dir / ("s" + std::to_string(c) + ".key"),
                          s.dir / "ca.crt"};
        auto client = net::RelayClient::create("https://127.0.0.1:" + std::to_string(s.port), tls);
        // Open loop: client c starts at c/clients of a period, then one upload per period.
        auto next = start + period * c / clients;
        for (int i = 0; client && i < per_client; ++i) {
          std::this_thread::sleep_until(next);
          next += period;
          auto path = s.dir / ("c" + std::to_string(c) + "_" + std::to_string(i) + ".mct");
          auto t0 = std::chrono::steady_clock::now();
          auto receipt = client->upload(path);
          latencies[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
          if (!receipt) ++failures;
          if (receipt) bytes += receipt->size;
        }
      });
    }
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    state.counters["MB_per_s"] = static_cast<double>(bytes.load()) / 1e6 / seconds;
    state.counters["p50_ms"] = percentile(all, 0.50);
    state.counters["p99_ms"] = percentile(all, 0.99);
    state.counters["relay_peak_MiB"] = relay_peak_mib(s.relay);
    const CpuSeconds relay_cpu = relay_cpu_seconds(s.relay) - relay_cpu_before;
    const CpuSeconds client_cpu = own_cpu_seconds() - client_cpu_before;
    state.counters["relay_cpu_s"] = relay_cpu.user + relay_cpu.system;
    state.counters["relay_sys_s"] = relay_cpu.system;
    state.counters["client_cpu_s"] = client_cpu.user + client_cpu.system;
    state.counters["client_sys_s"] = client_cpu.system;
    state.counters["failures"] = failures.load();
    stop_relay(s);
  }
}

BENCHMARK(BM_RelayUpload)
    ->ArgNames({"clients", "KiB", "each", "threads", "period_ms"})
    ->Args({50, 512, 20, 2, 0})
    ->Args({50, 512, 20, 2, 1000})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace medcrypt

BENCHMARK_MAIN();
