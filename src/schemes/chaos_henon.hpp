// Scheme `chaos-henon` (paper 000): Henon chaotic permutation-diffusion, in two variants.
//   chaos-henon:paper  the paper's key schedule: 128-bit key, x0 and y0 from XORs of its bytes (eq. 2-3),
//                      a = 1.4, b = 0.3; version 2 follows Algorithm 1 (4 rounds, in-block scrambling, bit
//                      rotation, horizontal and vertical XOR chains); version 1, one forward XOR pass, only
//                      decrypts old containers. Kept to reproduce the paper; weak.
//   chaos-henon        sound: every initial condition, parameter perturbation, warm-up and permutation
//                      seed derived with HKDF from the content key and the message nonce; two-pass
//                      diffusion; configurable rounds and block size.
// docs/SCHEMES.md gives both exactly, and the readings where the paper cannot be followed literally.
#pragma once

#include "chaos/planner.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

SchemeInfo chaos_henon_info();
inline constexpr std::uint16_t kChaosHenonPaperVersion = 2;  // what encrypts now
SchemeInfo chaos_henon_paper_info(std::uint16_t version = kChaosHenonPaperVersion);
Result<std::unique_ptr<Scheme>> make_chaos_henon(const SchemeParams& params);
Result<std::unique_ptr<Scheme>> make_chaos_henon_paper(const SchemeParams& params);
Result<std::unique_ptr<Scheme>> make_chaos_henon_paper_v1(const SchemeParams& params);  // old containers

// The sound variant with another block planner (e.g. a network choosing regions of interest).
Result<std::unique_ptr<Scheme>> make_chaos_henon_with_planner(const SchemeParams& params,
                                                              std::shared_ptr<const chaos::BlockPlanner> planner);

}  // namespace medcrypt::schemes
