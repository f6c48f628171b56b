// Every metric against metrics_reference.py (numpy, scipy, scikit-image), on every readable image of
// ../shared/data, on its `aead` cipher image, and on a perturbed copy (for a meaningful SSIM):
//   stats of the plain and of the cipher image; compare plain/cipher and plain/perturbed.
// The Python side gets the stored words as raw files and computes every figure itself; only the random
// choices (pair positions, blocks) come from medcrypt. A second test has Python decode a few files itself
// (pydicom, Pillow), so that the words do not come from medcrypt either.
// Tolerances: relative 1e-9 for the exact figures (plus 1e-12 absolute, numpy's precision on a correlation
// near 0), 1e-4 for SSIM.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "container/container.hpp"
#include "core/file_io.hpp"
#include "image/image_file.hpp"
#include "metrics/channel.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/image_stats.hpp"
#include "metrics_test_util.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

constexpr double kExact = 1e-9;
constexpr double kSsim = 1e-4;

nlohmann::json positions(const std::vector<metrics::PixelPosition>& ps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : ps) out.push_back({p.frame, p.y, p.x});
  return out;
}

// The request's description of an image written as raw words.
nlohmann::json raw_spec(const std::filesystem::path& path, const image::Image& img) {
  const image::Geometry& g = img.geometry();
  EXPECT_TRUE(write_file_atomic(path, img.bytes()));
  return {{"source", "raw"},          {"path", path.string()},     {"width", g.width},
          {"height", g.height},       {"frames", g.frames},        {"samples", g.samples},
          {"bits_allocated", g.bits_allocated}, {"bits_stored", g.bits_stored}, {"signed", g.is_signed}};
}

nlohmann::json stats_request(const std::string& name, const image::Geometry& g, const metrics::StatsOptions& options) {
  const metrics::StatsSample sample = metrics::stats_sample(g, options);
  nlohmann::json pairs = nlohmann::json::object();
  for (metrics::Direction d : metrics::kDirections) pairs[std::string(metrics::direction_name(d))] = positions(sample.pairs[d]);
  return {{"image", name}, {"pairs", pairs}, {"blocks", positions(sample.blocks)}, {"block_side", 44}};
}

// Reference nulls mean "undefined": NaN here, or infinity for the PSNR of identical images.
void expect_figure(const std::string& what, double ours, const nlohmann::json& ref, double rel) {
  if (ref.is_null()) {
    EXPECT_TRUE(std::isnan(ours) || std::isinf(ours)) << what << ": " << ours << " where the reference has none";
    return;
  }
  EXPECT_TRUE(close(ours, ref.get<double>(), rel)) << what;
}

void expect_stats(const metrics::ImageStats& ours, const nlohmann::json& ref) {
  ASSERT_EQ(ours.channels.size(), ref["channels"].size());
  for (std::size_t c = 0; c < ours.channels.size(); ++c) {
    SCOPED_TRACE("channel " + ours.channels[c].name);
    const metrics::ChannelStats& s = ours.channels[c];
    const nlohmann::json& r = ref["channels"][c];
    expect_figure("entropy", s.entropy, r["entropy"], kExact);
    expect_figure("entropy_bytes", s.entropy_bytes, r["entropy_bytes"], kExact);
    expect_figure("local_entropy", s.local_entropy.value, r["local_entropy"], kExact);
    expect_figure("chi_square", s.chi_square.statistic, r["chi_square"], kExact);
    // Far in the tail both sides lose digits to the incomplete gamma function; below 1e-250 agree on 0-ish.
    expect_figure("chi_square_p", s.chi_square.p_value, r["chi_square_p"], kExact);
    for (metrics::Direction d : metrics::kDirections) {
      const std::string name(metrics::direction_name(d));
      expect_figure("correlation " + name, s.correlation[d], r["correlation"][name], kExact);
      expect_figure("correlation_sampled " + name, s.correlation_sampled[d], r["correlation_sampled"][name], kExact);
    }
  }
}

void expect_differences(const std::string& what, const metrics::ChannelComparison& ours, const nlohmann::json& ref) {
  expect_figure(what + " npcr", ours.differential.npcr, ref["npcr"], kExact);
  expect_figure(what + " uaci", ours.differential.uaci, ref["uaci"], kExact);
  expect_figure(what + " mse", ours.error.mse, ref["mse"], kExact);
  expect_figure(what + " rmse", ours.error.rmse, ref["rmse"], kExact);
  expect_figure(what + " mae", ours.error.mae, ref["mae"], kExact);
  expect_figure(what + " psnr", ours.error.psnr, ref["psnr"], kExact);
}

void expect_compare(const metrics::ImageComparison& ours, const nlohmann::json& ref) {
  expect_differences("all", ours.overall, ref);
  expect_figure("ssim", ours.overall.ssim, ref["ssim"], kSsim);
  ASSERT_EQ(ours.channels.size(), ref["channels"].size());
  for (std::size_t c = 0; c < ours.channels.size(); ++c) {
    expect_differences(ours.channels[c].name, ours.channels[c], ref["channels"][c]);
    expect_figure(ours.channels[c].name + " ssim", ours.channels[c].ssim, ref["channels"][c]["ssim"], kSsim);
  }
}

// The aead cipher image of `plain` (random key: any key gives a uniform-looking cipher image).
image::Image cipher_of(const image::Image& plain) {
  const SecretBytes key(std::vector<std::uint8_t>(32, 0x42));
  container::SealOptions options;
  options.want_cipher_image = true;
  container::MemorySink sink;
  const auto scheme = schemes::builtin_registry().create("aead").value();
  auto sealed = container::seal(plain, container::Metadata{}, *scheme, container::Recipients::shared_key(key), options, sink);
  EXPECT_TRUE(sealed);
  return sealed ? std::move(sealed->cipher_image) : image::Image{};
}

// `plain` with a deterministic bounded noise (-3..+3 levels, clamped), stored back as words.
image::Image perturbed(const image::Image& plain) {
  image::Image out = plain;
  const image::Geometry& g = plain.geometry();
  const std::int64_t top = g.max_value();
  const std::uint32_t sign_flip = g.is_signed ? 1u << (g.bits_stored - 1) : 0u;
  for (std::size_t i = 0; i < g.sample_count(); ++i) {
    const std::int64_t v = metrics::sample_value(plain.word(i), g) + static_cast<std::int64_t>((i * 7919) % 7) - 3;
    out.set_word(i, static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, top)) ^ sign_flip);
  }
  return out;
}

std::string test_name(const std::filesystem::path& p) {
  std::string s = p.filename().string();
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

class SharedImage : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(SharedImage, EveryMetricMatchesNumpyAndScikitImage) {
  auto loaded = image::read_image_file(GetParam());
  ASSERT_TRUE(loaded) << loaded.error().message;
  const image::Image& plain = loaded->image;
  const image::Image cipher = cipher_of(plain);
  const image::Image noisy = perturbed(plain);
  ASSERT_NE(noisy, plain);
  const metrics::StatsOptions options;
  ScratchDir dir;
  const nlohmann::json request = {
      {"images",
       {{"plain", raw_spec(dir / "plain.raw", plain)},
        {"cipher", raw_spec(dir / "cipher.raw", cipher)},
        {"perturbed", raw_spec(dir / "perturbed.raw", noisy)}}},
      {"stats", {stats_request("plain", plain.geometry(), options), stats_request("cipher", cipher.geometry(), options)}},
      {"compare", {{{"a", "plain"}, {"b", "cipher"}}, {{"a", "plain"}, {"b", "perturbed"}}}}};
  const nlohmann::json answer = run_reference(request, dir);
  {
    SCOPED_TRACE("plain stats");
    expect_stats(metrics::image_stats(plain, options), answer["stats"][0]);
  }
  {
    SCOPED_TRACE("cipher stats");
    expect_stats(metrics::image_stats(cipher, options), answer["stats"][1]);
  }
  {
    SCOPED_TRACE("plain against cipher");
    expect_compare(metrics::compare_images(plain, cipher).value(), answer["compare"][0]);
  }
  {
    SCOPED_TRACE("plain against perturbed");
    const metrics::ImageComparison c = metrics::compare_images(plain, noisy).value();
    expect_compare(c, answer["compare"][1]);
    if (!std::isnan(c.overall.ssim)) {
      EXPECT_GT(c.overall.ssim, 0.2);  // not a degenerate comparison
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SharedData, SharedImage, ::testing::ValuesIn(shared_images()),
                         [](const auto& param) { return test_name(param.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedImage);

TEST(SharedImages, AreThereToCompare) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  // So that the parameterised test above cannot pass by having nothing to run.
  EXPECT_GE(shared_images().size(), 30u);
}

// Python decodes these itself: pydicom for DICOM, Pillow for PNG.
struct Decoded {
  const char* file;
  const char* source;
};
constexpr Decoded kDecodedByPython[] = {
    {"dicom/CT1_UNC.explicit_little_endian.dcm", "dicom"},  // 16-bit signed CT
    {"dicom/MR1_UNC.dcm", "dicom"},                         // 16-bit signed MR
    {"dicom/MR2_UNCR.dcm", "dicom"},                        // 12 bits stored
    {"dicom/emri_small.dcm", "dicom"},                      // 10 frames, 12 bits stored
    {"dicom/US1_UNCR.dcm", "dicom"},                        // 8-bit RGB
    {"png/00000001_000.png", "png"},                        // 8-bit grey
    {"png/retina_512.png", "png"},                          // 8-bit RGB
};

TEST(IndependentDecoders, StatsAndComparisonsMatchFromPydicomAndPillowPixels) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  for (const Decoded& d : kDecodedByPython) {
    SCOPED_TRACE(d.file);
    const std::filesystem::path path = shared_data() / d.file;
    auto loaded = image::read_image_file(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    const image::Image& plain = loaded->image;
    const image::Image noisy = perturbed(plain);
    ScratchDir dir;
    const nlohmann::json request = {
        {"images",
         {{"plain", {{"source", d.source}, {"path", path.string()}}},
          {"perturbed", raw_spec(dir / "perturbed.raw", noisy)}}},
        {"stats", {stats_request("plain", plain.geometry(), {})}},
        {"compare", {{{"a", "plain"}, {"b", "perturbed"}}}}};
    const nlohmann::json answer = run_reference(request, dir);
    expect_stats(metrics::image_stats(plain), answer["stats"][0]);
    expect_compare(metrics::compare_images(plain, noisy).value(), answer["compare"][0]);
  }
}

}  // namespace
}  // namespace medcrypt::test
