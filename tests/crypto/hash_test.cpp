// SHA-256, SHA-512 (one-shot and streaming), HKDF-SHA256 and scrypt against tests/vectors/crypto/hash.vec.
#include "crypto/hash.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto_test_util.hpp"
#include "vectors.hpp"

namespace medcrypt::test {
namespace {

using crypto::HashAlgorithm;
using crypto::Hasher;

Bytes repeated(const Vector& v) {
  Bytes unit = v.bytes("in");
  std::uint64_t times = v.has("repeat") ? v.number("repeat") : 1;
  Bytes out;
  out.reserve(unit.size() * times);
  for (std::uint64_t i = 0; i < times; ++i) out.insert(out.end(), unit.begin(), unit.end());
  return out;
}

// Streams `message` through a Hasher in pieces of the given size (the last one shorter).
Bytes streamed(HashAlgorithm algorithm, ByteView message, std::size_t piece) {
  Hasher h(algorithm);
  while (!message.empty()) {
    std::size_t n = std::min(piece, message.size());
    h.update(message.first(n));
    message = message.subspan(n);
  }
  return h.finish();
}

void check_digest(const Vector& v) {
  const bool is256 = v.section == "sha-256";
  const HashAlgorithm algorithm = is256 ? HashAlgorithm::kSha256 : HashAlgorithm::kSha512;
  const Bytes message = repeated(v);
  const std::string expected = hex(v.bytes("digest"));
  ASSERT_EQ(expected.size(), is256 ? 64u : 128u);

  EXPECT_EQ(is256 ? hex(crypto::sha256(message)) : hex(crypto::sha512(message)), expected) << "one-shot";
  // Streaming gives the same digest however the input is cut, including across block boundaries.
  for (std::size_t piece : {1, 3, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 65536}) {
    if (piece > 1 && message.size() > 100000 && piece < 1000) continue;  // keep the million-byte case fast
    EXPECT_EQ(hex(streamed(algorithm, message, piece)), expected) << "pieces of " << piece;
  }
  // update() with empty input changes nothing.
  Hasher h(algorithm);
  h.update({});
  h.update(message);
  h.update({});
  EXPECT_EQ(hex(h.finish()), expected) << "with empty updates";
}

void check_hkdf(const Vector& v) {
  const Bytes ikm = v.bytes("ikm"), salt = v.bytes("salt"), info = v.bytes("info"), okm = v.bytes("okm");
  ASSERT_FALSE(okm.empty());
  auto derived = crypto::hkdf_sha256(ikm, salt, ByteView(info), okm.size());
  ASSERT_TRUE(derived) << derived.error().message;
  EXPECT_EQ(hex(derived->span()), hex(okm));

  // The string_view overload is the same function.
  const std::string info_text(info.begin(), info.end());
  auto derived_text = crypto::hkdf_sha256(ikm, salt, std::string_view(info_text), okm.size());
  ASSERT_TRUE(derived_text) << derived_text.error().message;
  EXPECT_EQ(hex(derived_text->span()), hex(okm));

  // HKDF output is a stream: a shorter request is a prefix of the published OKM.
  for (std::size_t n : {std::size_t{1}, std::size_t{31}, std::size_t{32}, std::size_t{33}, okm.size() - 1}) {
    auto prefix = crypto::hkdf_sha256(ikm, salt, ByteView(info), n);
    ASSERT_TRUE(prefix) << n;
    EXPECT_EQ(hex(prefix->span()), hex(ByteView(okm).first(n))) << n;
  }
}

void check_scrypt(const Vector& v) {
  const Bytes passphrase = v.bytes("passphrase"), salt = v.bytes("salt"), dk = v.bytes("dk");
  crypto::ScryptParams params;
  params.n = v.number("n");
  params.r = static_cast<std::uint32_t>(v.number("r"));
  params.p = static_cast<std::uint32_t>(v.number("p"));
  const std::string text(passphrase.begin(), passphrase.end());
  auto derived = crypto::scrypt(text, salt, params, dk.size());
  ASSERT_TRUE(derived) << derived.error().message;
  EXPECT_EQ(hex(derived->span()), hex(dk));
}

class HashVectorTest : public testing::TestWithParam<Vector> {};

TEST_P(HashVectorTest, MatchesPublishedValues) {
  const Vector& v = GetParam();
  ASSERT_TRUE(v.error.empty()) << v.error;
  if (v.section == "sha-256" || v.section == "sha-512") {
    check_digest(v);
  } else if (v.section == "hkdf-sha256") {
    check_hkdf(v);
  } else if (v.section == "scrypt") {
    check_scrypt(v);
  } else {
    FAIL() << "unknown section " << v.section;
  }
}

INSTANTIATE_TEST_SUITE_P(Hash, HashVectorTest, testing::ValuesIn(read_vectors("hash.vec")), vector_test_name);

TEST(HashVectorFile, HoldsEveryVector) {
  const auto all = read_vectors("hash.vec");
  ASSERT_FALSE(all.empty());
  ASSERT_TRUE(all.front().error.empty()) << all.front().error;
  EXPECT_EQ(in_section(all, "sha-256").size(), 4u);
  EXPECT_EQ(in_section(all, "sha-512").size(), 5u);
  EXPECT_EQ(in_section(all, "hkdf-sha256").size(), 3u);
  EXPECT_EQ(in_section(all, "scrypt").size(), 3u);
  EXPECT_EQ(all.size(), 15u);
}

// ---------------------------------------------------------------------------------------------------------

TEST(Hasher, IsMovableAndDigestSizesAreRight) {
  Hasher a(HashAlgorithm::kSha256);
  a.update(as_bytes("ab"));
  Hasher b = std::move(a);
  b.update(as_bytes("c"));
  EXPECT_EQ(hex(b.finish()), hex(crypto::sha256(as_bytes("abc"))));
  EXPECT_EQ(Hasher(HashAlgorithm::kSha256).finish().size(), crypto::kSha256Bytes);
  EXPECT_EQ(Hasher(HashAlgorithm::kSha512).finish().size(), crypto::kSha512Bytes);
}

TEST(Hkdf, LengthLimitIs255HashBlocks) {
  const Bytes ikm(32, 0x0b);
  auto most = crypto::hkdf_sha256(ikm, {}, std::string_view("info"), 255 * 32);
  ASSERT_TRUE(most) << most.error().message;
  EXPECT_EQ(most->size(), 255u * 32u);
  EXPECT_FALSE(crypto::hkdf_sha256(ikm, {}, std::string_view("info"), 255 * 32 + 1));
}

TEST(Hkdf, DifferentInfoOrSaltGivesUnrelatedKeys) {
  const Bytes ikm(32, 0x42);
  auto a = crypto::hkdf_sha256(ikm, {}, std::string_view("medcrypt a"), 32);
  auto b = crypto::hkdf_sha256(ikm, {}, std::string_view("medcrypt b"), 32);
  auto c = crypto::hkdf_sha256(ikm, Bytes{1}, std::string_view("medcrypt a"), 32);
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(a->equals(*b));
  EXPECT_FALSE(a->equals(*c));
  // RFC 5869 section 2.2: an absent salt is HashLen zero bytes.
  auto zeros = crypto::hkdf_sha256(ikm, Bytes(32, 0), std::string_view("medcrypt a"), 32);
  ASSERT_TRUE(zeros);
  EXPECT_TRUE(a->equals(*zeros));
}

// RFC 5869 allows an empty IKM, OpenSSL's HKDF refuses one and hash.cpp documents that medcrypt never
// uses one: it must then be an error, never a key derived from nothing.
TEST(Hkdf, EmptyIkmIsAnError) {
  EXPECT_FALSE(crypto::hkdf_sha256(ByteView(), ByteView(), std::string_view("info"), 32));
}

TEST(Scrypt, InvalidParametersAreErrorsNotCrashes) {
  const Bytes salt(16, 1);
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{1000}}) {
    crypto::ScryptParams params{n, 8, 1};
    EXPECT_FALSE(crypto::scrypt("pass", salt, params, 32)) << "N = " << n;
  }
  crypto::ScryptParams zero_r{1024, 0, 1};
  EXPECT_FALSE(crypto::scrypt("pass", salt, zero_r, 32));
  crypto::ScryptParams zero_p{1024, 8, 0};
  EXPECT_FALSE(crypto::scrypt("pass", salt, zero_p, 32));
}

TEST(Scrypt, PassphraseAndSaltBothMatter) {
  crypto::ScryptParams fast{1024, 8, 1};
  auto a = crypto::scrypt("correct horse", Bytes(16, 1), fast, 32);
  auto b = crypto::scrypt("correct horsf", Bytes(16, 1), fast, 32);
  auto c = crypto::scrypt("correct horse", Bytes(16, 2), fast, 32);
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(a->equals(*b));
  EXPECT_FALSE(a->equals(*c));
}

}  // namespace
}  // namespace medcrypt::test
