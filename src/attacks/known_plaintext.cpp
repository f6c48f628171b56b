#include "attacks/known_plaintext.hpp"

#include <cmath>

#include <fmt/format.h>

#include "metrics/channel.hpp"
#include "zigzag/cipher.hpp"

namespace medcrypt::attacks {

Result<image::Image> known_plaintext(Oracle& oracle, const VictimMessage& victim, std::vector<std::string>& notes) {
  const image::Geometry& g = victim.geometry;
  const image::Image& target_cipher = victim.cipher;
  // The attacker's known image, of the target's geometry.
  MEDCRYPT_ASSIGN_OR_RETURN(const image::Image known, known_image(g));
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image known_cipher, oracle.encrypt(known));

  const std::size_t frame_samples = g.pixels_per_frame() * g.samples, spp = g.samples;
  image::Image best = target_cipher;
  double best_score = INFINITY;
  std::uint32_t best_plan = 0;
  image::Image candidate = target_cipher;
  for (std::uint32_t plan = 0; plan < zigzag::kScanPlans; ++plan) {
    MEDCRYPT_ASSIGN_OR_RETURN(const std::vector<std::uint32_t> order,
                              zigzag::plan_order(g.height, g.width, zigzag::scan_plan(plan)));
    double score = 0;
    for (std::size_t f = 0; f < g.frames; ++f) {
      const std::size_t base = f * frame_samples;
      for (std::size_t i = 0; i < order.size(); ++i) {
        for (std::size_t s = 0; s < spp; ++s) {
          const std::size_t at = base + i * spp + s, to = base + std::size_t{order[i]} * spp + s;
          // The key word the known pair gives for this plan, applied to the target.
          const std::uint32_t key = known_cipher.word(at) ^ known.word(base + std::size_t{order[i]} * spp + s);
          candidate.set_word(to, target_cipher.word(at) ^ key);
        }
      }
      for (std::size_t i = 0; i + spp < frame_samples; ++i) {
        if ((i / spp + 1) % g.width != 0) {
          score += std::abs(double(metrics::sample_value(candidate.word(base + i + spp), g)) -
                            double(metrics::sample_value(candidate.word(base + i), g)));
        }
      }
    }
    if (score < best_score) {
      best_score = score;
      best = candidate;
      best_plan = plan;
    }
  }
  notes.push_back(fmt::format("the smoothest of {} candidate decryptions used scan plan {}", zigzag::kScanPlans, best_plan));
  return image::Image::from_bytes(g, copy_pixels(best.bytes()));
}

}  // namespace medcrypt::attacks
