// Encryption and decryption time through the normal path: container::seal with a fresh random key and
// nonce per run, container::open with the shared key, all checks included. Not test mode.
#pragma once

#include "container/container.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::analysis {

struct Timing {
  double encrypt_ms = 0;    // median over the runs
  double decrypt_ms = 0;
  double encrypt_mb_s = 0;  // pixel bytes (10^6 per MB) per second, at the median time
  double decrypt_mb_s = 0;
  unsigned runs = 0;
  unsigned threads = 0;
};

// Five runs, three above 64 MiB of pixels, after one untimed warm-up run.
Result<Timing> time_encryption(const image::Image& plain, const container::Metadata& metadata,
                               const schemes::Scheme& scheme, const schemes::SchemeRegistry& registry,
                               unsigned threads);

}  // namespace medcrypt::analysis
