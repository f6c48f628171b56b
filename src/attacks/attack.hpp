// `medcrypt attack NAME`: a victim encrypts a target image under a random key the attacker never sees;
// the attack, holding the scheme only as an oracle under that key (attacks/oracle.hpp), reconstructs the
// target. One file per attack; this runs one and measures what it recovered against the truth.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::attacks {

struct AttackReport {
  std::string attack, scheme;
  image::Image recovered;    // the attacker's reconstruction, in the target's geometry
  std::uint64_t queries = 0;  // oracle queries the attacker made (the victim's encryption not counted)
  double seconds = 0;
  bool exact = false;          // recovered == target, bit for bit
  double npcr = 0;             // % of samples that differ from the target (99.6 % for a random image)
  double psnr = 0;             // dB against the target (+infinity when exact)
  std::vector<std::string> notes;
};

struct AttackOptions {
  // Decryption queries go through the container's integrity check (a .mct); false: the scheme's own cipher
  // decrypts anything, as in the papers' systems (chosen-ciphertext only).
  bool integrity = true;
};

// kUsage for an unknown attack, kUnsupported for a scheme or image the attack does not take.
Result<AttackReport> run_attack(std::string_view name, const schemes::Scheme& scheme, const image::Image& target,
                                const AttackOptions& options = {});

// What `medcrypt attack --json` and Python's medcrypt.attack report (the recovered image aside): attack,
// scheme, queries, seconds, integrity, exact, npcr, psnr (null when exact) and notes.
nlohmann::json report_json(const AttackReport& report, const AttackOptions& options);

}  // namespace medcrypt::attacks
