// Paillier's additively homomorphic encryption (Eurocrypt 1999) over OpenSSL's BIGNUM, for a service
// that computes a network's linear head on features it cannot read (paper 004; he/encrypted_head.hpp).
//
//   n = p q (p, q safe-size random primes of equal length, gcd(pq, (p-1)(q-1)) = 1), g = n + 1;
//   Enc(m; r) = g^m r^n mod n^2 = (1 + m n) r^n mod n^2, r uniform in Z*_n;
//   Dec(c) by Chinese remaindering: m_p = L_p(c^(p-1) mod p^2) h_p mod p, the same mod q, then CRT;
//   Enc(a) Enc(b) = Enc(a + b), Enc(a)^k = Enc(k a), all mod n.
// Plaintexts are signed: m in (-n/2, n/2) is stored as m mod n. A packed plaintext holds several signed
// slots, value = sum_i slot_i 2^(bits i), each |slot_i| < 2^(bits - 1); the sum must stay within n/2.
// Decoding refuses a value whose slots do not account for all of it (a carry out of the top slot), but a
// lower slot that overflowed silently carries into the next: callers keep their slots within bounds
// (he/encrypted_head.hpp proves its bound and checks it again after decryption).
// Security: a 3072-bit modulus gives about 128 bits (NIST SP 800-57), 2048 bits about 112; smaller ones are
// refused. Ciphertexts are malleable by design: integrity comes from the channel (TLS) or a signature.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::he {

inline constexpr int kDefaultModulusBits = 3072;
inline constexpr int kMinModulusBits = 2048;
inline constexpr int kMaxModulusBits = 8192;

// An element of Z*_{n^2}, big-endian, exactly 2 * modulus_bytes() long (checked when used).
struct Ciphertext {
  Bytes value;
};

// r^n mod n^2 for one fresh r: the expensive half of an encryption, made ahead of time. Use once.
class Randomness {
 public:
  Randomness(Randomness&&) noexcept;
  Randomness& operator=(Randomness&&) noexcept;
  ~Randomness();

  struct Impl;

 private:
  friend class PublicKey;
  friend class PrivateKey;
  explicit Randomness(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PublicKey {
 public:
  // n, big-endian. Refuses even n, n below kMinModulusBits and above kMaxModulusBits.
  static Result<PublicKey> from_modulus(ByteView n);
  PublicKey(const PublicKey&);
  PublicKey& operator=(const PublicKey&);
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  int modulus_bits() const;
  std::size_t modulus_bytes() const;
  std::size_t ciphertext_bytes() const { return 2 * modulus_bytes(); }
  Bytes modulus() const;  // n, big-endian, modulus_bytes() long
  // Hex SHA-256 of "medcrypt paillier v1" || 0x00 || n: names the key in requests and replies.
  std::string key_id() const;

  Result<Randomness> randomness() const;
  Result<Ciphertext> encrypt(std::int64_t m) const;  // fresh randomness
  Result<Ciphertext> encrypt(std::int64_t m, Randomness r) const;
  // Packed slots (see above); refuses slots or sums that do not fit.
  Result<Ciphertext> encrypt_packed(std::span<const std::int64_t> slots, int slot_bits) const;
  Result<Ciphertext> encrypt_packed(std::span<const std::int64_t> slots, int slot_bits, Randomness r) const;

  // Refuses ciphertexts of the wrong length, outside [1, n^2) or sharing a factor with n (kMalformed).
  // The operations below check length and range only; decryption refuses non-units.
  Status check(const Ciphertext& c) const;
  Result<Ciphertext> add(const Ciphertext& a, const Ciphertext& b) const;
  Result<Ciphertext> multiply(const Ciphertext& c, std::int64_t k) const;
  // sum_i k_i c_i (homomorphically: prod_i c_i^k_i) + bias_slots, re-randomised with a fresh r^n so the
  // result does not depend on the inputs' randomness in a way that shows the k_i.
  Result<Ciphertext> linear_combination(std::span<const Ciphertext> c, std::span<const std::int64_t> k,
                                        std::span<const std::int64_t> bias_slots, int slot_bits) const;

  struct Impl;

 private:
  friend class PrivateKey;
  explicit PublicKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PrivateKey {
 public:
  static Result<PrivateKey> generate(int modulus_bits = kDefaultModulusBits);
  // p and q, big-endian; refuses non-primes, unequal lengths, p = q and moduli out of range.
  static Result<PrivateKey> from_primes(ByteView p, ByteView q);
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  const PublicKey& public_key() const;
  // The primes, big-endian, for storing the key.
  std::pair<SecretBytes, SecretBytes> primes() const;

  // r^n mod n^2 by Chinese remaindering (mod p^2 and q^2 with exponents reduced): about 3x faster than
  // PublicKey::randomness, for the key holder's own encryptions.
  Result<Randomness> randomness() const;

  // The signed plaintext in (-n/2, n/2); kMalformed if it does not fit in 64 bits (an overflow).
  Result<std::int64_t> decrypt(const Ciphertext& c) const;
  Result<std::vector<std::int64_t>> decrypt_packed(const Ciphertext& c, std::size_t slots, int slot_bits) const;

  struct Impl;

 private:
  explicit PrivateKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// How many slots of `slot_bits` a key of `modulus_bits` holds with the sum kept below n/2.
std::size_t packed_capacity(int modulus_bits, int slot_bits);

}  // namespace medcrypt::he
