// The relay's configuration file.
#include <gtest/gtest.h>

#include <fstream>

#include "relay/config.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

TEST(RelayConfig, ReadsKeysAndRefusesUnknownOnes) {
  ScratchDir dir;
  std::ofstream(dir / "relay.json") << R"({"store": "postgresql://relay@db/medcrypt", "threads": 3,
      "max_message_bytes": 1000000, "idle_timeout_s": 5, "rate_per_second": 2.5,
      "max_inference_request_bytes": 2000000, "inference_jobs": 2})";
  auto config = relay::load_relay_config(dir / "relay.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->store, "postgresql://relay@db/medcrypt");
  EXPECT_EQ(config->threads, 3u);
  EXPECT_EQ(config->limits.max_message_bytes, 1000000u);
  EXPECT_EQ(config->limits.idle_timeout, std::chrono::seconds(5));
  EXPECT_DOUBLE_EQ(config->limits.rate_per_second, 2.5);
  EXPECT_EQ(config->limits.max_inference_request_bytes, 2000000u);
  EXPECT_EQ(config->limits.inference_jobs, 2u);
  EXPECT_EQ(config->limits.max_header_bytes, 16u * 1024);  // untouched keys keep their default

  std::ofstream(dir / "typo.json") << R"({"max_mesage_bytes": 10})";
  auto typo = relay::load_relay_config(dir / "typo.json");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("max_mesage_bytes"), std::string::npos);
  std::ofstream(dir / "negative.json") << R"({"threads": -1})";
  EXPECT_FALSE(relay::load_relay_config(dir / "negative.json"));
  std::ofstream(dir / "broken.json") << "{";
  EXPECT_FALSE(relay::load_relay_config(dir / "broken.json"));
}

}  // namespace
}  // namespace medcrypt::test
