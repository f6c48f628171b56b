// The system random source: sizes, and that it is not constant.
#include "crypto/random.hpp"

#include <gtest/gtest.h>

#include <set>

#include "crypto_test_util.hpp"

namespace medcrypt::test {
namespace {

TEST(Random, GivesTheRequestedSizes) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{32}, std::size_t{1000}, std::size_t{1} << 20}) {
    auto b = crypto::random_bytes(n);
    ASSERT_TRUE(b) << n;
    EXPECT_EQ(b->size(), n);
    auto s = crypto::random_secret(n);
    ASSERT_TRUE(s) << n;
    EXPECT_EQ(s->size(), n);
  }
  Bytes empty;
  EXPECT_TRUE(crypto::random_fill(empty));
}

// Not a statistical test: 64 draws of 16 bytes never repeat, and a large buffer is not left zeroed.
TEST(Random, IsNotConstant) {
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    auto b = crypto::random_bytes(16);
    ASSERT_TRUE(b);
    EXPECT_TRUE(seen.insert(hex(*b)).second) << "repeated value " << hex(*b);
  }
  Bytes big(1 << 16, 0);
  ASSERT_TRUE(crypto::random_fill(big));
  std::size_t zeros = 0;
  for (auto v : big) zeros += v == 0;
  EXPECT_LT(zeros, big.size() / 64) << "far more zero bytes than chance gives (about 1/256)";
}

}  // namespace
}  // namespace medcrypt::test
