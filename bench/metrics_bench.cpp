// The speed floor of the security metrics, one core: every `stats` figure of both images of a pair plus
// every `compare` figure between them, for a 512x512 8-bit pair (floor 20 ms) and a 2048x2048 16-bit pair
// (floor 300 ms), and each metric alone. The pair is a smooth synthetic image and a uniform random one.
// After the C++ figures, the same pairs go to bench/metrics_reference.py (numpy, scipy, scikit-image) in
// the same run, and the ratio is printed: the Python median over the C++ median.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "metrics/chi_square.hpp"
#include "metrics/correlation.hpp"
#include "metrics/difference.hpp"
#include "metrics/entropy.hpp"
#include "metrics/histogram.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/image_stats.hpp"
#include "metrics/local_entropy.hpp"
#include "metrics/ssim.hpp"

namespace medcrypt {
namespace {

struct Case {
  std::uint32_t side;
  std::uint8_t bits;
  const char* name;
};
constexpr Case kCases[] = {{512, 8, "512x512x8"}, {2048, 16, "2048x2048x16"}};

struct Pair {
  image::Image plain;
  image::Image cipher;
};

// A smooth image with a little noise (like a scan) and a uniform random one (like a cipher image).
const Pair& bench_pair(int index) {
  static std::map<int, Pair> pairs;
  auto [it, inserted] = pairs.try_emplace(index);
  if (inserted) {
    const Case& c = kCases[index];
    const image::Geometry g{c.side, c.side, 1, 1, c.bits, c.bits, false, "MONOCHROME2"};
    it->second.plain = image::Image::create(g).value();
    it->second.cipher = image::Image::create(g).value();
    std::mt19937_64 rng(index);
    const double top = std::ldexp(1.0, c.bits) - 1;
    for (std::uint32_t y = 0; y < c.side; ++y) {
      for (std::uint32_t x = 0; x < c.side; ++x) {
        const std::size_t i = std::size_t{y} * c.side + x;
        const double smooth = 0.5 + 0.35 * std::sin(x * 0.02) * std::cos(y * 0.015);
        const double noisy = std::clamp(smooth * top + static_cast<double>(rng() % 9) - 4, 0.0, top);
        it->second.plain.set_word(i, static_cast<std::uint32_t>(noisy));
        it->second.cipher.set_word(i, static_cast<std::uint32_t>(rng() & static_cast<std::uint64_t>(top)));
      }
    }
  }
  return it->second;
}

void set_label(benchmark::State& state, int index) {
  state.SetLabel(kCases[index].name);
  const auto& g = bench_pair(index).plain.geometry();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * g.byte_size()));
}

// What `medcrypt stats` on both images and `medcrypt compare` between them compute.
void BM_AllStatsAndCompare(benchmark::State& state) {
  const int index = static_cast<int>(state.range(0));
  const Pair& pair = bench_pair(index);
  for (auto _ : state) {
    benchmark::DoNotOptimize(metrics::image_stats(pair.plain));
    benchmark::DoNotOptimize(metrics::image_stats(pair.cipher));
    benchmark::DoNotOptimize(metrics::compare_images(pair.plain, pair.cipher));
  }
  set_label(state, index);
}
BENCHMARK(BM_AllStatsAndCompare)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The parts, on the cipher image (or the pair), each on channels already split.
template <typename Body>
void run_part(benchmark::State& state, Body body) {
  const int index = static_cast<int>(state.range(0));
  const Pair& pair = bench_pair(index);
  const auto plain = metrics::split_channels(pair.plain);
  const auto cipher = metrics::split_channels(pair.cipher);
  for (auto _ : state) body(plain[0], cipher[0]);
  set_label(state, index);
}

void BM_SplitChannels(benchmark::State& state) {
  const Pair& pair = bench_pair(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(metrics::split_channels(pair.cipher));
  set_label(state, static_cast<int>(state.range(0)));
}
void BM_EntropyAndChiSquare(benchmark::State& state) {
  run_part(state, [](const metrics::Channel&, const metrics::Channel& c) {
    const auto h = metrics::histogram(c);
    benchmark::DoNotOptimize(metrics::shannon_entropy(h));
    benchmark::DoNotOptimize(metrics::shannon_entropy(metrics::byte_histogram(h)));
    benchmark::DoNotOptimize(metrics::chi_square_test(h));
  });
}
void BM_LocalEntropy(benchmark::State& state) {
  run_part(state, [](const metrics::Channel&, const metrics::Channel& c) {
    const auto blocks = metrics::choose_blocks(c.width, c.height, c.frames, 30, 44, 2);
    benchmark::DoNotOptimize(metrics::local_entropy_test(c, blocks));
  });
}
void BM_CorrelationAllPairs(benchmark::State& state) {
  run_part(state, [](const metrics::Channel&, const metrics::Channel& c) {
    benchmark::DoNotOptimize(metrics::adjacent_correlation(c));
  });
}
void BM_CorrelationSampled(benchmark::State& state) {
  run_part(state, [](const metrics::Channel&, const metrics::Channel& c) {
    const auto sample = metrics::sample_adjacent_pairs(c.width, c.height, c.frames, 10000, 1);
    benchmark::DoNotOptimize(metrics::sampled_correlation(c, sample));
  });
}
void BM_Differences(benchmark::State& state) {
  run_part(state, [](const metrics::Channel& p, const metrics::Channel& c) {
    benchmark::DoNotOptimize(metrics::difference_sums(p, c));
  });
}
void BM_Ssim(benchmark::State& state) {
  run_part(state, [](const metrics::Channel& p, const metrics::Channel& c) {
    benchmark::DoNotOptimize(metrics::ssim(p, c, c.max_value()));
  });
}
BENCHMARK(BM_SplitChannels)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EntropyAndChiSquare)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LocalEntropy)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CorrelationAllPairs)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CorrelationSampled)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Differences)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Ssim)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// What `medcrypt stats` on both images and `medcrypt compare` between them cost, median over `runs`.
template <typename Body>
double median_ms(int runs, Body body) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Runs bench/metrics_reference.py on the same pairs and prints its medians beside ours.
void compare_with_python() {
  const std::string python = MEDCRYPT_PYTHON;
  const std::filesystem::path script = std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "bench" / "metrics_reference.py";
  std::printf("--- numpy / scipy / scikit-image reference (%s), same pairs, same run, one core\n", script.c_str());
  if (python.empty() || !std::filesystem::exists(script)) {
    std::printf("skipped: no /usr/bin/python3 or no script\n");
    return;
  }
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "medcrypt-metrics-bench";
  std::filesystem::create_directories(dir);
  std::string pairs = "[";
  for (int i = 0; i < 2; ++i) {
    const Pair& pair = bench_pair(i);
    for (auto [which, img] : {std::pair{"plain", &pair.plain}, std::pair{"cipher", &pair.cipher}}) {
      std::ofstream(dir / (std::string(kCases[i].name) + "." + which + ".raw"), std::ios::binary)
          .write(reinterpret_cast<const char*>(img->bytes().data()), static_cast<std::streamsize>(img->bytes().size()));
    }
    pairs += std::string(i ? "," : "") + "{\"name\": \"" + kCases[i].name + "\", \"side\": " +
             std::to_string(kCases[i].side) + ", \"bits\": " + std::to_string(kCases[i].bits) + "}";
  }
  std::ofstream(dir / "pairs.json") << pairs << "]";
  // One core for Python too: numpy's BLAS would otherwise use every thread.
  const std::string command = "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 " + python + " " + script.string() + " " +
                              dir.string() + " 5";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    ::pclose(pipe);
  }
  std::filesystem::remove_all(dir);
  std::printf("%-14s %-22s %12s %12s %10s\n", "pair", "what", "C++ ms", "Python ms", "ratio");
  for (int i = 0; i < 2; ++i) {
    const Pair& pair = bench_pair(i);
    const double all = median_ms(5, [&] {
      benchmark::DoNotOptimize(metrics::image_stats(pair.plain));
      benchmark::DoNotOptimize(metrics::image_stats(pair.cipher));
      benchmark::DoNotOptimize(metrics::compare_images(pair.plain, pair.cipher));
    });
    const auto plain = metrics::split_channels(pair.plain), cipher = metrics::split_channels(pair.cipher);
    const double ssim = median_ms(5, [&] { benchmark::DoNotOptimize(metrics::ssim(plain[0], cipher[0], plain[0].max_value())); });
    // The answer is one line of JSON: {"name": {"all_ms": x, "ssim_ms": y}, ...}; read the two numbers.
    auto figure = [&](const std::string& key) {
      const std::size_t at = output.find(std::string("\"") + kCases[i].name + "\"");
      const std::size_t value = at == std::string::npos ? at : output.find("\"" + key + "\": ", at);
      return value == std::string::npos ? 0.0 : std::atof(output.c_str() + value + key.size() + 4);
    };
    for (auto [what, ours, theirs] : {std::tuple{"all stats + compare", all, figure("all_ms")},
                                      std::tuple{"SSIM alone", ssim, figure("ssim_ms")}}) {
      std::printf("%-14s %-22s %12.2f %12.2f %9.1fx\n", kCases[i].name, what, ours, theirs, theirs / ours);
    }
  }
}

}  // namespace
}  // namespace medcrypt

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // bench/python_stats_bench.py runs the reference itself and asks for the C++ figures alone.
  if (std::getenv("MEDCRYPT_BENCH_NO_REFERENCE") == nullptr) medcrypt::compare_with_python();
  return 0;
}
