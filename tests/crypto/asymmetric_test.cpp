// X25519 and Ed25519 against tests/vectors/crypto/x25519.vec and ed25519.vec, then properties:
// agreement, low-order points, and every bit of a signature and of its message.
#include "crypto/asymmetric.hpp"

#include <gtest/gtest.h>

#include <type_traits>

#include "crypto_test_util.hpp"
#include "vectors.hpp"

namespace medcrypt::test {
namespace {

const Bytes kBasePoint = [] {
  Bytes b(32, 0);
  b[0] = 9;
  return b;
}();

// One type per use: none converts to another, and plain bytes convert to none.
static_assert(!std::is_convertible_v<crypto::X25519PublicKey, crypto::Ed25519PublicKey>);
static_assert(!std::is_convertible_v<crypto::Ed25519PublicKey, crypto::X25519PublicKey>);
static_assert(!std::is_convertible_v<crypto::Ed25519Signature, crypto::Ed25519PublicKey>);
static_assert(!std::is_convertible_v<Bytes, crypto::X25519PublicKey>);
static_assert(!std::is_convertible_v<ByteView, crypto::Ed25519Signature>);

// Bytes from outside (a vector file, a flipped or cut copy) become a key or a signature only at their
// exact length; any other length cannot be verified at all.
crypto::X25519PublicKey x25519_key(ByteView bytes) {
  auto key = crypto::X25519PublicKey::from(bytes);
  EXPECT_TRUE(key) << bytes.size() << "-byte X25519 key";
  return key.value_or(crypto::X25519PublicKey{});
}

bool verifies(ByteView public_key, ByteView message, ByteView signature) {
  auto key = crypto::Ed25519PublicKey::from(public_key);
  auto sig = crypto::Ed25519Signature::from(signature);
  return key && sig && crypto::ed25519_verify(*key, message, *sig);
}

// ---------------------------------------------------------------------------------------------------------
// X25519 known answers.

class X25519VectorTest : public testing::TestWithParam<Vector> {};

TEST_P(X25519VectorTest, MatchesPublishedValues) {
  const Vector& v = GetParam();
  ASSERT_TRUE(v.error.empty()) << v.error;

  if (v.section == "x25519-iterated") {
    const std::uint64_t iterations = v.number("iterations");
    ASSERT_GT(iterations, 0u);
    Bytes k = kBasePoint, u = kBasePoint;
    for (std::uint64_t i = 0; i < iterations; ++i) {
      auto next = crypto::x25519(SecretBytes(k), x25519_key(u));
      ASSERT_TRUE(next) << "iteration " << i << ": " << next.error().message;
      u = k;
      k.assign(next->span().begin(), next->span().end());
    }
    EXPECT_EQ(hex(k), hex(v.bytes("out")));
    return;
  }
  ASSERT_EQ(v.section, "x25519");

  const SecretBytes scalar(v.bytes("scalar"));
  const Bytes u = v.bytes("u");
  auto shared = crypto::x25519(scalar, x25519_key(u));
  if (v.valid()) {
    ASSERT_TRUE(shared) << shared.error().message;
    EXPECT_EQ(hex(shared->span()), hex(v.bytes("out")));
    if (u == kBasePoint) {  // X25519(a, 9) is a's public key
      auto pub = crypto::x25519_public_key(scalar);
      ASSERT_TRUE(pub) << pub.error().message;
      EXPECT_EQ(hex(*pub), hex(v.bytes("out")));
    }
  } else {
    // A low-order peer key gives the all-zero secret, which medcrypt refuses (RFC 7748 section 6.1).
    ASSERT_FALSE(shared) << "low-order point accepted, secret " << hex(shared->span());
    EXPECT_EQ(shared.error().code, ErrorCode::kAuthentication);
    EXPECT_TRUE(all_zero(v.bytes("out")));
  }
}

INSTANTIATE_TEST_SUITE_P(X25519, X25519VectorTest, testing::ValuesIn(read_vectors("x25519.vec")), vector_test_name);

// One type per use, with no way between them: not through a constructor, not through the array inside.
static_assert(!std::is_constructible_v<crypto::X25519PublicKey, crypto::Ed25519PublicKey>);
static_assert(!std::is_constructible_v<crypto::Ed25519PublicKey, crypto::X25519PublicKey>);
static_assert(!std::is_convertible_v<crypto::Ed25519PublicKey, std::array<std::uint8_t, 32>>);
static_assert(!std::is_constructible_v<crypto::Ed25519PublicKey, std::array<std::uint8_t, 32>>);

TEST(X25519VectorFile, HoldsEveryVector) {
  const auto all = read_vectors("x25519.vec");
  ASSERT_FALSE(all.empty());
  ASSERT_TRUE(all.front().error.empty()) << all.front().error;
  std::size_t valid = 0, invalid = 0;
  for (const Vector& v : in_section(all, "x25519")) (v.text("result") == "valid" ? valid : invalid)++;
  EXPECT_EQ(valid, 8u);
  EXPECT_EQ(invalid, 7u);
  EXPECT_EQ(in_section(all, "x25519-iterated").size(), 2u);
  EXPECT_EQ(all.size(), 17u);
}

// ---------------------------------------------------------------------------------------------------------
// Ed25519 known answers.

class Ed25519VectorTest : public testing::TestWithParam<Vector> {};

TEST_P(Ed25519VectorTest, MatchesPublishedValues) {
  const Vector& v = GetParam();
  ASSERT_TRUE(v.error.empty()) << v.error;
  ASSERT_EQ(v.section, "ed25519");
  const Bytes pub = v.bytes("public"), message = v.bytes("message"), signature = v.bytes("signature");

  if (v.has("secret")) {
    const SecretBytes secret(v.bytes("secret"));
    auto derived = crypto::ed25519_public_key(secret);
    ASSERT_TRUE(derived) << derived.error().message;
    EXPECT_EQ(hex(*derived), hex(pub));
    if (v.valid()) {  // Ed25519 signing is deterministic: exactly the published signature
      auto sig = crypto::ed25519_sign(secret, message);
      ASSERT_TRUE(sig) << sig.error().message;
      EXPECT_EQ(hex(*sig), hex(signature));
    }
  }
  EXPECT_EQ(verifies(pub, message, signature), v.valid());
}

INSTANTIATE_TEST_SUITE_P(Ed25519, Ed25519VectorTest, testing::ValuesIn(read_vectors("ed25519.vec")),
                         vector_test_name);

TEST(Ed25519VectorFile, HoldsEveryVector) {
  const auto all = read_vectors("ed25519.vec");
  ASSERT_FALSE(all.empty());
  ASSERT_TRUE(all.front().error.empty()) << all.front().error;
  std::size_t valid = 0, invalid = 0;
  for (const Vector& v : in_section(all, "ed25519")) (v.text("result") == "valid" ? valid : invalid)++;
  EXPECT_EQ(valid, 7u);
  EXPECT_EQ(invalid, 9u);
  EXPECT_EQ(all.size(), 16u);
}

// ---------------------------------------------------------------------------------------------------------
// X25519 properties.

TEST(X25519, BothSidesDeriveTheSameSecret) {
  for (int i = 0; i < 8; ++i) {
    auto alice = crypto::x25519_generate();
    auto bob = crypto::x25519_generate();
    ASSERT_TRUE(alice && bob);
    EXPECT_EQ(alice->private_key.size(), crypto::kX25519KeyBytes);
    auto alice_pub = crypto::x25519_public_key(alice->private_key);
    ASSERT_TRUE(alice_pub);
    EXPECT_EQ(*alice_pub, alice->public_key);

    auto ab = crypto::x25519(alice->private_key, bob->public_key);
    auto ba = crypto::x25519(bob->private_key, alice->public_key);
    ASSERT_TRUE(ab && ba);
    EXPECT_EQ(ab->size(), 32u);
    EXPECT_TRUE(ab->equals(*ba));
    EXPECT_FALSE(all_zero(ab->span()));

    auto eve = crypto::x25519_generate();
    ASSERT_TRUE(eve);
    auto ae = crypto::x25519(alice->private_key, eve->public_key);
    ASSERT_TRUE(ae);
    EXPECT_FALSE(ab->equals(*ae));
  }
}

TEST(X25519, GeneratedKeysDiffer) {
  auto a = crypto::x25519_generate();
  auto b = crypto::x25519_generate();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->private_key.equals(b->private_key));
  EXPECT_NE(a->public_key, b->public_key);
}

// Whatever our private key, a low-order peer key is refused (the points are those of x25519.vec).
TEST(X25519, LowOrderPointsAreRejectedForAnyKey) {
  std::vector<Bytes> low_order;
  for (const Vector& v : in_section(read_vectors("x25519.vec"), "x25519")) {
    if (v.text("result") == "invalid") low_order.push_back(v.bytes("u"));
  }
  ASSERT_EQ(low_order.size(), 7u);
  for (int i = 0; i < 4; ++i) {
    auto self = crypto::x25519_generate();
    ASSERT_TRUE(self);
    for (const Bytes& u : low_order) {
      auto shared = crypto::x25519(self->private_key, x25519_key(u));
      ASSERT_FALSE(shared) << "accepted low-order point " << hex(u);
      EXPECT_EQ(shared.error().code, ErrorCode::kAuthentication);
    }
  }
}

TEST(X25519, WrongSizedKeysAreRefused) {
  auto self = crypto::x25519_generate();
  auto peer = crypto::x25519_generate();
  ASSERT_TRUE(self && peer);
  for (std::size_t n : {std::size_t{0}, std::size_t{31}, std::size_t{33}, std::size_t{64}}) {
    EXPECT_FALSE(crypto::X25519PublicKey::from(Bytes(n, 0x55))) << n << "-byte peer key";
    EXPECT_FALSE(crypto::x25519(SecretBytes(n), peer->public_key)) << n << "-byte private key";
    auto pub = crypto::x25519_public_key(SecretBytes(n));
    ASSERT_FALSE(pub) << n << "-byte private key";
    EXPECT_EQ(pub.error().code, ErrorCode::kBadKey);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ed25519 properties.

class Ed25519Property : public testing::Test {
 protected:
  void SetUp() override {
    auto pair = crypto::ed25519_generate();
    ASSERT_TRUE(pair) << pair.error().message;
    pair_ = std::move(*pair);
    message_ = TestRng(1234).bytes(45);
    auto sig = crypto::ed25519_sign(pair_.private_key, message_);
    ASSERT_TRUE(sig) << sig.error().message;
    signature_ = *sig;
    ASSERT_TRUE(crypto::ed25519_verify(pair_.public_key, message_, signature_));
  }
  crypto::Ed25519KeyPair pair_;
  Bytes message_;
  crypto::Ed25519Signature signature_{};
};

TEST_F(Ed25519Property, PublicKeyMatchesAndSigningIsDeterministic) {
  auto pub = crypto::ed25519_public_key(pair_.private_key);
  ASSERT_TRUE(pub);
  EXPECT_EQ(*pub, pair_.public_key);
  auto again = crypto::ed25519_sign(pair_.private_key, message_);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, signature_);
}

TEST_F(Ed25519Property, EverySignatureBitFlipFailsToVerify) {
  for (std::size_t bit = 0; bit < signature_.size() * 8; ++bit) {
    EXPECT_FALSE(verifies(pair_.public_key, message_, flipped(signature_, bit))) << "bit " << bit;
  }
}

TEST_F(Ed25519Property, EveryMessageBitFlipFailsToVerify) {
  for (std::size_t bit = 0; bit < message_.size() * 8; ++bit) {
    EXPECT_FALSE(verifies(pair_.public_key, flipped(message_, bit), signature_)) << "bit " << bit;
  }
}

TEST_F(Ed25519Property, EveryPublicKeyBitFlipFailsToVerify) {
  for (std::size_t bit = 0; bit < pair_.public_key.size() * 8; ++bit) {
    EXPECT_FALSE(verifies(flipped(pair_.public_key, bit), message_, signature_)) << "bit " << bit;
  }
}

TEST_F(Ed25519Property, TruncatedExtendedOrMovedInputsFailToVerify) {
  for (std::size_t n = 0; n < signature_.size(); ++n) {
    EXPECT_FALSE(verifies(pair_.public_key, message_, ByteView(signature_).first(n))) << n;
  }
  EXPECT_FALSE(verifies(pair_.public_key, message_, concat({signature_, Bytes{0}})));
  for (std::size_t n = 0; n < message_.size(); ++n) {
    EXPECT_FALSE(verifies(pair_.public_key, ByteView(message_).first(n), signature_)) << n;
  }
  EXPECT_FALSE(verifies(pair_.public_key, concat({message_, Bytes{0}}), signature_));
  EXPECT_FALSE(verifies(ByteView(pair_.public_key).first(31), message_, signature_));
  EXPECT_FALSE(verifies(Bytes(32, 0), message_, signature_));

  auto other = crypto::ed25519_generate();
  ASSERT_TRUE(other);
  EXPECT_FALSE(crypto::ed25519_verify(other->public_key, message_, signature_));
}

TEST_F(Ed25519Property, EmptyAndLargeMessagesSignAndVerify) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1 << 20}}) {
    const Bytes message = TestRng(static_cast<std::uint32_t>(n)).bytes(n);
    auto sig = crypto::ed25519_sign(pair_.private_key, message);
    ASSERT_TRUE(sig) << n;
    EXPECT_TRUE(crypto::ed25519_verify(pair_.public_key, message, *sig)) << n;
  }
}

TEST(Ed25519, WrongSizedPrivateKeyIsRefused) {
  for (std::size_t n : {std::size_t{0}, std::size_t{31}, std::size_t{33}, std::size_t{64}}) {
    EXPECT_FALSE(crypto::ed25519_sign(SecretBytes(n), as_bytes("m"))) << n;
    auto pub = crypto::ed25519_public_key(SecretBytes(n));
    ASSERT_FALSE(pub) << n;
    EXPECT_EQ(pub.error().code, ErrorCode::kBadKey);
  }
}

}  // namespace
}  // namespace medcrypt::test
