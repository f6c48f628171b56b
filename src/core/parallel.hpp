// parallel_for: runs fn(index, worker) for index in [0, n) on up to `threads` threads, the calling
// thread included; worker in [0, threads) lets each thread keep its own state (a cipher context).
#pragma once

#include <cstddef>
#include <functional>

namespace medcrypt {

// Threads to use when the user does not say: every hardware thread.
unsigned default_threads();

// Items are handed out one at a time from a shared counter, so uneven items balance themselves.
// fn must not throw.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t, unsigned)>& fn);

}  // namespace medcrypt
