// Chosen-plaintext attack of Zhou et al. (DSP 2019) on the class paper 000 describes: a key-driven,
// image-independent permutation with an XOR keystream, C = L(P[perm] xor K), L a public, unkeyed layer of
// the scheme (undone first; the attacker knows the algorithm). The all-zero image gives K, and
// ceil(log2(n) / b) images whose n words are the b-bit digits of their own positions give perm (3 at
// 512x512 8-bit): then the victim's cipher image decrypts. Against `demo-weak` (L: its public diffusion)
// it recovers the target bit-exact. Against `chaos-henon:paper` (L: the last round's two XOR chains) the
// rotations and three more rounds break the model, the check says so, and the attack adapts: one more
// chosen image, 32x32, and the key from paper 000's small key space (key_search.hpp), which decrypts the
// target. Where neither works (the sound schemes) the model's reconstruction is returned.
#pragma once

#include <string>
#include <vector>

#include "attacks/oracle.hpp"

namespace medcrypt::attacks {

Result<image::Image> chosen_plaintext(Oracle& oracle, const schemes::Scheme& scheme, const VictimMessage& victim,
                                      std::vector<std::string>& notes);

}  // namespace medcrypt::attacks
