// Scheme `chaos-henon` (paper 000): Henon chaotic permutation-diffusion, in two variants.
//   chaos-henon:paper  the paper's key schedule: 128-bit key, x0 and y0 from XORs of its bytes (eq. 2-3),
//                      a = 1.4, b = 0.3, one forward XOR diffusion pass. Kept to reproduce the paper; weak.
//   chaos-henon        sound: every initial condition, parameter perturbation, warm-up and permutation
//                      seed derived with HKDF from the content key and the message nonce; two-pass
//                      diffusion; configurable rounds and block size.
// docs/SCHEMES.md gives both exactly, and the readings where the paper cannot be followed literally.
#pragma once

#include "chaos/planner.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

SchemeInfo chaos_henon_info();
SchemeInfo chaos_henon_paper_info();
Result<std::unique_ptr<Scheme>> make_chaos_henon(const SchemeParams& params);
Result<std::unique_ptr<Scheme>> make_chaos_henon_paper(const SchemeParams& params);

// The sound variant with another block planner (e.g. a network choosing regions of interest).
Result<std::unique_ptr<Scheme>> make_chaos_henon_with_planner(const SchemeParams& params,
                                                              std::shared_ptr<const chaos::BlockPlanner> planner);

}  // namespace medcrypt::schemes
