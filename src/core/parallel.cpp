#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

namespace medcrypt {
namespace {

// Worker threads kept for the whole run: starting threads for every call cost a measurable share of a
// two-thread seal of an 8 MiB image (~1.5 ms of work). One call uses the pool at a time; a call made
// while it is busy (another thread's, or a nested one) starts its own threads instead, and so does a
// forked child, which has none of its parent's threads.
class Pool {
 public:
  const pid_t owner = getpid();

  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
  }

  bool try_acquire() { return owner == getpid() && !busy_.exchange(true, std::memory_order_acquire); }
  void release() { busy_.store(false, std::memory_order_release); }

  // Runs work(0) here and work(1..workers-1) on pool threads; returns when all have returned.
  void run(unsigned workers, const std::function<void(unsigned)>& work) {
    {
      std::lock_guard lock(mutex_);
      while (threads_.size() + 1 < workers) {
        const unsigned index = static_cast<unsigned>(threads_.size()) + 1;
        threads_.emplace_back([this, index] { serve(index); });
      }
      job_ = &work;
      job_workers_ = workers;
      pending_ = workers - 1;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(0);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void serve(unsigned index) {
    std::uint64_t seen = 0;
    for (;;) {
      // Poll for a millisecond before sleeping: the next call often comes that soon (the next window,
      // the next image), and waking a sleeping thread costs ~50 us on this VM (OpenMP runtimes spin too).
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) {
        std::this_thread::yield();
      }
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_.load(std::memory_order_relaxed) != seen; });
      if (stopping_) return;
      seen = generation_.load(std::memory_order_relaxed);
      if (index >= job_workers_) continue;
      const auto* job = job_;
      lock.unlock();
      (*job)(index);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::atomic<bool> busy_{false};
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(unsigned)>* job_ = nullptr;
  unsigned job_workers_ = 0, pending_ = 0;
  std::atomic<std::uint64_t> generation_{0};
  bool stopping_ = false;
  std::vector<std::jthread> threads_;  // last member: joined first, while the rest still exists
};

}  // namespace

unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t, unsigned)>& fn) {
  unsigned workers = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), n));
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<std::size_t> next{0};
  const std::function<void(unsigned)> work = [&](unsigned worker) {
    for (std::size_t i = next++; i < n; i = next++) fn(i, worker);
  };
  static Pool pool;
  if (pool.try_acquire()) {
    pool.run(workers, work);
    pool.release();
    return;
  }
  std::vector<std::jthread> own;
  own.reserve(workers - 1);
  for (unsigned t = 1; t < workers; ++t) own.emplace_back(work, t);
  work(0);
}

}  // namespace medcrypt
