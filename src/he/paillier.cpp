#include "he/paillier.hpp"

#include <openssl/bn.h>

#include <limits>

#include "crypto/hash.hpp"

namespace medcrypt::he {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct CtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct MontFree {
  void operator()(BN_MONT_CTX* m) const { BN_MONT_CTX_free(m); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using Ctx = std::unique_ptr<BN_CTX, CtxFree>;
using Mont = std::unique_ptr<BN_MONT_CTX, MontFree>;

Error bn_failure(std::string_view what) {
  return make_error(ErrorCode::kInternal, "paillier: OpenSSL failed to " + std::string(what));
}

Result<Bn> new_bn() {
  Bn b(BN_secure_new());
  if (!b) return bn_failure("allocate a number");
  return b;
}
Result<Ctx> new_ctx() {
  Ctx c(BN_CTX_secure_new());
  if (!c) return bn_failure("allocate a context");
  return c;
}
Result<Bn> copy_bn(const BIGNUM* a) {
  Bn b(BN_dup(a));
  if (!b) return bn_failure("copy a number");
  return b;
}
Result<Bn> from_bytes(ByteView bytes) {
  Bn b(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!b) return bn_failure("read a number");
  return b;
}
// A secret number (a prime of a private key): OpenSSL's secure heap when there is one, constant-time flag.
Result<Bn> secret_from_bytes(ByteView bytes) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bn b, new_bn());
  BN_set_flags(b.get(), BN_FLG_CONSTTIME);
  if (!BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), b.get())) return bn_failure("read a number");
  return b;
}
// Every number written here is below the length given (n or n^2), so BN_bn2binpad cannot fail.
Bytes to_bytes(const BIGNUM* a, std::size_t length) {
  Bytes out(length);
  BN_bn2binpad(a, out.data(), static_cast<int>(length));
  return out;
}
Result<Mont> montgomery(const BIGNUM* modulus, BN_CTX* ctx) {
  Mont m(BN_MONT_CTX_new());
  if (!m || BN_MONT_CTX_set(m.get(), modulus, ctx) != 1) return bn_failure("prepare Montgomery arithmetic");
  return m;
}
// A signed 64-bit integer as a BIGNUM.
Result<Bn> from_int(std::int64_t v) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bn b, new_bn());
  const std::uint64_t magnitude = v < 0 ? std::uint64_t(0) - std::uint64_t(v) : std::uint64_t(v);
  if (BN_set_word(b.get(), magnitude) != 1) return bn_failure("set a number");
  BN_set_negative(b.get(), v < 0 ? 1 : 0);
  return b;
}
// Uniform r in Z*_n.
Result<Bn> random_unit(const BIGNUM* n, BN_CTX* ctx) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bn r, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn g, new_bn());
  for (;;) {
    if (BN_priv_rand_range(r.get(), n) != 1) return bn_failure("draw a random number");
    if (BN_is_zero(r.get())) continue;
    if (BN_gcd(g.get(), r.get(), n, ctx) != 1) return bn_failure("compute a gcd");
    if (BN_is_one(g.get())) return r;
  }
}

}  // namespace

struct Randomness::Impl {
  Bn rn;  // r^n mod n^2
  Bn n;   // the key it was made for
};
Randomness::Randomness(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Randomness::Randomness(Randomness&&) noexcept = default;
Randomness& Randomness::operator=(Randomness&&) noexcept = default;
Randomness::~Randomness() = default;

struct PublicKey::Impl {
  Bn n, n2, half_n;
  Mont mont_n2;
  int bits = 0;
};

std::size_t packed_capacity(int modulus_bits, int slot_bits) {
  // A value of k slots is below 2^(k bits - 1) in magnitude; n/2 >= 2^(modulus_bits - 2).
  return slot_bits <= 0 ? 0 : std::size_t(modulus_bits - 1) / std::size_t(slot_bits);
}

Result<PublicKey> PublicKey::from_modulus(ByteView n_bytes) {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  auto impl = std::make_unique<Impl>();
  MEDCRYPT_ASSIGN_OR_RETURN(impl->n, from_bytes(n_bytes));
  impl->bits = BN_num_bits(impl->n.get());
  if (impl->bits < kMinModulusBits || impl->bits > kMaxModulusBits) {
    return make_error(ErrorCode::kBadKey, "paillier: the modulus has " + std::to_string(impl->bits) +
                                              " bits; medcrypt takes " + std::to_string(kMinModulusBits) + " to " +
                                              std::to_string(kMaxModulusBits));
  }
  if (!BN_is_odd(impl->n.get())) return make_error(ErrorCode::kBadKey, "paillier: the modulus is even");
  MEDCRYPT_ASSIGN_OR_RETURN(impl->n2, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(impl->half_n, new_bn());
  if (BN_sqr(impl->n2.get(), impl->n.get(), ctx.get()) != 1 || BN_rshift1(impl->half_n.get(), impl->n.get()) != 1) {
    return bn_failure("square the modulus");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(impl->mont_n2, montgomery(impl->n2.get(), ctx.get()));
  return PublicKey(std::move(impl));
}

PublicKey::PublicKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
// A valid key's modulus always reads back: copying cannot fail except for memory.
PublicKey::PublicKey(const PublicKey& other) : PublicKey(from_modulus(other.modulus()).value()) {}
PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) *this = PublicKey(other);
  return *this;
}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

int PublicKey::modulus_bits() const { return impl_->bits; }
std::size_t PublicKey::modulus_bytes() const { return std::size_t(impl_->bits + 7) / 8; }
Bytes PublicKey::modulus() const { return to_bytes(impl_->n.get(), modulus_bytes()); }

std::string PublicKey::key_id() const {
  crypto::Hasher h(crypto::HashAlgorithm::kSha256);
  const std::string_view label("medcrypt paillier v1");
  h.update(as_bytes(label));
  const std::uint8_t zero = 0;
  h.update(ByteView(&zero, 1));
  h.update(modulus());
  return to_hex(h.finish());
}

Result<Randomness> PublicKey::randomness() const {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn r, random_unit(impl_->n.get(), ctx.get()));
  auto out = std::make_unique<Randomness::Impl>();
  MEDCRYPT_ASSIGN_OR_RETURN(out->rn, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(out->n, copy_bn(impl_->n.get()));
  // The base r is secret (it would reveal m); the exponent n is public.
  BN_set_flags(r.get(), BN_FLG_CONSTTIME);
  if (BN_mod_exp_mont_consttime(out->rn.get(), r.get(), impl_->n.get(), impl_->n2.get(), ctx.get(),
                                impl_->mont_n2.get()) != 1) {
    return bn_failure("compute r^n");
  }
  return Randomness(std::move(out));
}

namespace {

// (1 + m n) * r^n mod n^2 for m already reduced into [0, n).
Result<Ciphertext> seal_value(const PublicKey::Impl& k, const BIGNUM* m, Randomness::Impl& r, std::size_t length) {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn gm, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn c, new_bn());
  if (BN_mul(gm.get(), m, k.n.get(), ctx.get()) != 1 || BN_add_word(gm.get(), 1) != 1 ||
      BN_mod_mul(c.get(), gm.get(), r.rn.get(), k.n2.get(), ctx.get()) != 1) {
    return bn_failure("encrypt");
  }
  return Ciphertext{to_bytes(c.get(), length)};
}

// A signed integer (-n/2, n/2) into [0, n); refuses larger magnitudes.
Status reduce_signed(BIGNUM* m, const PublicKey::Impl& k, BN_CTX* ctx) {
  if (BN_ucmp(m, k.half_n.get()) >= 0) {
    return make_error(ErrorCode::kLimits, "paillier: a plaintext does not fit in the modulus (|m| >= n/2)");
  }
  if (BN_nnmod(m, m, k.n.get(), ctx) != 1) return bn_failure("reduce a plaintext");
  return {};
}

// sum_i slots[i] 2^(bits i), checked against the slot width and the modulus.
Result<Bn> pack(std::span<const std::int64_t> slots, int bits, int modulus_bits) {
  if (bits < 2 || bits > 1024) return make_error(ErrorCode::kUsage, "paillier: slots are 2 to 1024 bits wide");
  if (slots.empty() || slots.size() > packed_capacity(modulus_bits, bits)) {
    return make_error(ErrorCode::kLimits, "paillier: " + std::to_string(slots.size()) + " slots of " + std::to_string(bits) +
                                              " bits do not fit a " + std::to_string(modulus_bits) + "-bit modulus (at most " +
                                              std::to_string(packed_capacity(modulus_bits, bits)) + ")");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Bn v, new_bn());
  BN_zero(v.get());
  for (std::size_t i = slots.size(); i-- > 0;) {
    const std::int64_t s = slots[i];
    if (bits <= 64) {
      const std::int64_t limit = bits == 64 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t(1) << (bits - 1)) - 1;
      if (s > limit || s < -limit) {
        return make_error(ErrorCode::kLimits, "paillier: a slot value does not fit in " + std::to_string(bits) + " bits");
      }
    }
    MEDCRYPT_ASSIGN_OR_RETURN(Bn sb, from_int(s));
    if (BN_lshift(v.get(), v.get(), bits) != 1 || BN_add(v.get(), v.get(), sb.get()) != 1) return bn_failure("pack slots");
  }
  return v;
}

}  // namespace

Result<Ciphertext> PublicKey::encrypt(std::int64_t m) const {
  MEDCRYPT_ASSIGN_OR_RETURN(Randomness r, randomness());
  return encrypt(m, std::move(r));
}

Result<Ciphertext> PublicKey::encrypt(std::int64_t m, Randomness r) const {
  const std::int64_t slot[1] = {m};
  return encrypt_packed(slot, 64, std::move(r));
}

Result<Ciphertext> PublicKey::encrypt_packed(std::span<const std::int64_t> slots, int slot_bits) const {
  MEDCRYPT_ASSIGN_OR_RETURN(Randomness r, randomness());
  return encrypt_packed(slots, slot_bits, std::move(r));
}

Result<Ciphertext> PublicKey::encrypt_packed(std::span<const std::int64_t> slots, int slot_bits, Randomness r) const {
  if (!r.impl_) return make_error(ErrorCode::kInternal, "paillier: randomness used twice");
  if (BN_cmp(r.impl_->n.get(), impl_->n.get()) != 0) {
    return make_error(ErrorCode::kInternal, "paillier: randomness made for another key");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn m, pack(slots, slot_bits, impl_->bits));
  MEDCRYPT_TRY(reduce_signed(m.get(), *impl_, ctx.get()));
  return seal_value(*impl_, m.get(), *r.impl_, ciphertext_bytes());
}

namespace {

// Length and range [1, n^2). Whether c is a unit (gcd(c, n) = 1) costs a gcd as dear as a decryption's
// exponentiation: check() and decryption test it (the latter for free), the homomorphic operations do not
// (a non-unit in, a non-unit out, which decryption then refuses).
Result<Bn> in_range(const PublicKey::Impl& k, const Ciphertext& c, std::size_t length) {
  if (c.value.size() != length) {
    return make_error(ErrorCode::kMalformed, "paillier: a ciphertext has " + std::to_string(c.value.size()) +
                                                 " bytes; this key's have " + std::to_string(length));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Bn v, from_bytes(c.value));
  if (BN_is_zero(v.get()) || BN_cmp(v.get(), k.n2.get()) >= 0) {
    return make_error(ErrorCode::kMalformed, "paillier: a ciphertext lies outside [1, n^2)");
  }
  return v;
}

Error not_a_unit() { return make_error(ErrorCode::kMalformed, "paillier: a ciphertext is not a unit mod n^2"); }

}  // namespace

Status PublicKey::check(const Ciphertext& c) const {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn v, in_range(*impl_, c, ciphertext_bytes()));
  MEDCRYPT_ASSIGN_OR_RETURN(Bn g, new_bn());
  if (BN_gcd(g.get(), v.get(), impl_->n.get(), ctx.get()) != 1) return bn_failure("compute a gcd");
  if (!BN_is_one(g.get())) return not_a_unit();
  return {};
}

Result<Ciphertext> PublicKey::add(const Ciphertext& a, const Ciphertext& b) const {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn x, in_range(*impl_, a, ciphertext_bytes()));
  MEDCRYPT_ASSIGN_OR_RETURN(Bn y, in_range(*impl_, b, ciphertext_bytes()));
  if (BN_mod_mul(x.get(), x.get(), y.get(), impl_->n2.get(), ctx.get()) != 1) return bn_failure("add");
  return Ciphertext{to_bytes(x.get(), ciphertext_bytes())};
}

Result<Ciphertext> PublicKey::multiply(const Ciphertext& c, std::int64_t k) const {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn x, in_range(*impl_, c, ciphertext_bytes()));
  MEDCRYPT_ASSIGN_OR_RETURN(Bn e, from_int(k));
  if (BN_nnmod(e.get(), e.get(), impl_->n.get(), ctx.get()) != 1 ||
      BN_mod_exp_mont(x.get(), x.get(), e.get(), impl_->n2.get(), ctx.get(), impl_->mont_n2.get()) != 1) {
    return bn_failure("multiply");
  }
  return Ciphertext{to_bytes(x.get(), ciphertext_bytes())};
}

Result<Ciphertext> PublicKey::linear_combination(std::span<const Ciphertext> c, std::span<const std::int64_t> k,
                                                 std::span<const std::int64_t> bias_slots, int slot_bits) const {
  if (c.size() != k.size() || c.empty()) {
    return make_error(ErrorCode::kInternal, "paillier: a linear combination needs one weight per ciphertext");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  BN_CTX* x = ctx.get();
  const BIGNUM* n2 = impl_->n2.get();
  // Positive and negative weights apart: one inverse at the end instead of exponents of n's size.
  MEDCRYPT_ASSIGN_OR_RETURN(Bn plus, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn minus, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn term, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn e, new_bn());
  BN_one(plus.get());
  BN_one(minus.get());
  for (std::size_t i = 0; i < c.size(); ++i) {
    MEDCRYPT_ASSIGN_OR_RETURN(Bn v, in_range(*impl_, c[i], ciphertext_bytes()));
    if (k[i] == 0) continue;
    const std::uint64_t magnitude = k[i] < 0 ? std::uint64_t(0) - std::uint64_t(k[i]) : std::uint64_t(k[i]);
    if (BN_set_word(e.get(), magnitude) != 1 ||
        BN_mod_exp_mont(term.get(), v.get(), e.get(), n2, x, impl_->mont_n2.get()) != 1 ||
        BN_mod_mul(k[i] > 0 ? plus.get() : minus.get(), k[i] > 0 ? plus.get() : minus.get(), term.get(), n2, x) != 1) {
      return bn_failure("evaluate a linear combination");
    }
  }
  if (!BN_is_one(minus.get())) {
    if (!BN_mod_inverse(minus.get(), minus.get(), n2, x)) return not_a_unit();
    if (BN_mod_mul(plus.get(), plus.get(), minus.get(), n2, x) != 1) return bn_failure("evaluate a linear combination");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Bn bias, pack(bias_slots, slot_bits, impl_->bits));
  MEDCRYPT_TRY(reduce_signed(bias.get(), *impl_, x));
  MEDCRYPT_ASSIGN_OR_RETURN(Randomness fresh, randomness());
  // (1 + bias n) r'^n: a fresh encryption of the bias, which also re-randomises the result.
  MEDCRYPT_ASSIGN_OR_RETURN(Ciphertext b, seal_value(*impl_, bias.get(), *fresh.impl_, ciphertext_bytes()));
  MEDCRYPT_ASSIGN_OR_RETURN(Bn bv, from_bytes(b.value));
  if (BN_mod_mul(plus.get(), plus.get(), bv.get(), n2, x) != 1) return bn_failure("evaluate a linear combination");
  return Ciphertext{to_bytes(plus.get(), ciphertext_bytes())};
}

struct PrivateKey::Impl {
  PublicKey public_key;
  Bn p, q, p2, q2, p_minus_1, q_minus_1;
  Bn hp, hq;                // L_p(g^(p-1) mod p^2)^-1 mod p, the same for q
  Bn q_inverse;             // q^-1 mod p
  Bn q2_inverse;            // (q^2)^-1 mod p^2
  Bn n_mod_phi_p2, n_mod_phi_q2;  // n mod p(p-1), n mod q(q-1): r^n mod p^2 with a short exponent
  Mont mont_p2, mont_q2;
  explicit Impl(PublicKey k) : public_key(std::move(k)) {}
};

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;
const PublicKey& PrivateKey::public_key() const { return impl_->public_key; }

namespace {

// L(x) = (x - 1) / d.
Status paillier_l(BIGNUM* out, const BIGNUM* x, const BIGNUM* d, BN_CTX* ctx) {
  Bn t(BN_dup(x));
  if (!t || BN_sub_word(t.get(), 1) != 1 || BN_div(out, nullptr, t.get(), d, ctx) != 1) return bn_failure("compute L");
  return {};
}

// Everything decryption needs mod one prime: prime^2, prime - 1, h = L(g^(prime-1) mod prime^2)^-1 mod
// prime, n mod prime(prime - 1). With g = n + 1, g^(p-1) = 1 + (p-1) n mod p^2, so L = (p-1) q = -q mod p
// and h = -(q^-1) mod p: no exponentiation by the secret p - 1 is needed.
Status prime_part(const BIGNUM* prime, const BIGNUM* other, const BIGNUM* n, Bn& square, Bn& minus_1, Bn& h,
                  Bn& n_mod_phi, Mont& mont, BN_CTX* ctx) {
  MEDCRYPT_ASSIGN_OR_RETURN(square, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(minus_1, copy_bn(prime));
  MEDCRYPT_ASSIGN_OR_RETURN(h, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(n_mod_phi, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn phi, new_bn());
  for (BIGNUM* b : {square.get(), minus_1.get(), h.get(), n_mod_phi.get(), phi.get()}) BN_set_flags(b, BN_FLG_CONSTTIME);
  if (BN_sqr(square.get(), prime, ctx) != 1 || BN_sub_word(minus_1.get(), 1) != 1 ||
      !BN_mod_inverse(h.get(), other, prime, ctx) || BN_sub(h.get(), prime, h.get()) != 1 ||
      BN_mul(phi.get(), prime, minus_1.get(), ctx) != 1 || BN_nnmod(n_mod_phi.get(), n, phi.get(), ctx) != 1) {
    return bn_failure("prepare the private key");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(mont, montgomery(square.get(), ctx));
  return {};
}

}  // namespace

Result<PrivateKey> PrivateKey::from_primes(ByteView p_bytes, ByteView q_bytes) {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  BN_CTX* x = ctx.get();
  MEDCRYPT_ASSIGN_OR_RETURN(Bn p, secret_from_bytes(p_bytes));
  MEDCRYPT_ASSIGN_OR_RETURN(Bn q, secret_from_bytes(q_bytes));
  if (BN_num_bits(p.get()) != BN_num_bits(q.get()) || BN_cmp(p.get(), q.get()) == 0) {
    return make_error(ErrorCode::kBadKey, "paillier: the private key's primes are equal or of different lengths");
  }
  // Sizes before primality: a file of huge numbers must not stall the primality test.
  if (2 * BN_num_bits(p.get()) < kMinModulusBits || 2 * BN_num_bits(p.get()) > kMaxModulusBits) {
    return make_error(ErrorCode::kBadKey, "paillier: the private key's primes give a modulus out of range");
  }
  if (BN_check_prime(p.get(), x, nullptr) != 1 || BN_check_prime(q.get(), x, nullptr) != 1) {
    return make_error(ErrorCode::kBadKey, "paillier: the private key's factors are not prime");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Bn n, new_bn());
  if (BN_mul(n.get(), p.get(), q.get(), x) != 1) return bn_failure("multiply the primes");
  const std::size_t n_bytes = std::size_t(BN_num_bytes(n.get()));
  MEDCRYPT_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::from_modulus(to_bytes(n.get(), n_bytes)));
  auto impl = std::make_unique<Impl>(std::move(pub));
  MEDCRYPT_TRY(prime_part(p.get(), q.get(), n.get(), impl->p2, impl->p_minus_1, impl->hp, impl->n_mod_phi_p2, impl->mont_p2, x));
  MEDCRYPT_TRY(prime_part(q.get(), p.get(), n.get(), impl->q2, impl->q_minus_1, impl->hq, impl->n_mod_phi_q2, impl->mont_q2, x));
  MEDCRYPT_ASSIGN_OR_RETURN(impl->q_inverse, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(impl->q2_inverse, new_bn());
  BN_set_flags(impl->q_inverse.get(), BN_FLG_CONSTTIME);
  BN_set_flags(impl->q2_inverse.get(), BN_FLG_CONSTTIME);
  if (!BN_mod_inverse(impl->q_inverse.get(), q.get(), p.get(), x) ||
      !BN_mod_inverse(impl->q2_inverse.get(), impl->q2.get(), impl->p2.get(), x)) {
    return bn_failure("prepare the private key");
  }
  impl->p = std::move(p);
  impl->q = std::move(q);
  return PrivateKey(std::move(impl));
}

Result<PrivateKey> PrivateKey::generate(int modulus_bits) {
  if (modulus_bits < kMinModulusBits || modulus_bits > kMaxModulusBits || modulus_bits % 2 != 0) {
    return make_error(ErrorCode::kUsage, "paillier: the modulus takes an even number of bits from " +
                                             std::to_string(kMinModulusBits) + " to " + std::to_string(kMaxModulusBits));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn p, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn q, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn n, new_bn());
  for (;;) {
    if (BN_generate_prime_ex2(p.get(), modulus_bits / 2, 0, nullptr, nullptr, nullptr, ctx.get()) != 1 ||
        BN_generate_prime_ex2(q.get(), modulus_bits / 2, 0, nullptr, nullptr, nullptr, ctx.get()) != 1 ||
        BN_mul(n.get(), p.get(), q.get(), ctx.get()) != 1) {
      return bn_failure("generate primes");
    }
    // Equal-length primes make gcd(n, (p-1)(q-1)) = 1; the product must have exactly the bits asked for.
    if (BN_cmp(p.get(), q.get()) != 0 && BN_num_bits(n.get()) == modulus_bits) break;
  }
  const std::size_t half = std::size_t(modulus_bits / 2 + 7) / 8;
  SecretBytes pb(half), qb(half);
  BN_bn2binpad(p.get(), pb.data(), static_cast<int>(half));
  BN_bn2binpad(q.get(), qb.data(), static_cast<int>(half));
  return from_primes(pb.span(), qb.span());
}

std::pair<SecretBytes, SecretBytes> PrivateKey::primes() const {
  const std::size_t length = std::size_t(BN_num_bytes(impl_->p.get()));
  SecretBytes p(length), q(length);
  BN_bn2binpad(impl_->p.get(), p.data(), static_cast<int>(length));
  BN_bn2binpad(impl_->q.get(), q.data(), static_cast<int>(length));
  return {std::move(p), std::move(q)};
}

Result<Randomness> PrivateKey::randomness() const {
  const Impl& k = *impl_;
  const PublicKey::Impl& pub = *k.public_key.impl_;
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  BN_CTX* x = ctx.get();
  MEDCRYPT_ASSIGN_OR_RETURN(Bn r, random_unit(pub.n.get(), x));
  MEDCRYPT_ASSIGN_OR_RETURN(Bn rp, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn rq, new_bn());
  BN_set_flags(r.get(), BN_FLG_CONSTTIME);
  // r^n mod p^2 = r^(n mod p(p-1)) mod p^2 (the order of Z*_{p^2}), the same mod q^2, then CRT.
  if (BN_mod_exp_mont_consttime(rp.get(), r.get(), k.n_mod_phi_p2.get(), k.p2.get(), x, k.mont_p2.get()) != 1 ||
      BN_mod_exp_mont_consttime(rq.get(), r.get(), k.n_mod_phi_q2.get(), k.q2.get(), x, k.mont_q2.get()) != 1) {
    return bn_failure("compute r^n");
  }
  auto out = std::make_unique<Randomness::Impl>();
  MEDCRYPT_ASSIGN_OR_RETURN(out->rn, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(out->n, copy_bn(pub.n.get()));
  // rn = rq + q^2 ((rp - rq) (q^2)^-1 mod p^2)
  if (BN_mod_sub(rp.get(), rp.get(), rq.get(), k.p2.get(), x) != 1 ||
      BN_mod_mul(rp.get(), rp.get(), k.q2_inverse.get(), k.p2.get(), x) != 1 ||
      BN_mul(out->rn.get(), rp.get(), k.q2.get(), x) != 1 || BN_add(out->rn.get(), out->rn.get(), rq.get()) != 1) {
    return bn_failure("combine r^n");
  }
  return Randomness(std::move(out));
}

namespace {

// The signed plaintext of c in (-n/2, n/2].
Result<Bn> decrypt_signed(const PrivateKey::Impl& k, const PublicKey::Impl& pub, const Ciphertext& c,
                          std::size_t length) {
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  BN_CTX* x = ctx.get();
  MEDCRYPT_ASSIGN_OR_RETURN(Bn v, in_range(pub, c, length));
  MEDCRYPT_ASSIGN_OR_RETURN(Bn mp, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn mq, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn t, new_bn());
  // m_p = L_p(c^(p-1) mod p^2) h_p mod p, the same for q.
  if (BN_nnmod(t.get(), v.get(), k.p2.get(), x) != 1 ||
      BN_mod_exp_mont_consttime(t.get(), t.get(), k.p_minus_1.get(), k.p2.get(), x, k.mont_p2.get()) != 1) {
    return bn_failure("decrypt");
  }
  // For a unit c^(p-1) = 1 mod p; a multiple of p gives 0 mod p^2 (p - 1 >= 2): not a unit.
  if (BN_is_zero(t.get())) return not_a_unit();
  MEDCRYPT_TRY(paillier_l(mp.get(), t.get(), k.p.get(), x));
  if (BN_mod_mul(mp.get(), mp.get(), k.hp.get(), k.p.get(), x) != 1 || BN_nnmod(t.get(), v.get(), k.q2.get(), x) != 1 ||
      BN_mod_exp_mont_consttime(t.get(), t.get(), k.q_minus_1.get(), k.q2.get(), x, k.mont_q2.get()) != 1) {
    return bn_failure("decrypt");
  }
  if (BN_is_zero(t.get())) return not_a_unit();
  MEDCRYPT_TRY(paillier_l(mq.get(), t.get(), k.q.get(), x));
  // m = m_q + q ((m_p - m_q) q^-1 mod p)
  if (BN_mod_mul(mq.get(), mq.get(), k.hq.get(), k.q.get(), x) != 1 ||
      BN_mod_sub(mp.get(), mp.get(), mq.get(), k.p.get(), x) != 1 ||
      BN_mod_mul(mp.get(), mp.get(), k.q_inverse.get(), k.p.get(), x) != 1 || BN_mul(t.get(), mp.get(), k.q.get(), x) != 1 ||
      BN_add(t.get(), t.get(), mq.get()) != 1) {
    return bn_failure("decrypt");
  }
  if (BN_cmp(t.get(), pub.half_n.get()) > 0 && BN_sub(t.get(), t.get(), pub.n.get()) != 1) return bn_failure("decrypt");
  return t;
}

Result<std::int64_t> to_int64(const BIGNUM* v, std::string_view what) {
  if (BN_num_bits(v) > 63) {
    return make_error(ErrorCode::kMalformed, "paillier: " + std::string(what) +
                                                 " does not fit in 64 bits (an overflow, or a ciphertext not made for this use)");
  }
  const std::uint64_t magnitude = BN_get_word(v);
  return BN_is_negative(v) ? -std::int64_t(magnitude) : std::int64_t(magnitude);
}

}  // namespace

Result<std::int64_t> PrivateKey::decrypt(const Ciphertext& c) const {
  MEDCRYPT_ASSIGN_OR_RETURN(Bn m, decrypt_signed(*impl_, *impl_->public_key.impl_, c, impl_->public_key.ciphertext_bytes()));
  return to_int64(m.get(), "the plaintext");
}

Result<std::vector<std::int64_t>> PrivateKey::decrypt_packed(const Ciphertext& c, std::size_t slots, int slot_bits) const {
  if (slot_bits < 2 || slot_bits > 1024 || slots == 0 || slots > packed_capacity(impl_->public_key.modulus_bits(), slot_bits)) {
    return make_error(ErrorCode::kUsage, "paillier: the slot layout does not fit this key");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Bn m, decrypt_signed(*impl_, *impl_->public_key.impl_, c, impl_->public_key.ciphertext_bytes()));
  MEDCRYPT_ASSIGN_OR_RETURN(Ctx ctx, new_ctx());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn width, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn half, new_bn());
  MEDCRYPT_ASSIGN_OR_RETURN(Bn low, new_bn());
  if (BN_set_word(width.get(), 1) != 1 || BN_lshift(half.get(), width.get(), slot_bits - 1) != 1 ||
      BN_lshift(width.get(), width.get(), slot_bits) != 1) {
    return bn_failure("unpack slots");
  }
  std::vector<std::int64_t> out;
  out.reserve(slots);
  for (std::size_t i = 0; i < slots; ++i) {
    // The lowest slot as a signed value: m mod 2^bits, centred; then m = (m - slot) / 2^bits exactly.
    if (BN_nnmod(low.get(), m.get(), width.get(), ctx.get()) != 1) return bn_failure("unpack slots");
    if (BN_cmp(low.get(), half.get()) >= 0 && BN_sub(low.get(), low.get(), width.get()) != 1) return bn_failure("unpack slots");
    MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t s, to_int64(low.get(), "a slot"));
    out.push_back(s);
    if (BN_sub(m.get(), m.get(), low.get()) != 1 || BN_rshift(m.get(), m.get(), slot_bits) != 1) return bn_failure("unpack slots");
  }
  if (!BN_is_zero(m.get())) {
    return make_error(ErrorCode::kMalformed, "paillier: the plaintext holds more than its " + std::to_string(slots) +
                                                 " slots (an overflow, or a ciphertext not made for this use)");
  }
  return out;
}

}  // namespace medcrypt::he
