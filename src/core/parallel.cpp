#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace medcrypt {

unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t, unsigned)>& fn) {
  unsigned workers = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), n));
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<std::size_t> next{0};
  auto work = [&](unsigned worker) {
    for (std::size_t i = next++; i < n; i = next++) fn(i, worker);
  };
  std::vector<std::jthread> pool;
  pool.reserve(workers - 1);
  for (unsigned t = 1; t < workers; ++t) pool.emplace_back(work, t);
  work(0);
}

}  // namespace medcrypt
