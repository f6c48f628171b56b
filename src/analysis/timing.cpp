#include "analysis/timing.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "crypto/random.hpp"

namespace medcrypt::analysis {
namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

Result<Timing> time_encryption(const image::Image& plain, const container::Metadata& metadata,
                               const schemes::Scheme& scheme, const schemes::SchemeRegistry& registry,
                               unsigned threads) {
  constexpr std::uint64_t kBigImageBytes = 64ull << 20;
  Timing timing;
  timing.threads = threads;
  timing.runs = plain.bytes().size() > kBigImageBytes ? 3 : 5;
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_secret(container::kContentKeyBytes));
  container::SealOptions seal_options;
  seal_options.threads = threads;
  seal_options.allow_control = true;
  container::OpenOptions open_options;
  open_options.threads = threads;
  open_options.registry = &registry;

  // The warm-up run sizes the output buffer; timed runs then write into it without allocating.
  container::MemorySink first;
  MEDCRYPT_TRY(container::seal(plain, metadata, scheme, container::Recipients::shared_key(key), seal_options, first));
  Bytes sealed = std::move(first).take();
  std::vector<double> encrypt_ms, decrypt_ms;
  for (unsigned run = 0; run < timing.runs; ++run) {
    container::MemorySink sink(sealed);
    auto start = std::chrono::steady_clock::now();
    MEDCRYPT_TRY(container::seal(plain, metadata, scheme, container::Recipients::shared_key(key), seal_options, sink));
    encrypt_ms.push_back(elapsed_ms(start));

    container::MemorySource source(sealed);
    start = std::chrono::steady_clock::now();
    MEDCRYPT_ASSIGN_OR_RETURN(container::Opened opened, container::open(source, container::OpenKeys::shared_key(key), open_options));
    decrypt_ms.push_back(elapsed_ms(start));
    if (opened.image.bytes().size() != plain.bytes().size()) {
      return make_error(ErrorCode::kInternal, "timing: the decrypted image has another size");
    }
  }
  timing.encrypt_ms = median(encrypt_ms);
  timing.decrypt_ms = median(decrypt_ms);
  const double megabytes = static_cast<double>(plain.bytes().size()) / 1e6;
  timing.encrypt_mb_s = megabytes / (timing.encrypt_ms / 1e3);
  timing.decrypt_mb_s = megabytes / (timing.decrypt_ms / 1e3);
  return timing;
}

}  // namespace medcrypt::analysis
