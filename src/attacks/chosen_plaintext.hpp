// Chosen-plaintext attack of Zhou et al. (DSP 2019) on the class paper 000 describes: a key-driven,
// image-independent permutation with an XOR keystream, C = L(P[perm] xor K), L a public, unkeyed layer of
// the scheme (undone first; the attacker knows the algorithm). The all-zero image gives K, and
// ceil(log2(n) / b) images whose n words are the b-bit digits of their own positions give perm (3 at
// 512x512 8-bit): then the victim's cipher image decrypts. Against `demo-weak` (L: its public diffusion)
// it recovers the target bit-exact; against `chaos-henon:paper` (L: the last round's two XOR chains) the
// rotations and three more rounds break the model, and the check below says so.
#pragma once

#include <string>
#include <vector>

#include "attacks/oracle.hpp"

namespace medcrypt::attacks {

Result<image::Image> chosen_plaintext(Oracle& oracle, const schemes::Scheme& scheme, const VictimMessage& victim,
                                      std::vector<std::string>& notes);

}  // namespace medcrypt::attacks
