// AES-256-GCM and ChaCha20-Poly1305: known answers from tests/vectors/crypto/aead.vec, then tamper and
// round-trip properties (Tink's aes_gcm_boringssl_test.cc style: flip every bit, truncate at every length).
#include "crypto/aead.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "crypto_test_util.hpp"
#include "vectors.hpp"

namespace medcrypt::test {
namespace {

using crypto::Aead;
using crypto::AeadAlgorithm;
using crypto::kAeadKeyBytes;
using crypto::kAeadNonceBytes;
using crypto::kAeadTagBytes;

constexpr std::uint8_t kPoison = 0xa5;  // fills output buffers, so a wipe (all zero) is visible

Aead make_aead(AeadAlgorithm algorithm, const SecretBytes& key) {
  auto aead = Aead::create(algorithm, key);
  if (!aead) ADD_FAILURE() << "Aead::create: " << aead.error().message;
  return std::move(aead).value();
}

// ---------------------------------------------------------------------------------------------------------
// Known answers.

class AeadVectorTest : public testing::TestWithParam<Vector> {};

TEST_P(AeadVectorTest, MatchesPublishedValues) {
  const Vector& v = GetParam();
  ASSERT_TRUE(v.error.empty()) << v.error;
  auto algorithm = crypto::parse_aead_name(v.section);
  ASSERT_TRUE(algorithm.has_value()) << "unknown section " << v.section;

  const SecretBytes key(v.bytes("key"));
  const Bytes nonce = v.bytes("nonce"), aad = v.bytes("aad"), out = v.bytes("out"), tag = v.bytes("tag");
  ASSERT_EQ(key.size(), kAeadKeyBytes);
  ASSERT_EQ(nonce.size(), kAeadNonceBytes);
  ASSERT_EQ(tag.size(), kAeadTagBytes);
  auto created = Aead::create(*algorithm, key);
  ASSERT_TRUE(created) << created.error().message;
  Aead& aead = *created;
  const Bytes sealed = concat({out, tag});

  if (v.valid()) {
    const Bytes in = v.bytes("in");
    ASSERT_EQ(in.size(), out.size());

    // Encryption gives exactly the published ciphertext and tag, through both interfaces.
    auto whole = aead.seal(nonce, aad, in);
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(hex(*whole), hex(sealed));

    Bytes ct(in.size(), kPoison);
    std::array<std::uint8_t, kAeadTagBytes> t{};
    ASSERT_TRUE(aead.seal(nonce, aad, in, ct, t));
    EXPECT_EQ(hex(ct), hex(out));
    EXPECT_EQ(hex(t), hex(tag));

    // The same associated data given in two parts, split anywhere, authenticates the same.
    for (std::size_t cut : {std::size_t{0}, aad.size() / 2, aad.size()}) {
      const std::array<ByteView, 2> parts{ByteView(aad).first(cut), ByteView(aad).subspan(cut)};
      Bytes ct2(in.size());
      std::array<std::uint8_t, kAeadTagBytes> t2{};
      ASSERT_TRUE(aead.seal(nonce, parts, in, ct2, t2));
      EXPECT_EQ(hex(ct2), hex(out)) << "AAD cut at " << cut;
      EXPECT_EQ(hex(t2), hex(tag)) << "AAD cut at " << cut;
    }

    // Decryption of the published ciphertext gives the published plaintext.
    Bytes pt(out.size(), kPoison);
    auto opened = aead.open(nonce, aad, out, tag, pt);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(hex(pt), hex(in));
    auto opened_whole = aead.open(nonce, aad, sealed);
    ASSERT_TRUE(opened_whole) << opened_whole.error().message;
    EXPECT_EQ(hex(*opened_whole), hex(in));
  } else {
    // A forged or damaged record: refused with the one generic error, and the output wiped.
    Bytes pt(out.size(), kPoison);
    auto opened = aead.open(nonce, aad, out, tag, pt);
    ASSERT_FALSE(opened) << "an invalid vector was accepted";
    EXPECT_EQ(opened.error().code, ErrorCode::kAuthentication);
    EXPECT_TRUE(all_zero(pt)) << "the output was not wiped: " << hex(pt);
    auto opened_whole = aead.open(nonce, aad, sealed);
    ASSERT_FALSE(opened_whole);
    EXPECT_EQ(opened_whole.error().code, ErrorCode::kAuthentication);
    // The context is still usable after a failure: the next valid message opens (checked by the
    // ContextSurvivesFailures property below as well).
  }
}

INSTANTIATE_TEST_SUITE_P(Aead, AeadVectorTest, testing::ValuesIn(read_vectors("aead.vec")), vector_test_name);

// Guards against a vacuous pass: an emptied or truncated vector file fails here.
TEST(AeadVectorFile, HoldsEveryVector) {
  const auto all = read_vectors("aead.vec");
  ASSERT_FALSE(all.empty());
  ASSERT_TRUE(all.front().error.empty()) << all.front().error;
  auto count = [&](std::string_view section, bool valid) {
    std::size_t n = 0;
    for (const Vector& v : in_section(all, section)) n += v.text("result") == (valid ? "valid" : "invalid");
    return n;
  };
  EXPECT_EQ(count("aes-256-gcm", true), 23u);
  EXPECT_EQ(count("aes-256-gcm", false), 11u);
  EXPECT_EQ(count("chacha20-poly1305", true), 11u);
  EXPECT_EQ(count("chacha20-poly1305", false), 6u);
  EXPECT_EQ(all.size(), 51u);
}

// ---------------------------------------------------------------------------------------------------------
// Properties, for both algorithms.

class AeadPropertyTest : public testing::TestWithParam<AeadAlgorithm> {
 protected:
  AeadPropertyTest() : rng_(0x5eed0000u + static_cast<unsigned>(GetParam())) {}

  // A 61-byte message (not a block multiple) with 23 bytes of associated data.
  void SetUp() override {
    key_ = rng_.secret(kAeadKeyBytes);
    nonce_ = rng_.bytes(kAeadNonceBytes);
    aad_ = rng_.bytes(23);
    message_ = rng_.bytes(61);
    Aead aead = make_aead(GetParam(), key_);
    ciphertext_.assign(message_.size(), 0);
    ASSERT_TRUE(aead.seal(nonce_, aad_, message_, ciphertext_, tag_));
  }

  // Opens with the given parts; expects kAuthentication and a wiped output.
  void expect_rejected(Aead& aead, ByteView nonce, ByteView aad, ByteView ciphertext, ByteView tag,
                       const std::string& what) {
    Bytes out(ciphertext.size(), kPoison);
    auto st = aead.open(nonce, aad, ciphertext, tag, out);
    ASSERT_FALSE(st) << what << " was accepted";
    EXPECT_EQ(st.error().code, ErrorCode::kAuthentication) << what;
    EXPECT_TRUE(all_zero(out)) << what << ": output not wiped";
  }

  TestRng rng_;
  SecretBytes key_;
  Bytes nonce_, aad_, message_, ciphertext_;
  std::array<std::uint8_t, kAeadTagBytes> tag_{};
};

TEST_P(AeadPropertyTest, OpensWhatItSealed) {
  Aead aead = make_aead(GetParam(), key_);
  Bytes out(ciphertext_.size(), kPoison);
  ASSERT_TRUE(aead.open(nonce_, aad_, ciphertext_, tag_, out));
  EXPECT_EQ(out, message_);
  EXPECT_NE(ciphertext_, message_);
}

TEST_P(AeadPropertyTest, EveryCiphertextBitFlipIsRejected) {
  Aead aead = make_aead(GetParam(), key_);
  for (std::size_t bit = 0; bit < ciphertext_.size() * 8; ++bit) {
    expect_rejected(aead, nonce_, aad_, flipped(ciphertext_, bit), tag_, "ciphertext bit " + std::to_string(bit));
  }
}

TEST_P(AeadPropertyTest, EveryTagBitFlipIsRejected) {
  Aead aead = make_aead(GetParam(), key_);
  for (std::size_t bit = 0; bit < kAeadTagBytes * 8; ++bit) {
    expect_rejected(aead, nonce_, aad_, ciphertext_, flipped(tag_, bit), "tag bit " + std::to_string(bit));
  }
}

TEST_P(AeadPropertyTest, EveryNonceBitFlipIsRejected) {
  Aead aead = make_aead(GetParam(), key_);
  for (std::size_t bit = 0; bit < kAeadNonceBytes * 8; ++bit) {
    expect_rejected(aead, flipped(nonce_, bit), aad_, ciphertext_, tag_, "nonce bit " + std::to_string(bit));
  }
}

TEST_P(AeadPropertyTest, EveryAadBitFlipIsRejected) {
  Aead aead = make_aead(GetParam(), key_);
  for (std::size_t bit = 0; bit < aad_.size() * 8; ++bit) {
    expect_rejected(aead, nonce_, flipped(aad_, bit), ciphertext_, tag_, "AAD bit " + std::to_string(bit));
  }
}

TEST_P(AeadPropertyTest, AadChangesAreRejected) {
  Aead aead = make_aead(GetParam(), key_);
  expect_rejected(aead, nonce_, {}, ciphertext_, tag_, "missing AAD");
  expect_rejected(aead, nonce_, ByteView(aad_).first(aad_.size() - 1), ciphertext_, tag_, "AAD short by one byte");
  expect_rejected(aead, nonce_, concat({aad_, Bytes{0}}), ciphertext_, tag_, "AAD with a byte appended");
}

TEST_P(AeadPropertyTest, WrongKeyIsRejected) {
  Aead other = make_aead(GetParam(), rng_.secret(kAeadKeyBytes));
  expect_rejected(other, nonce_, aad_, ciphertext_, tag_, "a different key");
  AeadAlgorithm swapped =
      GetParam() == AeadAlgorithm::kAes256Gcm ? AeadAlgorithm::kChaCha20Poly1305 : AeadAlgorithm::kAes256Gcm;
  Aead other_algorithm = make_aead(swapped, key_);
  expect_rejected(other_algorithm, nonce_, aad_, ciphertext_, tag_, "the other algorithm");
}

TEST_P(AeadPropertyTest, TruncatedOrExtendedTagIsRejected) {
  Aead aead = make_aead(GetParam(), key_);
  auto expect_refused = [&](ByteView tag, const std::string& what) {
    Bytes out(ciphertext_.size());
    auto st = aead.open(nonce_, aad_, ciphertext_, tag, out);
    ASSERT_FALSE(st) << what << " was accepted";
    EXPECT_EQ(st.error().code, ErrorCode::kAuthentication) << what;
  };
  for (std::size_t n = 0; n < kAeadTagBytes; ++n) {
    expect_refused(ByteView(tag_).first(n), "tag of " + std::to_string(n) + " bytes");
    expect_refused(ByteView(tag_).last(n), "tag tail of " + std::to_string(n));
  }
  expect_refused(concat({tag_, Bytes{0}}), "tag of 17 bytes");
}

// aead.hpp: "on failure the output is wiped and the error is ErrorCode::kAuthentication, whatever the
// cause" -- including a tag, nonce or output of the wrong size, which open() refuses before decrypting.
// A caller that reuses one plaintext buffer for chunk after chunk must not find the previous chunk there.
TEST_P(AeadPropertyTest, OpenWipesOutputEvenWhenSizesAreWrong) {
  Aead aead = make_aead(GetParam(), key_);
  expect_rejected(aead, nonce_, aad_, ciphertext_, ByteView(tag_).first(kAeadTagBytes - 1), "a 15-byte tag");
  expect_rejected(aead, nonce_, aad_, ciphertext_, ByteView(tag_).first(0), "an empty tag");
  expect_rejected(aead, ByteView(nonce_).first(kAeadNonceBytes - 1), aad_, ciphertext_, tag_, "an 11-byte nonce");
  Bytes longer(ciphertext_.size() + 1, kPoison);
  auto st = aead.open(nonce_, aad_, ciphertext_, tag_, longer);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kAuthentication);
  EXPECT_TRUE(all_zero(longer)) << "output of the wrong size not wiped";
}

TEST_P(AeadPropertyTest, SealedMessageTruncatedAtEveryLengthIsRejected) {
  Aead aead = make_aead(GetParam(), key_);
  const Bytes sealed = concat({ciphertext_, tag_});
  for (std::size_t n = 0; n < sealed.size(); ++n) {
    auto r = aead.open(nonce_, aad_, ByteView(sealed).first(n));
    ASSERT_FALSE(r) << "truncated to " << n << " bytes was accepted";
    EXPECT_EQ(r.error().code, ErrorCode::kAuthentication);
  }
  auto longer = aead.open(nonce_, aad_, concat({sealed, Bytes{0}}));
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error().code, ErrorCode::kAuthentication);
  auto whole = aead.open(nonce_, aad_, sealed);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(*whole, message_);
}

TEST_P(AeadPropertyTest, WrongNonceOrOutputSizeIsRefused) {
  Aead aead = make_aead(GetParam(), key_);
  Bytes out(message_.size());
  std::array<std::uint8_t, kAeadTagBytes> tag{};
  for (std::size_t n : {std::size_t{0}, std::size_t{8}, std::size_t{11}, std::size_t{13}, std::size_t{16}}) {
    EXPECT_FALSE(aead.seal(rng_.bytes(n), aad_, message_, out, tag)) << "nonce of " << n << " bytes";
    Bytes pt(ciphertext_.size());
    auto st = aead.open(rng_.bytes(n), aad_, ciphertext_, tag_, pt);
    ASSERT_FALSE(st) << "nonce of " << n << " bytes";
    EXPECT_EQ(st.error().code, ErrorCode::kAuthentication);
  }
  Bytes short_out(message_.size() - 1);
  EXPECT_FALSE(aead.seal(nonce_, aad_, message_, short_out, tag));
  Bytes long_out(message_.size() + 1);
  EXPECT_FALSE(aead.seal(nonce_, aad_, message_, long_out, tag));
  std::array<std::uint8_t, kAeadTagBytes - 1> short_tag{};
  EXPECT_FALSE(aead.seal(nonce_, aad_, message_, out, short_tag));
  Bytes short_pt(ciphertext_.size() - 1);
  auto st = aead.open(nonce_, aad_, ciphertext_, tag_, short_pt);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kAuthentication);
}

TEST_P(AeadPropertyTest, KeyOfWrongSizeIsRefused) {
  for (std::size_t n : {std::size_t{0}, std::size_t{16}, std::size_t{31}, std::size_t{33}, std::size_t{64}}) {
    EXPECT_FALSE(Aead::create(GetParam(), SecretBytes(n))) << n << "-byte key";
  }
  EXPECT_TRUE(Aead::create(GetParam(), SecretBytes(kAeadKeyBytes)));
}

// seal(x) then open gives x back, over sizes 0..100000, with the associated data in several parts
// (the span<const ByteView> overload), and the parts authenticate exactly like their concatenation.
TEST_P(AeadPropertyTest, RoundTripOverSizesWithMultiPartAad) {
  Aead aead = make_aead(GetParam(), key_);
  std::vector<std::size_t> sizes = {0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 4095, 4096, 65535, 65536, 65537, 100000};
  for (int i = 0; i < 12; ++i) sizes.push_back(rng_.below(100001));

  for (std::size_t size : sizes) {
    SCOPED_TRACE("message of " + std::to_string(size) + " bytes");
    const Bytes message = rng_.bytes(size);
    const Bytes nonce = rng_.bytes(kAeadNonceBytes);
    std::vector<Bytes> part_storage;
    const std::size_t part_count = rng_.below(5);  // 0..4 parts, some of them empty
    for (std::size_t p = 0; p < part_count; ++p) part_storage.push_back(rng_.bytes(rng_.below(3) == 0 ? 0 : rng_.below(300)));
    std::vector<ByteView> parts(part_storage.begin(), part_storage.end());
    Bytes joined;
    for (const Bytes& p : part_storage) joined.insert(joined.end(), p.begin(), p.end());

    Bytes ct(size, kPoison);
    std::array<std::uint8_t, kAeadTagBytes> tag{};
    ASSERT_TRUE(aead.seal(nonce, parts, message, ct, tag));

    // The parts are the concatenation, as far as the tag is concerned.
    auto single = aead.seal(nonce, joined, message);
    ASSERT_TRUE(single);
    EXPECT_EQ(hex(*single), hex(concat({ct, tag})));

    Bytes pt(size, kPoison);
    ASSERT_TRUE(aead.open(nonce, parts, ct, tag, pt));
    EXPECT_TRUE(pt == message);
    Bytes pt2(size, kPoison);
    ASSERT_TRUE(aead.open(nonce, joined, ct, tag, pt2));
    EXPECT_TRUE(pt2 == message);

    if (size > 0) {  // a change anywhere in the message is caught, whatever its size
      Bytes damaged = ct;
      damaged[rng_.below(size)] ^= 0x01;
      Bytes out(size, kPoison);
      auto st = aead.open(nonce, parts, damaged, tag, out);
      ASSERT_FALSE(st);
      EXPECT_EQ(st.error().code, ErrorCode::kAuthentication);
      EXPECT_TRUE(all_zero(out));
    }
    if (!joined.empty()) {  // moving a byte from one AAD part to the next keeps the concatenation: still valid
      std::vector<ByteView> regrouped = {ByteView(joined).first(joined.size() / 3), ByteView(joined).subspan(joined.size() / 3)};
      Bytes out(size);
      EXPECT_TRUE(aead.open(nonce, regrouped, ct, tag, out));
    }
  }
}

// The ciphertext may be the plaintext's own buffer, both ways.
TEST_P(AeadPropertyTest, InPlaceEncryptionAndDecryption) {
  Aead aead = make_aead(GetParam(), key_);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{61}, std::size_t{4096}, std::size_t{100000}}) {
    SCOPED_TRACE(size);
    const Bytes message = rng_.bytes(size);
    const Bytes nonce = rng_.bytes(kAeadNonceBytes);
    auto reference = aead.seal(nonce, aad_, message);
    ASSERT_TRUE(reference);

    Bytes buffer = message;
    std::array<std::uint8_t, kAeadTagBytes> tag{};
    ASSERT_TRUE(aead.seal(nonce, aad_, buffer, buffer, tag));
    EXPECT_EQ(hex(concat({buffer, tag})), hex(*reference));

    ASSERT_TRUE(aead.open(nonce, aad_, buffer, tag, buffer));
    EXPECT_TRUE(buffer == message);

    if (size > 0) {  // an in-place failure wipes the buffer
      ASSERT_TRUE(aead.seal(nonce, aad_, buffer, buffer, tag));
      tag[0] ^= 0x80;
      auto st = aead.open(nonce, aad_, buffer, tag, buffer);
      ASSERT_FALSE(st);
      EXPECT_EQ(st.error().code, ErrorCode::kAuthentication);
      EXPECT_TRUE(all_zero(buffer));
    }
  }
}

// One Aead keeps its key schedule across calls: many messages, opened out of order, interleaved with
// failures, all behave as if each had a fresh context.
TEST_P(AeadPropertyTest, ContextSurvivesFailuresAndReuse) {
  Aead aead = make_aead(GetParam(), key_);
  struct Sealed {
    Bytes nonce, message, sealed;
  };
  std::vector<Sealed> all;
  for (int i = 0; i < 16; ++i) {
    Sealed s{rng_.bytes(kAeadNonceBytes), rng_.bytes(rng_.below(200)), {}};
    auto r = aead.seal(s.nonce, aad_, s.message);
    ASSERT_TRUE(r);
    s.sealed = std::move(r).value();
    all.push_back(std::move(s));
  }
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    Bytes bad = it->sealed;
    bad.back() ^= 0x01;
    EXPECT_FALSE(aead.open(it->nonce, aad_, bad));
    auto r = aead.open(it->nonce, aad_, it->sealed);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, it->message);
    Aead fresh = make_aead(GetParam(), key_);
    auto again = fresh.seal(it->nonce, aad_, it->message);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, it->sealed);
  }
  // A moved-from-into Aead works the same.
  Aead moved = std::move(aead);
  auto r = moved.open(all.front().nonce, aad_, all.front().sealed);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, all.front().message);
}

// Nonce reuse is the caller's bug, but distinct nonces must give unrelated ciphertexts.
TEST_P(AeadPropertyTest, DistinctNoncesGiveDistinctCiphertexts) {
  Aead aead = make_aead(GetParam(), key_);
  auto a = aead.seal(rng_.bytes(kAeadNonceBytes), aad_, message_);
  auto b = aead.seal(rng_.bytes(kAeadNonceBytes), aad_, message_);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AeadPropertyTest,
                         testing::Values(AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305),
                         [](const testing::TestParamInfo<AeadAlgorithm>& param_info) {
                           return param_info.param == AeadAlgorithm::kAes256Gcm ? "Aes256Gcm" : "ChaCha20Poly1305";
                         });

// The names and numbers are stored in containers and must never change.
TEST(AeadNames, AreStable) {
  EXPECT_EQ(crypto::aead_name(AeadAlgorithm::kAes256Gcm), "aes-256-gcm");
  EXPECT_EQ(crypto::aead_name(AeadAlgorithm::kChaCha20Poly1305), "chacha20-poly1305");
  EXPECT_EQ(crypto::parse_aead_name("aes-256-gcm"), AeadAlgorithm::kAes256Gcm);
  EXPECT_EQ(crypto::parse_aead_name("chacha20-poly1305"), AeadAlgorithm::kChaCha20Poly1305);
  EXPECT_FALSE(crypto::parse_aead_name("AES-256-GCM").has_value());
  EXPECT_FALSE(crypto::parse_aead_name("aes-128-gcm").has_value());
  EXPECT_FALSE(crypto::parse_aead_name("").has_value());
  EXPECT_EQ(static_cast<int>(AeadAlgorithm::kAes256Gcm), 1);
  EXPECT_EQ(static_cast<int>(AeadAlgorithm::kChaCha20Poly1305), 2);
  EXPECT_EQ(crypto::aead_from_id(1), AeadAlgorithm::kAes256Gcm);
  EXPECT_EQ(crypto::aead_from_id(2), AeadAlgorithm::kChaCha20Poly1305);
  for (int id : {0, 3, 255}) EXPECT_FALSE(crypto::aead_from_id(static_cast<std::uint8_t>(id)).has_value()) << id;
}

}  // namespace
}  // namespace medcrypt::test
