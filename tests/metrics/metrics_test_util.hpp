// Small images made in the tests, and the comparison the reference tests use.
#pragma once

#include <cmath>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "image/image.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {

// A grey (or samples-channel) image whose word at sample index i is fill(i).
inline image::Image make_image(std::uint32_t width, std::uint32_t height, std::uint8_t bits,
                               const std::function<std::uint32_t(std::size_t)>& fill, std::uint8_t samples = 1,
                               std::uint32_t frames = 1, bool is_signed = false) {
  image::Geometry g{width, height, frames, samples, static_cast<std::uint8_t>(bits > 8 ? 16 : 8), bits, is_signed,
                    samples == 3 ? "RGB" : "MONOCHROME2"};
  image::Image img = image::Image::create(g).value();
  for (std::size_t i = 0; i < g.sample_count(); ++i) img.set_word(i, fill(i));
  return img;
}

// |a - b| <= rel * max(|a|, |b|) + abs; NaN only against NaN, infinity only against the same infinity.
inline ::testing::AssertionResult close(double a, double b, double rel, double abs = 1e-12) {
  if (std::isnan(a) || std::isnan(b)) {
    return std::isnan(a) && std::isnan(b) ? ::testing::AssertionSuccess()
                                          : ::testing::AssertionFailure() << a << " vs " << b;
  }
  if (std::isinf(a) || std::isinf(b)) {
    return a == b ? ::testing::AssertionSuccess() : ::testing::AssertionFailure() << a << " vs " << b;
  }
  const double tolerance = rel * std::max(std::abs(a), std::abs(b)) + abs;
  if (std::abs(a - b) <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " vs " << b << " (difference " << std::abs(a - b) << ", tolerance "
                                       << tolerance << ")";
}

// Asks tests/metrics/metrics_reference.py (numpy, scipy, scikit-image, mpmath) for the answers to a
// request, through files in dir.
inline nlohmann::json run_reference(const nlohmann::json& request, const ScratchDir& dir) {
  const std::string script = std::string(MEDCRYPT_SOURCE_DIR) + "/tests/metrics/metrics_reference.py";
  std::ofstream(dir / "request.json") << request.dump();
  const ProcessResult run = run_command(system_python() + " " + shell_quote(script) + " " +
                                        shell_quote((dir / "request.json").string()) + " " +
                                        shell_quote((dir / "answer.json").string()));
  EXPECT_EQ(run.exit_code, 0) << run.out;
  return nlohmann::json::parse(std::ifstream(dir / "answer.json"));
}

}  // namespace medcrypt::test
