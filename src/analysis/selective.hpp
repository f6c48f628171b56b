// What a selective mode gives away (chaos-henon roi-mode=selective): the samples that got only the lighter
// cipher measured beside those that got the full one, and the speed the trade bought, against the same
// scheme with the full cipher everywhere, timed in the same run.
#pragma once

#include <cstdint>
#include <optional>

#include "analysis/timing.hpp"
#include "container/container.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::analysis {

// One region's samples (over every channel and frame), raw words.
struct RegionLeakage {
  std::uint64_t samples = 0;
  double plain_entropy = 0;       // bits per sample, of the plain values
  double cipher_entropy = 0;      // bits per sample; at most min(bits, log2(samples))
  double cipher_correlation = 0;  // horizontally adjacent cipher samples of one channel, both in the region
  // Pearson correlation of plain and cipher samples: its square is the share of the plain region's
  // variance that the best linear rebuild from the cipher image alone explains.
  double plain_cipher_correlation = 0;
};

struct SelectiveLeakage {
  double light_share = 0;  // of all samples
  RegionLeakage light;     // the lighter cipher's samples
  RegionLeakage full;      // the full cipher's samples
  Timing full_cipher;      // the same scheme with full_cipher_params()
  double speedup = 0;          // full_cipher.encrypt_ms / the selective encrypt_ms (both run the network)
  double decrypt_speedup = 0;  // the same for decryption, where no network runs: the cipher's own gain
};

// Empty when `scheme` has no selective mode on (full_cipher_params() == params()). `key` is any scheme key
// (the figures do not depend on it in law); `timing` is the selective scheme's, measured by the caller.
Result<std::optional<SelectiveLeakage>> measure_selective(const image::Image& plain, const schemes::Scheme& scheme,
                                                          const schemes::SchemeKey& key, const Timing& timing,
                                                          const container::Metadata& metadata,
                                                          const schemes::SchemeRegistry& registry, unsigned threads);

}  // namespace medcrypt::analysis
