// Key search on paper 000's key schedule (`chaos-henon:paper`): eq. 2-3 make x0 = X / 256 and y0 = Y / 256,
// X and Y the XOR of eight key bytes each, so its 128-bit key has only 65536 values of (X, Y), 44641 of
// them with a bounded orbit (2^15.4). One known pair, then every (X, Y) on all cores: the one whose
// encryption of the known image matches the oracle's is the victim's key, and it decrypts the target.
//
// The known image is a random 32x32 one: the paper's key does not depend on the image's size, and a
// small image makes a trial cost little more than the 10,000-step warm-up. With a known image of the
// target's size each trial is a whole encryption (23 ms at 512x512: docs/SECURITY.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attacks/oracle.hpp"

namespace medcrypt::attacks {

// The oracle's key within paper 000's key space, from one chosen 32x32 image of `like`'s word size, or
// nullopt with a note where no key of the space matches. kUnsupported for zigzag-gan (its encryption runs
// a network; its paper variant falls to known-plaintext) and for a payload that seals more than the cipher
// image beside it.
Result<std::optional<SecretBytes>> search_paper_key(Oracle& oracle, const schemes::Scheme& scheme,
                                                    const image::Geometry& like, std::vector<std::string>& notes);

// search_paper_key, then the victim's cipher image decrypted under the key found (or returned as it is).
Result<image::Image> key_search(Oracle& oracle, const schemes::Scheme& scheme, const VictimMessage& victim,
                                std::vector<std::string>& notes);

}  // namespace medcrypt::attacks
