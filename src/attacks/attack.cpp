#include "attacks/attack.hpp"

#include <chrono>

#include "attacks/known_plaintext.hpp"
#include "attacks/oracle.hpp"
#include "metrics/image_compare.hpp"

namespace medcrypt::attacks {

Result<AttackReport> run_attack(std::string_view name, const schemes::Scheme& scheme, const image::Image& target) {
  if (name != "known-plaintext") {
    return make_error(ErrorCode::kUsage, "unknown attack '" + std::string(name) + "' (known-plaintext)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Oracle oracle, Oracle::with_random_key(scheme));
  MEDCRYPT_ASSIGN_OR_RETURN(const image::Image victim_cipher, oracle.encrypt(target));
  const std::uint64_t victim_queries = oracle.queries();
  AttackReport report;
  report.attack = std::string(name);
  report.scheme = scheme.info().name;
  const auto start = std::chrono::steady_clock::now();
  MEDCRYPT_ASSIGN_OR_RETURN(report.recovered, known_plaintext(oracle, victim_cipher, target.geometry(), report.notes));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.queries = oracle.queries() - victim_queries;
  report.exact = report.recovered == target;
  MEDCRYPT_ASSIGN_OR_RETURN(const metrics::ImageComparison c, metrics::compare_images(report.recovered, target));
  report.npcr = c.overall.differential.npcr;
  report.psnr = c.overall.error.psnr;
  return report;
}

}  // namespace medcrypt::attacks
