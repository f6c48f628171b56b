#include "analysis/selective.hpp"

#include <cmath>
#include <vector>

#include "metrics/entropy.hpp"

namespace medcrypt::analysis {
namespace {

std::uint32_t word_at(ByteView bytes, std::size_t i, unsigned word_bytes) {
  return word_bytes == 1 ? bytes[i] : bytes[2 * i] | (std::uint32_t{bytes[2 * i + 1]} << 8);
}

double pearson(double n, double sx, double sy, double sxx, double syy, double sxy) {
  const double vx = n * sxx - sx * sx, vy = n * syy - sy * sy;
  return vx > 0 && vy > 0 ? (n * sxy - sx * sy) / std::sqrt(vx * vy) : 0.0;
}

// The samples where mask[i] == want.
RegionLeakage region(const image::Image& plain, ByteView cipher, std::span<const std::uint8_t> mask,
                     std::uint8_t want) {
  const image::Geometry& g = plain.geometry();
  const unsigned word_bytes = g.bits_allocated / 8;
  const std::size_t row = std::size_t{g.width} * g.samples;
  std::vector<std::uint64_t> plain_hist(std::size_t{1} << g.bits_allocated), cipher_hist(plain_hist.size());
  double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;     // plain x against cipher y
  double m = 0, ax = 0, ay = 0, axx = 0, ayy = 0, axy = 0;     // cipher against its right neighbour
  RegionLeakage r;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] != want) continue;
    const double x = word_at(plain.bytes(), i, word_bytes), y = word_at(cipher, i, word_bytes);
    ++plain_hist[static_cast<std::size_t>(x)];
    ++cipher_hist[static_cast<std::size_t>(y)];
    n += 1, sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
    const std::size_t right = i + g.samples;
    if (i % row + g.samples < row && mask[right] == want) {
      const double z = word_at(cipher, right, word_bytes);
      m += 1, ax += y, ay += z, axx += y * y, ayy += z * z, axy += y * z;
    }
  }
  r.samples = static_cast<std::uint64_t>(n);
  r.plain_entropy = metrics::shannon_entropy(plain_hist);
  r.cipher_entropy = metrics::shannon_entropy(cipher_hist);
  r.plain_cipher_correlation = pearson(n, sx, sy, sxx, syy, sxy);
  r.cipher_correlation = pearson(m, ax, ay, axx, ayy, axy);
  return r;
}

}  // namespace

Result<std::optional<SelectiveLeakage>> measure_selective(const image::Image& plain, const schemes::Scheme& scheme,
                                                          const schemes::SchemeKey& key, const Timing& timing,
                                                          const container::Metadata& metadata,
                                                          const schemes::SchemeRegistry& registry, unsigned threads) {
  if (scheme.full_cipher_params() == scheme.params()) return std::optional<SelectiveLeakage>();
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::Payload payload, scheme.encode(plain, key));
  if (!payload.light) return std::optional<SelectiveLeakage>();
  const std::vector<std::uint8_t> light = payload.light();
  const ByteView cipher = payload.bytes().first(plain.bytes().size());
  SelectiveLeakage s;
  s.light = region(plain, cipher, light, 1);
  s.full = region(plain, cipher, light, 0);
  s.light_share = static_cast<double>(s.light.samples) / static_cast<double>(light.size());
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::SchemeParams params, schemes::parse_params(scheme.full_cipher_params()));
  MEDCRYPT_ASSIGN_OR_RETURN(auto full, registry.create(scheme.info().name, params));
  MEDCRYPT_ASSIGN_OR_RETURN(s.full_cipher, time_encryption(plain, metadata, *full, registry, threads));
  s.speedup = timing.encrypt_ms > 0 ? s.full_cipher.encrypt_ms / timing.encrypt_ms : 0.0;
  s.decrypt_speedup = timing.decrypt_ms > 0 ? s.full_cipher.decrypt_ms / timing.decrypt_ms : 0.0;
  return std::optional<SelectiveLeakage>(std::move(s));
}

}  // namespace medcrypt::analysis
