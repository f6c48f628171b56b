#include "attacks/attack.hpp"

#include <chrono>
#include <cmath>

#include "attacks/chosen_ciphertext.hpp"
#include "attacks/chosen_plaintext.hpp"
#include "attacks/key_search.hpp"
#include "attacks/known_plaintext.hpp"
#include "attacks/oracle.hpp"
#include "metrics/image_compare.hpp"

namespace medcrypt::attacks {

Result<AttackReport> run_attack(std::string_view name, const schemes::Scheme& scheme, const image::Image& target,
                                const AttackOptions& options) {
  if (name != "known-plaintext" && name != "chosen-plaintext" && name != "key-search" && name != "chosen-ciphertext") {
    return make_error(ErrorCode::kUsage, "unknown attack '" + std::string(name) +
                                             "' (known-plaintext, chosen-plaintext, key-search, chosen-ciphertext)");
  }
  const image::Geometry& g = target.geometry();
  if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) {
    return make_error(ErrorCode::kUnsupported, std::string(name) + " attacks 8- or 16-bit integer images");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Oracle oracle, Oracle::with_random_key(scheme));
  VictimMessage victim;
  victim.geometry = target.geometry();
  MEDCRYPT_ASSIGN_OR_RETURN(victim.cipher, oracle.encrypt(target));
  victim.message_id = oracle.last_message_id();
  oracle.mark_challenge();
  const std::uint64_t victim_queries = oracle.queries();
  AttackReport report;
  report.attack = std::string(name);
  report.scheme = scheme.info().name;
  const auto start = std::chrono::steady_clock::now();
  if (name == "known-plaintext") {
    MEDCRYPT_ASSIGN_OR_RETURN(report.recovered, known_plaintext(oracle, victim, report.notes));
  } else if (name == "chosen-plaintext") {
    MEDCRYPT_ASSIGN_OR_RETURN(report.recovered, chosen_plaintext(oracle, scheme, victim, report.notes));
  } else if (name == "key-search") {
    MEDCRYPT_ASSIGN_OR_RETURN(report.recovered, key_search(oracle, scheme, victim, report.notes));
  } else {
    MEDCRYPT_ASSIGN_OR_RETURN(report.recovered, chosen_ciphertext(oracle, victim, options.integrity, report.notes));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.queries = oracle.queries() - victim_queries;
  report.exact = report.recovered == target;
  MEDCRYPT_ASSIGN_OR_RETURN(const metrics::ImageComparison c, metrics::compare_images(report.recovered, target));
  report.npcr = c.overall.differential.npcr;
  report.psnr = c.overall.error.psnr;
  return report;
}

nlohmann::json report_json(const AttackReport& r, const AttackOptions& options) {
  return {{"attack", r.attack}, {"scheme", r.scheme}, {"queries", r.queries}, {"seconds", r.seconds},
          {"integrity", options.integrity}, {"exact", r.exact}, {"npcr", r.npcr},
          {"psnr", std::isfinite(r.psnr) ? nlohmann::json(r.psnr) : nlohmann::json(nullptr)}, {"notes", r.notes}};
}

}  // namespace medcrypt::attacks
