#include "schemes/demo_weak.hpp"

#include <cstring>
#include <vector>

#include "core/secret_bytes.hpp"
#include "crypto/keystream.hpp"

namespace medcrypt::schemes {
namespace {

// Counter blocks of the two keystreams drawn from the key; no nonce, by design.
constexpr std::uint8_t kPermutationCounter[crypto::kCounterBlockBytes] = {'d', 'e', 'm', 'o', '-', 'w', 'e', 'a', 'k', ' ', 'p'};
constexpr std::uint8_t kKeystreamCounter[crypto::kCounterBlockBytes] = {'d', 'e', 'm', 'o', '-', 'w', 'e', 'a', 'k', ' ', 'k'};

Status check_words(const image::Geometry& g) {
  if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) {
    return make_error(ErrorCode::kUnsupported, "demo-weak encrypts 8- or 16-bit integer samples");
  }
  if (g.sample_count() > 0xffffffffu) return make_error(ErrorCode::kLimits, "demo-weak takes fewer than 2^32 samples");
  return {};
}

// perm[i]: the source of destination i, a Fisher-Yates shuffle on 64-bit draws (their modulo bias, under
// n / 2^64, does not matter for a control cipher).
Result<std::vector<std::uint32_t>> permutation(const SecretBytes& key, std::size_t n) {
  Bytes draws(n * 8);
  MEDCRYPT_TRY(crypto::aes256_ctr_keystream(key, ByteView(kPermutationCounter), draws));
  std::vector<std::uint32_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<std::uint32_t>(i);
  for (std::size_t i = n; i-- > 1;) {
    std::uint64_t r = 0;
    std::memcpy(&r, draws.data() + i * 8, 8);
    const auto j = static_cast<std::size_t>(r % (i + 1));
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

class DemoWeak final : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo kInfo = demo_weak_info();
    return kInfo;
  }
  std::uint64_t payload_size(const image::Geometry& g) const override { return g.byte_size(); }

  Result<Payload> encode(const image::Image& plain, const SchemeKey& key) const override {
    const image::Geometry& g = plain.geometry();
    MEDCRYPT_TRY(check_words(g));
    Bytes out(g.byte_size());
    if (g.bits_allocated == 8) {
      MEDCRYPT_TRY(encrypt<std::uint8_t>(plain.bytes(), out, key.key));
    } else {
      MEDCRYPT_TRY(encrypt<std::uint16_t>(plain.bytes(), out, key.key));
    }
    return Payload::owned(std::move(out));
  }

  Result<image::Image> decode(PixelBytes payload, const image::Geometry& g, const SchemeKey& key) const override {
    MEDCRYPT_TRY(check_words(g));
    if (payload.size() != g.byte_size()) return make_error(ErrorCode::kMalformed, "demo-weak: payload size");
    PixelBytes plain(payload.size());
    if (g.bits_allocated == 8) {
      MEDCRYPT_TRY(decrypt<std::uint8_t>(payload, plain, key.key));
    } else {
      MEDCRYPT_TRY(decrypt<std::uint16_t>(payload, plain, key.key));
    }
    return image::Image::from_bytes(g, std::move(plain));
  }

 private:
  template <typename Word>
  static Status encrypt(ByteView in, std::span<std::uint8_t> out, const SecretBytes& key) {
    const std::size_t n = in.size() / sizeof(Word);
    MEDCRYPT_ASSIGN_OR_RETURN(const std::vector<std::uint32_t> perm, permutation(key, n));
    MEDCRYPT_TRY(crypto::aes256_ctr_keystream(key, ByteView(kKeystreamCounter), out));  // K, then P[perm] xor K
    std::span<Word> c{reinterpret_cast<Word*>(out.data()), n};
    const Word* p = reinterpret_cast<const Word*>(in.data());
    for (std::size_t i = 0; i < n; ++i) c[i] ^= p[perm[i]];
    demo_weak_diffuse(c);
    return {};
  }

  template <typename Word>
  static Status decrypt(std::span<std::uint8_t> cipher, std::span<std::uint8_t> plain, const SecretBytes& key) {
    const std::size_t n = cipher.size() / sizeof(Word);
    MEDCRYPT_ASSIGN_OR_RETURN(const std::vector<std::uint32_t> perm, permutation(key, n));
    Bytes k(cipher.size());
    MEDCRYPT_TRY(crypto::aes256_ctr_keystream(key, ByteView(kKeystreamCounter), k));
    std::span<Word> c{reinterpret_cast<Word*>(cipher.data()), n};
    demo_weak_undiffuse(c);
    const Word* kw = reinterpret_cast<const Word*>(k.data());
    Word* p = reinterpret_cast<Word*>(plain.data());
    for (std::size_t i = 0; i < n; ++i) p[perm[i]] = static_cast<Word>(c[i] ^ kw[i]);
    return {};
  }
};

}  // namespace

template <typename Word>
void demo_weak_diffuse(std::span<Word> x) {
  const std::size_t n = x.size();
  if (n < 2) return;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 1; i < n; ++i) x[i] = static_cast<Word>(x[i] + x[i - 1]);  // prefix sums
    for (std::size_t i = n - 1; i-- > 0;) x[i] = static_cast<Word>(x[i] + x[i + 1]);  // suffix sums
  }
}

template <typename Word>
void demo_weak_undiffuse(std::span<Word> x) {
  const std::size_t n = x.size();
  if (n < 2) return;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i + 1 < n; ++i) x[i] = static_cast<Word>(x[i] - x[i + 1]);
    for (std::size_t i = n; i-- > 1;) x[i] = static_cast<Word>(x[i] - x[i - 1]);
  }
}

template void demo_weak_diffuse<std::uint8_t>(std::span<std::uint8_t>);
template void demo_weak_diffuse<std::uint16_t>(std::span<std::uint16_t>);
template void demo_weak_undiffuse<std::uint8_t>(std::span<std::uint8_t>);
template void demo_weak_undiffuse<std::uint16_t>(std::span<std::uint16_t>);

SchemeInfo demo_weak_info() {
  return SchemeInfo{
      .name = "demo-weak",
      .version = 1,
      .lossless = true,
      .exports_cipher_image = true,
      .key_space_bits = 256,
      .sealing = Sealing::kAuthenticate,
      .summary = "control cipher, deliberately broken: a key-only permutation and keystream behind a public "
                 "diffusion (attack and analyze only)",
      .security_note = "BROKEN BY DESIGN: passes every test of `analyze`, yet every message reuses one permutation "
                       "and keystream; `medcrypt attack chosen-plaintext` recovers any image from 3 or 4 chosen images",
      .control_only = true,
  };
}

Result<std::unique_ptr<Scheme>> make_demo_weak(const SchemeParams& params) {
  if (!params.empty()) return make_error(ErrorCode::kUsage, "scheme 'demo-weak' takes no parameters");
  return std::unique_ptr<Scheme>(std::make_unique<DemoWeak>());
}

}  // namespace medcrypt::schemes
