// The bit-atom chosen-ciphertext attack (Chen et al., IEEE TCSVT): a cipher whose decryption under a fixed
// key and message id is affine over GF(2), D(C) = A C xor d, gives d from the all-zero cipher image and
// A's column j from the cipher image with bit j alone set; the target is d xor the columns of its set
// bits. Every permutation, rotation and XOR chain of paper 000, and the zigzag scans and XORs of paper
// 001, are such maps however many rounds they take: 1 + (set bits of the target) queries, at most
// wMN + 1 for w-bit words. It needs what the papers' systems give and a .mct does not: decryption of a cipher image
// nobody sealed. Through the container (`integrity`) every forged query is refused, and the victim's own cipher
// image is never a query.
#pragma once

#include <string>
#include <vector>

#include "attacks/oracle.hpp"

namespace medcrypt::attacks {

// kLimits for an image of more than 2^16 bits (a query per set bit).
Result<image::Image> chosen_ciphertext(Oracle& oracle, const VictimMessage& victim, bool integrity,
                                       std::vector<std::string>& notes);

}  // namespace medcrypt::attacks
