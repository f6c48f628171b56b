// Known-plaintext attack on paper 001's zigzag cipher (`zigzag-gan:paper`): every image under one key is
// scrambled by one of 384 scan plans and XORed with the same key image. One known image and its cipher
// image give, for each plan, the key words (cipher XOR scrambled plain); decrypting the target's cipher
// image with each candidate, the smoothest result (least total difference between horizontal neighbours)
// is the target. One query; 384 candidate decryptions.
#pragma once

#include <string>
#include <vector>

#include "attacks/oracle.hpp"

namespace medcrypt::attacks {

// The victim's image of 8- or 16-bit words, as the attacker reconstructs it.
Result<image::Image> known_plaintext(Oracle& oracle, const VictimMessage& victim, std::vector<std::string>& notes);

}  // namespace medcrypt::attacks
