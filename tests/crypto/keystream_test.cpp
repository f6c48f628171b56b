// AES-256-CTR keystream: NIST SP 800-38A F.5.5, a counter that wraps past 2^128 - 1 (the expected bytes
// from python3-cryptography), and bad sizes refused.
#include <gtest/gtest.h>

#include "core/bytes.hpp"
#include "crypto/keystream.hpp"

namespace medcrypt::crypto {
namespace {

Bytes hex(std::string_view text) { return from_hex(text).value(); }

const SecretBytes kKey(hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));

TEST(Keystream, MatchesNistSp800_38aCtrAes256) {
  // F.5.5 CTR-AES256.Encrypt, block 1: ciphertext = plaintext XOR keystream.
  const Bytes counter = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const Bytes plain = hex("6bc1bee22e409f96e93d7e117393172a");
  Bytes stream(16);
  ASSERT_TRUE(aes256_ctr_keystream(kKey, counter, stream));
  for (std::size_t i = 0; i < 16; ++i) stream[i] ^= plain[i];
  EXPECT_EQ(to_hex(stream), "601ec313775789a5b7a7f504bbf3d228");
  // The same block XORed on in place.
  Bytes data = plain;
  ASSERT_TRUE(aes256_ctr_xor(kKey, counter, data));
  EXPECT_EQ(to_hex(data), "601ec313775789a5b7a7f504bbf3d228");
  // And from one buffer into another, leaving the input as it was.
  Bytes into(16);
  ASSERT_TRUE(aes256_ctr_xor(kKey, counter, plain, into));
  EXPECT_EQ(to_hex(into), "601ec313775789a5b7a7f504bbf3d228");
  EXPECT_EQ(to_hex(plain), "6bc1bee22e409f96e93d7e117393172a");
}

TEST(Keystream, CounterWrapsAsOne128BitInteger) {
  Bytes stream(40);
  ASSERT_TRUE(aes256_ctr_keystream(kKey, Bytes(16, 0xff), stream));
  EXPECT_EQ(to_hex(stream), "3b3c2921c85a24de9ac606ce6d1d60cce568f68194cf76d6174d4cc04310a85491151e5d0b7a1f1b");
}

TEST(Keystream, BadKeyOrCounterSizesAreRefused) {
  Bytes out(8);
  EXPECT_FALSE(aes256_ctr_keystream(SecretBytes(16), Bytes(16), out));
  EXPECT_FALSE(aes256_ctr_keystream(kKey, Bytes(12), out));
  EXPECT_FALSE(aes256_ctr_xor(SecretBytes(16), Bytes(16), out));
  Bytes shorter(7);
  EXPECT_FALSE(aes256_ctr_xor(kKey, Bytes(16), out, shorter));
}

}  // namespace
}  // namespace medcrypt::crypto
