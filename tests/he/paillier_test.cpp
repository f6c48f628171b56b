// Paillier (src/he/paillier.hpp) and its key files: round trips, the homomorphic operations against integer
// arithmetic, packing, refusals, and an independent Python implementation (paillier_reference.py) that
// decrypts medcrypt's ciphertexts and encrypts what medcrypt decrypts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <limits>
#include <random>

#include "core/file_io.hpp"
#include "he/key_file.hpp"
#include "he/paillier.hpp"
#include "support/test_support.hpp"

namespace medcrypt::he {
namespace {

__extension__ using Int128 = __int128;

// One 2048-bit key for the whole binary: generating one takes about a second.
const PrivateKey& key() {
  static const PrivateKey k = PrivateKey::generate(2048).value();
  return k;
}
const PrivateKey& other_key() {
  static const PrivateKey k = PrivateKey::generate(2048).value();
  return k;
}

std::string text(const SecretBytes& pem) { return std::string(pem.span().begin(), pem.span().end()); }

TEST(Paillier, RoundTripsSignedValuesWithFreshRandomness) {
  const PublicKey& pub = key().public_key();
  EXPECT_EQ(pub.modulus_bits(), 2048);
  for (std::int64_t m : {std::int64_t(0), std::int64_t(1), std::int64_t(-1), std::int64_t(123456789),
                         std::int64_t(-987654321012), std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min() + 1}) {
    const Ciphertext a = pub.encrypt(m).value();
    const Ciphertext b = pub.encrypt(m).value();
    EXPECT_EQ(a.value.size(), 512u);
    EXPECT_NE(a.value, b.value) << "two encryptions of " << m << " must differ";
    EXPECT_EQ(key().decrypt(a).value(), m);
    EXPECT_EQ(key().decrypt(b).value(), m);
    // The key holder's randomness (r^n by Chinese remaindering) makes valid and fresh ciphertexts too.
    const Ciphertext c = pub.encrypt(m, key().randomness().value()).value();
    const Ciphertext d = pub.encrypt(m, key().randomness().value()).value();
    EXPECT_NE(c.value, d.value) << "two encryptions of " << m << " must differ";
    EXPECT_EQ(key().decrypt(c).value(), m);
  }
  // Without randomness Enc(0) would be 1: neither kind of randomness gives it.
  Bytes one(pub.ciphertext_bytes(), 0);
  one.back() = 1;
  EXPECT_NE(pub.encrypt(0).value().value, one);
  EXPECT_NE(pub.encrypt(0, key().randomness().value()).value().value, one);
  // Randomness made for another key is refused, not turned into a ciphertext nobody can read.
  EXPECT_FALSE(pub.encrypt(1, other_key().randomness().value()));
}

TEST(Paillier, HomomorphicOperationsMatchIntegerArithmetic) {
  const PublicKey& pub = key().public_key();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> value(-(std::int64_t(1) << 40), std::int64_t(1) << 40);
  std::uniform_int_distribution<std::int64_t> weight(-(std::int64_t(1) << 20), std::int64_t(1) << 20);
  for (int trial = 0; trial < 4; ++trial) {
    const std::int64_t a = value(rng), b = value(rng), k = weight(rng);
    const Ciphertext ca = pub.encrypt(a).value(), cb = pub.encrypt(b).value();
    EXPECT_EQ(key().decrypt(pub.add(ca, cb).value()).value(), a + b);
    EXPECT_EQ(key().decrypt(pub.multiply(ca, k).value()).value(), a * k);
    EXPECT_EQ(key().decrypt(pub.multiply(ca, 0).value()).value(), 0);
  }
  // A linear combination over 20 inputs in 3 slots, against Int128 sums.
  std::vector<std::array<std::int64_t, 3>> inputs(20);
  std::vector<Ciphertext> c;
  std::vector<std::int64_t> k(20);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (auto& v : inputs[i]) v = value(rng);
    k[i] = i == 3 ? 0 : weight(rng);
    c.push_back(pub.encrypt_packed(inputs[i], 64).value());
  }
  const std::vector<std::int64_t> bias = {5, -6, std::int64_t(1) << 50};
  const Ciphertext sum = pub.linear_combination(c, k, bias, 64).value();
  const std::vector<std::int64_t> got = key().decrypt_packed(sum, 3, 64).value();
  for (int s = 0; s < 3; ++s) {
    Int128 expected = bias[s];
    for (std::size_t i = 0; i < inputs.size(); ++i) expected += Int128(k[i]) * inputs[i][s];
    EXPECT_EQ(Int128(got[s]), expected) << "slot " << s;
  }
  // The result is re-randomised: the same combination twice gives two different ciphertexts.
  EXPECT_NE(pub.linear_combination(c, k, bias, 64).value().value, sum.value);
}

TEST(Paillier, PacksSlotsUpToCapacityAndRefusesMore) {
  const PublicKey& pub = key().public_key();
  const std::size_t capacity = packed_capacity(2048, 64);
  EXPECT_EQ(capacity, 31u);
  std::vector<std::int64_t> slots(capacity);
  for (std::size_t i = 0; i < capacity; ++i) slots[i] = (i % 2 ? -1 : 1) * (std::int64_t(i * 1000003 + 17) << 20);
  slots.back() = std::numeric_limits<std::int64_t>::min() + 1;
  EXPECT_EQ(key().decrypt_packed(pub.encrypt_packed(slots, 64).value(), capacity, 64).value(), slots);
  slots.push_back(1);
  EXPECT_EQ(pub.encrypt_packed(slots, 64).error().code, ErrorCode::kLimits);
  // A value that does not fit its slot width is refused when packing.
  const std::int64_t too_wide[] = {std::int64_t(1) << 20};
  EXPECT_EQ(pub.encrypt_packed(too_wide, 16).error().code, ErrorCode::kLimits);
  // An overflow of the top slot is seen when decoding: the plaintext holds more than its slots.
  const std::int64_t top[] = {1, std::int64_t(1) << 62};
  const Ciphertext doubled = pub.multiply(pub.encrypt_packed(top, 64).value(), 4).value();
  const auto decoded = key().decrypt_packed(doubled, 2, 64);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kMalformed);
}

TEST(Paillier, RefusesMalformedTamperedAndForeignCiphertexts) {
  const PublicKey& pub = key().public_key();
  const Ciphertext good = pub.encrypt(42).value();
  Ciphertext shorter{Bytes(good.value.begin() + 1, good.value.end())};
  EXPECT_EQ(key().decrypt(shorter).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(key().decrypt(Ciphertext{Bytes(good.value.size(), 0)}).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(key().decrypt(Ciphertext{Bytes(good.value.size(), 0xff)}).error().code, ErrorCode::kMalformed);  // >= n^2
  // A multiple of n shares its factors: not a unit.
  const Bytes n = pub.modulus();
  Bytes multiple(good.value.size(), 0);
  std::copy(n.begin(), n.end(), multiple.end() - n.size());
  EXPECT_EQ(key().decrypt(Ciphertext{multiple}).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(pub.check(Ciphertext{multiple}).error().code, ErrorCode::kMalformed);
  EXPECT_TRUE(pub.check(good));
  // A non-unit stays one through the homomorphic operations, and decryption refuses the result.
  EXPECT_EQ(key().decrypt(pub.add(good, Ciphertext{multiple}).value()).error().code, ErrorCode::kMalformed);
  // A multiple of p alone (not of n): decryption sees it in its mod-p half.
  const auto [p, q] = key().primes();
  Bytes p_multiple(good.value.size(), 0);
  std::copy(p.span().begin(), p.span().end(), p_multiple.end() - p.size());
  EXPECT_EQ(key().decrypt(Ciphertext{p_multiple}).error().code, ErrorCode::kMalformed);
  // Flipping a bit gives another group element whose plaintext is noise: far outside 64 bits.
  Ciphertext flipped = good;
  flipped.value[100] ^= 0x10;
  const auto tampered = key().decrypt(flipped);
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().code, ErrorCode::kMalformed);
  // Another key's ciphertext: the same length, but its plaintext under this key is noise.
  const auto foreign = key().decrypt(other_key().public_key().encrypt(42).value());
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kMalformed);
  EXPECT_NE(key().public_key().key_id(), other_key().public_key().key_id());
}

TEST(Paillier, RefusesWeakOrInvalidKeys) {
  EXPECT_EQ(PrivateKey::generate(1024).error().code, ErrorCode::kUsage);
  EXPECT_EQ(PrivateKey::generate(2047).error().code, ErrorCode::kUsage);
  EXPECT_EQ(PublicKey::from_modulus(Bytes(128, 0xab)).error().code, ErrorCode::kBadKey);  // 1024 bits
  Bytes even = key().public_key().modulus();
  even.back() &= 0xfe;
  EXPECT_EQ(PublicKey::from_modulus(even).error().code, ErrorCode::kBadKey);
  const auto [p, q] = key().primes();
  Bytes not_prime(p.span().begin(), p.span().end());
  not_prime.back() ^= 0x02;  // still odd, no longer prime (with overwhelming probability)
  EXPECT_EQ(PrivateKey::from_primes(not_prime, q.span()).error().code, ErrorCode::kBadKey);
  EXPECT_EQ(PrivateKey::from_primes(p.span(), p.span()).error().code, ErrorCode::kBadKey);
  // The primes read back give the same key.
  EXPECT_EQ(PrivateKey::from_primes(p.span(), q.span()).value().public_key().key_id(), key().public_key().key_id());
}

TEST(PaillierKeyFile, RoundTripsPlainAndProtectedAndRefusesWrongPassphrases) {
  const std::string pub_pem = public_key_pem(key().public_key());
  EXPECT_NE(pub_pem.find("-----BEGIN MEDCRYPT PAILLIER PUBLIC KEY-----"), std::string::npos);
  EXPECT_NE(pub_pem.find("# key id " + key().public_key().key_id()), std::string::npos);
  EXPECT_EQ(parse_public_key(pub_pem).value().key_id(), key().public_key().key_id());

  const std::string plain = text(private_key_pem(key(), std::nullopt).value());
  EXPECT_FALSE(private_key_is_protected(plain));
  EXPECT_EQ(parse_private_key(plain, std::nullopt).value().public_key().key_id(), key().public_key().key_id());

  const std::string locked = text(private_key_pem(key(), "correct horse").value());
  EXPECT_TRUE(private_key_is_protected(locked));
  const PrivateKey back = parse_private_key(locked, "correct horse").value();
  EXPECT_EQ(back.decrypt(key().public_key().encrypt(-77).value()).value(), -77);
  EXPECT_EQ(parse_private_key(locked, "wrong").error().code, ErrorCode::kBadKey);
  EXPECT_EQ(parse_private_key(locked, std::nullopt).error().code, ErrorCode::kBadKey);

  // A public key where a private one is wanted and the reverse, damaged base64, a truncated block.
  EXPECT_EQ(parse_private_key(pub_pem, std::nullopt).error().code, ErrorCode::kBadKey);
  EXPECT_EQ(parse_public_key(plain).error().code, ErrorCode::kBadKey);
  std::string damaged = plain;
  damaged[damaged.find("-----\n") + 10] = '*';
  EXPECT_EQ(parse_private_key(damaged, std::nullopt).error().code, ErrorCode::kBadKey);
  std::string truncated = pub_pem;
  truncated.erase(truncated.find("-----\n") + 6, 8);
  EXPECT_EQ(parse_public_key(truncated).error().code, ErrorCode::kBadKey);
  EXPECT_EQ(parse_public_key("just text").error().code, ErrorCode::kBadKey);
}

// Runs paillier_reference.py MODE KEY with `request` on stdin.
nlohmann::json python(const std::string& mode, const std::filesystem::path& key_file, const nlohmann::json& request,
                      const test::ScratchDir& dir) {
  const std::filesystem::path in = dir / (mode + ".json");
  std::ofstream(in) << request.dump();
  const test::ProcessResult r = test::run_command(test::system_python() + " " + MEDCRYPT_SOURCE_DIR "/tests/he/paillier_reference.py " +
                                                  mode + " " + test::quote(key_file) + " < " + test::quote(in));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json::object();
}

TEST(PaillierInterop, PythonDecryptsMedcryptAndMedcryptDecryptsPython) {
  test::ScratchDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "k.hekey", private_key_pem(key(), std::nullopt).value().span(), 0600));
  ASSERT_TRUE(write_file_atomic(dir / "k.hepub", as_bytes(public_key_pem(key().public_key()))));
  const PublicKey& pub = key().public_key();

  // medcrypt -> Python: single values, packed slots, a homomorphic sum, with both kinds of randomness.
  const std::vector<std::vector<std::int64_t>> values = {
      {0, 0, 0}, {1, -1, 2}, {std::numeric_limits<std::int64_t>::max(), -5, 1 << 30}, {-(std::int64_t(1) << 62), 7, -8}};
  nlohmann::json ciphertexts = nlohmann::json::array();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const Ciphertext c = i % 2 ? pub.encrypt_packed(values[i], 64).value()
                               : pub.encrypt_packed(values[i], 64, key().randomness().value()).value();
    ciphertexts.push_back(to_hex(c.value));
  }
  const Ciphertext sum = pub.add(pub.encrypt_packed(values[1], 64).value(), pub.encrypt_packed(values[3], 64).value()).value();
  ciphertexts.push_back(to_hex(sum.value));
  const nlohmann::json decrypted = python("decrypt", dir / "k.hekey", {{"ciphertexts", ciphertexts}, {"slots", 3}, {"slot_bits", 64}}, dir);
  ASSERT_TRUE(decrypted.contains("values"));
  EXPECT_EQ(decrypted["n"].get<std::string>(), to_hex(pub.modulus()).substr(to_hex(pub.modulus()).find_first_not_of('0')));
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(decrypted["values"][i].get<std::vector<std::int64_t>>(), values[i]);
  EXPECT_EQ(decrypted["values"][4].get<std::vector<std::int64_t>>(), (std::vector<std::int64_t>{1 - (std::int64_t(1) << 62), 6, -6}));

  // Python -> medcrypt.
  const nlohmann::json encrypted = python("encrypt", dir / "k.hepub", {{"values", values}, {"slot_bits", 64}}, dir);
  ASSERT_TRUE(encrypted.contains("ciphertexts"));
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string hex = encrypted["ciphertexts"][i].get<std::string>();
    hex.insert(0, 2 * pub.ciphertext_bytes() - hex.size(), '0');
    EXPECT_EQ(key().decrypt_packed(Ciphertext{from_hex(hex).value()}, 3, 64).value(), values[i]);
  }
}

}  // namespace
}  // namespace medcrypt::he
