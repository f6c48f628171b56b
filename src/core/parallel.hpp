// parallel_for: runs fn(i) for i in [0, n) on up to `threads` threads, the calling thread included.
#pragma once

#include <cstddef>
#include <functional>

namespace medcrypt {

// Threads to use when the user does not say: every hardware thread.
unsigned default_threads();

// Items are handed out one at a time from a shared counter, so uneven items balance themselves.
// fn must not throw.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn);

}  // namespace medcrypt
