// Critical values against the published tables and against an independent implementation (scipy).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "metrics/chi_square.hpp"
#include "metrics/differential.hpp"
#include "metrics/local_entropy.hpp"
#include "metrics_test_util.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {


// Wu, Noonan and Agaian (2011), Tables: NPCR* and UACI* for 8-bit images at alpha 0.05, 0.01, 0.001.
struct WuTable {
  std::uint32_t side;
  double npcr[3];
  double uaci[3][2];
};
constexpr WuTable kWu2011[] = {
    {256, {99.5693, 99.5527, 99.5341}, {{33.2824, 33.6447}, {33.2255, 33.7016}, {33.1594, 33.7677}}},
    {512, {99.5893, 99.5810, 99.5717}, {{33.3730, 33.5541}, {33.3445, 33.5826}, {33.3115, 33.6156}}},
    {1024, {99.5994, 99.5952, 99.5906}, {{33.4183, 33.5088}, {33.4040, 33.5231}, {33.3875, 33.5396}}},
};

TEST(CriticalValues, NpcrAndUaciReproduceWuNoonanAgaian2011) {
  for (const WuTable& row : kWu2011) {
    const std::uint64_t samples = std::uint64_t{row.side} * row.side;
    for (std::size_t i = 0; i < metrics::kLevelCount; ++i) {
      SCOPED_TRACE(testing::Message() << row.side << " alpha " << metrics::kSignificanceLevels[i]);
      EXPECT_NEAR(metrics::npcr_critical(255, samples, metrics::kSignificanceLevels[i]), row.npcr[i], 0.00005);
      const metrics::Interval u = metrics::uaci_critical(255, samples, metrics::kSignificanceLevels[i]);
      EXPECT_NEAR(u.low, row.uaci[i][0], 0.00005);
      EXPECT_NEAR(u.high, row.uaci[i][1], 0.00005);
    }
  }
}

TEST(CriticalValues, ChiSquareAtTwoHundredFiftyFiveDegrees) {
  std::vector<std::uint64_t> uniformish(256, 1000);
  const metrics::ChiSquareTest t = metrics::chi_square_test(uniformish);
  EXPECT_NEAR(t.critical[0], 293.2478, 0.00005);
  EXPECT_NEAR(t.critical[1], 310.4574, 0.00005);
  EXPECT_NEAR(t.critical[2], 330.5197, 0.00005);
}

TEST(CriticalValues, PassAndFailFollowTheCriticalValues) {
  metrics::DifferenceSums sums;
  sums.samples = 512 * 512;
  sums.differing = sums.samples - 1000;  // NPCR 99.6185%: passes every level
  sums.absolute = static_cast<std::uint64_t>(0.3346 * 255 * sums.samples);
  metrics::DifferentialTest t = metrics::differential_test(sums, 255);
  EXPECT_EQ(t.npcr_pass, (metrics::PerLevel<bool>{true, true, true}));
  EXPECT_EQ(t.uaci_pass, (metrics::PerLevel<bool>{true, true, true}));
  sums.differing = sums.samples - 1100;  // 99.5804%: between the 0.01 and 0.001 values
  sums.absolute = static_cast<std::uint64_t>(0.3357 * 255 * sums.samples);  // 33.57%: inside at 0.01 only
  t = metrics::differential_test(sums, 255);
  EXPECT_EQ(t.npcr_pass, (metrics::PerLevel<bool>{false, false, true}));
  EXPECT_EQ(t.uaci_pass, (metrics::PerLevel<bool>{false, true, true}));
}

TEST(CriticalValues, MatchScipyForEveryDepthAndSize) {
  nlohmann::json request = {{"critical", nlohmann::json::array()}};
  struct Case {
    std::uint32_t max_value;
    std::uint64_t samples;
  };
  const Case cases[] = {{255, 512 * 512}, {255, 3 * 640 * 480}, {4095, 512 * 512}, {1023, 1760 * 2140},
                        {65535, 2048 * 2048}, {65535, 64 * 64}};
  for (const Case& c : cases) request["critical"].push_back({{"max_value", c.max_value}, {"samples", c.samples}});
  ScratchDir dir;
  const nlohmann::json answer = run_reference(request, dir);
  ASSERT_EQ(answer["critical"].size(), std::size(cases));
  for (std::size_t k = 0; k < std::size(cases); ++k) {
    const nlohmann::json& ref = answer["critical"][k];
    std::vector<std::uint64_t> histogram(std::size_t{cases[k].max_value} + 1, 1);
    const metrics::ChiSquareTest chi = metrics::chi_square_test(histogram);
    for (std::size_t i = 0; i < metrics::kLevelCount; ++i) {
      const double alpha = metrics::kSignificanceLevels[i];
      const std::string level = metrics::level_name(alpha);
      SCOPED_TRACE(testing::Message() << "F " << cases[k].max_value << " N " << cases[k].samples << " alpha " << level);
      EXPECT_TRUE(close(metrics::npcr_critical(cases[k].max_value, cases[k].samples, alpha),
                        ref["npcr"][level].get<double>(), 1e-12));
      const metrics::Interval u = metrics::uaci_critical(cases[k].max_value, cases[k].samples, alpha);
      EXPECT_TRUE(close(u.low, ref["uaci"][level][0].get<double>(), 1e-12));
      EXPECT_TRUE(close(u.high, ref["uaci"][level][1].get<double>(), 1e-12));
      EXPECT_TRUE(close(chi.critical[i], ref["chi_square"][level].get<double>(), 1e-9));
    }
  }
}

}  // namespace
}  // namespace medcrypt::test
