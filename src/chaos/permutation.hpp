// Key-driven permutations for the confusion stage: unbiased Fisher-Yates shuffles fed by a Henon stream.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chaos/henon.hpp"

namespace medcrypt::chaos {

// A uniformly random permutation of [0, n): perm[i] is the source index of destination i. Draws use
// Lemire's multiply-and-reject method on 32-bit words, so no index is favoured.
std::vector<std::uint32_t> random_permutation(std::uint32_t n, HenonStream& stream);
// The same permutation of [0, perm.size()) written into `perm` (no allocation).
void random_permutation(std::span<std::uint32_t> perm, HenonStream& stream);

// inverse[perm[i]] = i.
std::vector<std::uint32_t> invert(const std::vector<std::uint32_t>& perm);

}  // namespace medcrypt::chaos
