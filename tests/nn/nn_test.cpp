// The deep learning core: weight files (altered, truncated, mismatched ones refused), the transposed
// convolution rewrite, training (loss falls, bit-for-bit repeatable on one thread), datasets (checked
// against numpy), noise models, and the shipped ae-aes models against the issue's quality floor.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "crypto/hash.hpp"
#include "image/image_file.hpp"
#include "metrics/image_compare.hpp"
#include "nn/autoencoder.hpp"
#include "nn/backend.hpp"
#include "nn/dataset.hpp"
#include "nn/image_codec.hpp"
#include "nn/noise.hpp"
#include "nn/training.hpp"
#include "schemes/ae_aes.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

// Smooth random images: sums of a few sinusoids, like the low-frequency content of medical images.
std::vector<image::Image> smooth_images(int count, int channels, std::uint32_t side, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<image::Image> out;
  for (int n = 0; n < count; ++n) {
    image::Geometry g;
    g.width = g.height = side;
    g.samples = static_cast<std::uint8_t>(channels);
    g.photometric = channels == 1 ? "MONOCHROME2" : "RGB";
    image::Image img = image::Image::create(g).value();
    const double fx = 1 + 6 * u(rng), fy = 1 + 6 * u(rng), phase = 6.28 * u(rng);
    for (std::uint32_t y = 0; y < side; ++y) {
      for (std::uint32_t x = 0; x < side; ++x) {
        for (int c = 0; c < channels; ++c) {
          const double v = 0.5 + 0.4 * std::sin(fx * x / side * 6.28 + phase + c) * std::cos(fy * y / side * 6.28);
          img.set_word((std::size_t{y} * side + x) * channels + c, static_cast<std::uint32_t>(std::lround(v * 255)));
        }
      }
    }
    out.push_back(std::move(img));
  }
  return out;
}

double mean_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += std::abs(a[i] - b[i]);
  return sum / a.size();
}

TEST(WeightsFile, RoundTripKeepsEveryTensorAndNamesTheDigest) {
  auto ae = nn::Autoencoder::fresh(1, 7);
  ASSERT_TRUE(ae) << ae.error().message;
  nn::Weights w = ae->weights(R"({"note":"test"})");
  auto bytes = nn::encode_weights(w);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(w.digest_hex, to_hex(ByteView(*bytes).last(32)));
  EXPECT_EQ(to_hex(crypto::sha256(ByteView(*bytes).first(bytes->size() - 32))), w.digest_hex);
  auto back = nn::decode_weights(*bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->arch, "ae-aes-gray");
  ASSERT_EQ(back->tensors.size(), w.tensors.size());
  for (std::size_t i = 0; i < w.tensors.size(); ++i) {
    EXPECT_EQ(back->tensors[i].name, w.tensors[i].name);
    EXPECT_EQ(back->tensors[i].values, w.tensors[i].values);
  }
  EXPECT_NE(back->training_json.find("test"), std::string::npos);
}

TEST(WeightsFile, AlteredTruncatedAndForeignFilesAreRefused) {
  auto ae = nn::Autoencoder::fresh(3, 7);
  ASSERT_TRUE(ae);
  nn::Weights w = ae->weights();
  const Bytes good = nn::encode_weights(w).value();
  for (std::size_t at : {std::size_t{20}, good.size() / 2, good.size() - 1}) {  // header, a weight, the digest
    Bytes bad = good;
    bad[at] ^= 1;
    auto r = nn::decode_weights(bad);
    ASSERT_FALSE(r) << at;
    EXPECT_EQ(r.error().code, ErrorCode::kAuthentication) << r.error().message;
  }
  EXPECT_FALSE(nn::decode_weights(ByteView(good).first(good.size() - 100)));
  EXPECT_EQ(nn::decode_weights(as_bytes("not a weights file at all, just text........................")).error().code,
            ErrorCode::kMalformed);

  // Well-formed files for another network: a different architecture, version or tensor shape.
  nn::Weights other = w;
  other.arch = "some-gan";
  EXPECT_EQ(nn::Autoencoder::from_weights(other).error().code, ErrorCode::kVersion);
  other = w;
  other.arch_version = 2;
  EXPECT_EQ(nn::Autoencoder::from_weights(other).error().code, ErrorCode::kVersion);
  other = w;
  other.tensors[0].shape = {64, 3, 9};
  other.tensors[0].values.resize(64 * 3 * 9);
  EXPECT_EQ(nn::Autoencoder::from_weights(other).error().code, ErrorCode::kVersion);
  other = w;
  other.arch = "ae-aes-gray";  // RGB tensors under the grey name
  EXPECT_EQ(nn::Autoencoder::from_weights(other).error().code, ErrorCode::kVersion);
}

TEST(Autoencoder, EveryDecoderPathIsTheSameFunctionAsConvTranspose2d) {
  auto ae = nn::Autoencoder::fresh(3, 11);
  ASSERT_TRUE(ae);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> latent(2 * 3 * 20 * 24);
  for (float& v : latent) v = u(rng);
  ae->set_decoder_path(nn::DecoderPath::kConvTranspose2d);
  auto reference = ae->decode(latent, 2, 20, 24);
  ASSERT_TRUE(reference);
  ASSERT_EQ(reference->size(), std::size_t{2 * 3 * 40 * 48});
  EXPECT_GT(mean_abs_difference(*reference, std::vector<float>(reference->size(), 0.5f)), 1e-4);  // not a constant
  for (nn::DecoderPath path : {nn::DecoderPath::kFast, nn::DecoderPath::kFlippedConv2d}) {
    ae->set_decoder_path(path);
    auto decoded = ae->decode(latent, 2, 20, 24);
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->size(), reference->size());
    double worst = 0;
    for (std::size_t i = 0; i < decoded->size(); ++i) worst = std::max(worst, double(std::abs((*decoded)[i] - (*reference)[i])));
    EXPECT_LT(worst, 1e-5) << "path " << int(path);
  }
}

TEST(Autoencoder, BadTileShapesAreErrorsNotCrashes) {
  auto ae = nn::Autoencoder::fresh(1, 1);
  ASSERT_TRUE(ae);
  std::vector<float> tiles(1 * 1 * 15 * 16);
  EXPECT_FALSE(ae->encode(tiles, 1, 15, 16));  // odd side
  EXPECT_FALSE(ae->encode(tiles, 2, 16, 16));  // buffer too small for the count
}

// Four epochs of 30 steps on 16x16 RGB patches: seconds, and enough for the loss to fall.
nn::TrainOptions four_small_epochs() {
  nn::TrainOptions o;
  o.channels = 3;
  o.epochs = 4;
  o.batch = 4;
  o.patch = 16;
  o.steps_per_epoch = 30;
  o.learning_rate = 3e-3;
  return o;
}

TEST(Training, LossFallsAndOneThreadIsBitForBitRepeatable) {
  const auto images = smooth_images(24, 3, 32, 5);
  nn::TrainOptions o = four_small_epochs();
  o.patience = 0;
  o.threads = 1;
  std::size_t calls = 0;
  auto first = nn::train_autoencoder(images, o, [&](const nn::Progress& p) {
    ++calls;
    EXPECT_LE(p.step, p.steps);
    EXPECT_GE(p.eta_s, 0);
  });
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(calls, 120u);
  ASSERT_EQ(first->epochs.size(), 4u);
  EXPECT_LT(first->epochs.back().train_loss, 0.75 * first->epochs.front().train_loss);
  EXPECT_LT(first->best_validation_loss, 0.9 * first->epochs.front().validation_loss);
  auto second = nn::train_autoencoder(images, o);
  ASSERT_TRUE(second);
  // The same weights bit for bit (the digests differ: the training record holds the epochs' durations).
  auto values = [](const nn::Weights& w) {
    std::vector<float> all;
    for (const auto& t : w.tensors) all.insert(all.end(), t.values.begin(), t.values.end());
    return all;
  };
  EXPECT_EQ(values(first->best), values(second->best));
  o.seed = 2;
  EXPECT_NE(values(nn::train_autoencoder(images, o)->best), values(first->best));
}

// The Adamax that training uses (paper 002's optimizer) against Keras's update formula computed in
// numpy (tests/interop/adamax_reference.py): zero, tiny, negative and growing gradients, a gradient that
// vanishes after the first step (u decays, m keeps pushing), over eight steps.
TEST(Training, AdamaxFollowsKerasUpdateFormula) {
  const std::vector<float> start = {0.5f, -1.0f, 2.0f, 0.0f, 1e-3f, 3.0f};
  std::vector<std::vector<float>> gradients;
  for (int t = 0; t < 8; ++t) {
    gradients.push_back({0.1f * (t + 1), -0.3f, t == 0 ? 1.0f : 0.0f, 0.0f, 1e-8f, (t % 2 ? -2.0f : 0.5f)});
  }
  auto backend = nn::torch_backend();
  ASSERT_TRUE(backend) << backend.error().message;
  auto trace = (*backend)->adamax_trace(start, gradients, 0.01);
  ASSERT_TRUE(trace) << trace.error().message;
  ASSERT_EQ(trace->size(), gradients.size());

  nlohmann::json spec = {{"start", start}, {"gradients", gradients}, {"lr", 0.01}};
  auto r = run_command(system_python() + " " +
                       quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/interop/adamax_reference.py") + " " +
                       shell_quote(spec.dump()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::istringstream lines(r.out);
  for (std::size_t t = 0; t < gradients.size(); ++t) {
    for (std::size_t i = 0; i < start.size(); ++i) {
      double expected = 0;
      ASSERT_TRUE(lines >> expected) << r.out;
      EXPECT_NEAR((*trace)[t][i], expected, 2e-6 * std::max(1.0, std::abs(expected))) << "step " << t + 1 << " value " << i;
    }
  }
  // It moved: a dead optimizer would match the start, not the formula.
  EXPECT_GT(std::abs(trace->back()[0] - start[0]), 0.05);
}

// Paper 002's schedule: Adamax, MSE only, a fixed number of epochs (no halving, no early stop) learns.
TEST(Training, AdamaxTrainingWithAFixedScheduleLearns) {
  const auto images = smooth_images(24, 3, 32, 5);
  nn::TrainOptions o = four_small_epochs();
  o.optimizer = "adamax";
  o.ssim_weight = 0;
  o.halve_on_plateau = false;
  o.patience = 0;
  o.threads = 1;
  auto r = nn::train_autoencoder(images, o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->epochs.size(), 4u);
  EXPECT_LT(r->epochs.back().train_loss, 0.75 * r->epochs.front().train_loss);
  EXPECT_NE(r->best.training_json.find("\"optimizer\":\"adamax\""), std::string::npos);
  o.optimizer = "sgd";
  EXPECT_EQ(nn::train_autoencoder(images, o).error().code, ErrorCode::kUsage);
}

TEST(Training, EarlyStopCheckpointsAndBadOptions) {
  const auto images = smooth_images(12, 3, 24, 9);
  ScratchDir dir;
  nn::TrainOptions o;
  o.channels = 3;
  o.epochs = 50;
  o.batch = 2;
  o.patch = 16;
  o.steps_per_epoch = 1;
  o.learning_rate = 0.5;  // far too high: the validation loss stops improving at once
  o.patience = 2;
  o.threads = 1;
  o.checkpoint = dir / "ckpt.weights";
  auto r = nn::train_autoencoder(images, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->stopped_early);
  EXPECT_LT(r->epochs.size(), 50u);
  auto ckpt = nn::read_weights_file(dir / "ckpt.weights");
  ASSERT_TRUE(ckpt) << ckpt.error().message;
  EXPECT_NE(ckpt->training_json.find("\"epoch\":" + std::to_string(r->epochs.size())), std::string::npos);

  o.resume = dir / "ckpt.weights";
  o.epochs = 1;
  EXPECT_TRUE(nn::train_autoencoder(images, o));
  o.channels = 1;  // resuming RGB weights as a grey model
  EXPECT_FALSE(nn::train_autoencoder(smooth_images(12, 1, 24, 9), o));
  o.resume.clear();
  o.patch = 32;  // larger than the images
  EXPECT_EQ(nn::train_autoencoder(smooth_images(12, 1, 24, 9), o).error().code, ErrorCode::kUsage);
}

TEST(Dataset, NpzImagesMatchNumpy) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const auto npz = shared_data() / "train" / "pneumoniamnist.npz";
  nn::DatasetOptions o;
  o.sources = {npz};
  o.channels = 1;
  o.test_fraction = 0;
  auto data = nn::load_dataset(o);
  ASSERT_TRUE(data) << data.error().message;
  std::uint64_t sum = 0;
  for (const auto& img : data->train) {
    ASSERT_EQ(img.geometry().width, 28u);
    for (std::uint8_t v : img.u8()) sum += v;
  }
  auto py = run_command(system_python() + " -c \"import numpy as np; z = np.load('" + npz.string() +
                        "'); a = [z[k] for k in z.files if 'images' in k]; print(sum(len(x) for x in a), "
                        "sum(int(x.astype(np.uint64).sum()) for x in a))\"");
  ASSERT_EQ(py.exit_code, 0) << py.out;
  EXPECT_EQ(py.out, std::to_string(data->train.size()) + " " + std::to_string(sum) + "\n");
}

TEST(Dataset, SplitIsSeededDisjointAndEnlargesSmallImages) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  nn::DatasetOptions o;
  o.sources = {shared_data() / "train" / "ct_tcga_luad_128"};
  o.channels = 3;  // grey PNGs become RGB
  o.min_side = 160;
  o.test_fraction = 0.2;
  auto a = nn::load_dataset(o), b = nn::load_dataset(o);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->train.size() + a->test.size(), 90u);
  EXPECT_EQ(a->test.size(), 18u);
  EXPECT_EQ(a->test, b->test);
  EXPECT_EQ(a->train[0].geometry().samples, 3);
  EXPECT_EQ(a->train[0].geometry().width, 160u);
  for (const auto& t : a->test) {
    for (const auto& r : a->train) EXPECT_NE(t, r);
  }
  o.seed = 2;
  EXPECT_NE(nn::load_dataset(o)->test, a->test);
  o.sources = {"/nonexistent/folder"};
  EXPECT_EQ(nn::load_dataset(o).error().code, ErrorCode::kIo);
}

TEST(Noise, ParametersHoldOnAFlatImage) {
  image::Geometry g;
  g.width = g.height = 256;
  image::Image flat = image::Image::create(g).value();
  for (auto& v : flat.u8()) v = 128;
  const double x = 128.0 / 255;
  for (const auto& spec : nn::paper_noises()) {
    SCOPED_TRACE(nn::describe(spec));
    const image::Image noisy = nn::add_noise(flat, spec, 1);
    double sum = 0, sq = 0, extremes = 0;
    for (std::uint8_t v : noisy.u8()) {
      const double d = v / 255.0 - x;
      sum += d;
      sq += d * d;
      extremes += (v == 0 || v == 255);
    }
    const double n = noisy.u8().size();
    // Expected mean square of the noise: the variance (speckle: scaled by x^2; poisson: x / L).
    const double expected = spec.kind == nn::Noise::kGaussian  ? 0.01
                            : spec.kind == nn::Noise::kSpeckle ? 0.01 * x * x
                            : spec.kind == nn::Noise::kPoisson ? x / 255
                                                               : 0.05 * 0.25;  // half to 0, half to 1, from ~0.5
    EXPECT_NEAR(sq / n, expected, 0.1 * expected);
    if (spec.kind == nn::Noise::kSaltPepper) {
      EXPECT_NEAR(extremes / n, 0.05, 0.005);
    }
    EXPECT_NEAR(sum / n, 0, 0.003);
    EXPECT_EQ(nn::add_noise(flat, spec, 1), noisy);
  }
}

// The shipped models on the held-out test split they were trained beside (docs/MODELS.md has the
// commands): SSIM >= 0.95 and MSE <= 0.002 on [0, 1], the figures paper 002 reports. Every 4th test
// image, to keep the test under a minute; `medcrypt eval autoencoder` measures them all.
// The mean SSIM and MSE (on [0, 1]) of a model's round trip over every 4th image.
struct RoundTripQuality {
  double ssim = 0, mse = 0;
  int images = 0;
};
RoundTripQuality round_trip_quality(const nn::Autoencoder& model, const std::vector<image::Image>& images) {
  RoundTripQuality q;
  for (std::size_t i = 0; i < images.size(); i += 4, ++q.images) {
    const image::Image& img = images[i];
    auto decoded = nn::decode_image(model, nn::encode_image(model, img).value(), img.geometry());
    EXPECT_TRUE(decoded);
    if (!decoded) return {};
    const auto c = metrics::compare_images(img, *decoded).value();
    q.ssim += c.overall.ssim;
    q.mse += c.overall.error.mse / (double(c.max_value) * c.max_value);
  }
  if (q.images > 0) {
    q.ssim /= q.images;
    q.mse /= q.images;
  }
  return q;
}

double mean_ssim(const nn::Autoencoder& model, const std::vector<image::Image>& images) {
  return round_trip_quality(model, images).ssim;
}

void expect_quality_floor(const std::vector<std::filesystem::path>& sources, int channels) {
  nn::DatasetOptions o;
  o.sources = sources;
  o.channels = channels;
  o.min_side = 48;
  auto data = nn::load_dataset(o);
  ASSERT_TRUE(data) << data.error().message;
  auto model = nn::Autoencoder::load(schemes::ae_aes_model_path(channels));
  ASSERT_TRUE(model) << model.error().message;
  const RoundTripQuality q = round_trip_quality(*model, data->test);
  ASSERT_GT(q.images, 20);
  EXPECT_GE(q.ssim, 0.95);
  EXPECT_LE(q.mse, 0.002);
}

// Poisson at a chosen photon count: the variance of Poisson(x L) / L is x / L.
TEST(Noise, PoissonCountsSetItsVariance) {
  image::Geometry g;
  g.width = g.height = 256;
  image::Image flat = image::Image::create(g).value();
  for (auto& v : flat.u8()) v = 128;
  const double x = 128.0 / 255;
  for (double counts : {20.0, 2000.0}) {
    const image::Image noisy = nn::add_noise(flat, {nn::Noise::kPoisson, counts}, 3);
    double sq = 0;
    for (std::uint8_t v : noisy.u8()) sq += (v / 255.0 - x) * (v / 255.0 - x);
    // Plus the rounding to 8 bits (variance 1/12 of a step).
    const double expected = x / counts + 1.0 / (12 * 255.0 * 255.0);
    EXPECT_NEAR(sq / noisy.u8().size(), expected, 0.1 * expected) << counts;
  }
  EXPECT_EQ(nn::describe({nn::Noise::kPoisson, 20}), "poisson (20 counts at full scale)");
}

// Calibration finds the level whose mean noisy SSIM is the target (checked by measuring at that level),
// for a falling (gaussian) and a rising (poisson) dependence; unknown noise names are usage errors.
TEST(Noise, CalibrationHitsTheTargetSsim) {
  std::vector<image::Image> images = smooth_images(4, 3, 64, 11);
  for (auto [kind, target] : {std::pair{nn::Noise::kGaussian, 0.3}, std::pair{nn::Noise::kPoisson, 0.8},
                              std::pair{nn::Noise::kSaltPepper, 0.9}}) {
    auto spec = nn::calibrate_noise(images, kind, target, 5);
    ASSERT_TRUE(spec) << spec.error().message;
    double sum = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
      auto c = metrics::compare_images(images[i], nn::add_noise(images[i], *spec, 5 * 1000003 + i));
      ASSERT_TRUE(c);
      sum += c->overall.ssim;
    }
    EXPECT_NEAR(sum / images.size(), target, 0.01) << nn::describe(*spec);
  }
  EXPECT_EQ(nn::parse_noise("speckle").value(), nn::Noise::kSpeckle);
  EXPECT_EQ(nn::parse_noise("pink").error().code, ErrorCode::kUsage);
}

TEST(ShippedModels, RgbMeetsTheQualityFloorOnTheTestSplit) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  expect_quality_floor({shared_data() / "train" / "isic2017_256"}, 3);
}

// The held-out split of a paper model's training run (80/20, seed 1), resampled to `side` (0: as stored).
std::vector<image::Image> paper_test_split(std::vector<std::filesystem::path> sources, int channels, std::size_t limit,
                                           std::uint32_t side) {
  nn::DatasetOptions o;
  o.sources = std::move(sources);
  o.channels = channels;
  o.side = side;
  o.test_fraction = 0.2;
  o.limit = limit;
  auto data = nn::load_dataset(o);
  EXPECT_TRUE(data) << data.error().message;
  return data ? data->test : std::vector<image::Image>{};
}

// The RGB models on the 40 held-out photographs of ae-aes:paper's fundus split (the first 200 IDRiD
// images, 80/20), which no RGB model trained on. The tuned ae-aes (fine-tuned on the 160 others) meets
// the issue's floor of 0.93 through the scheme's own path (224x224 tiles of the stored 256x256
// photographs); ae-aes:paper (paper 002's network and training) meets it with both latents measured as
// the paper does (resampled to 224x224), and both paper latents stay below the tuned model as stored
// (docs/MODELS.md has the figures).
TEST(ShippedModels, RgbModelsLearnedFundusPhotographs) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const std::vector<std::filesystem::path> idrid = {shared_data() / "train" / "idrid_dr_grading"};
  const std::vector<image::Image> resampled = paper_test_split(idrid, 3, 200, 224);
  const std::vector<image::Image> stored = paper_test_split(idrid, 3, 200, 0);
  ASSERT_EQ(resampled.size(), 40u);
  ASSERT_EQ(stored.size(), 40u);
  auto dense3 = nn::Autoencoder::load(schemes::ae_aes_model_path(3, nn::AeVariant::kPaper));
  auto features = nn::Autoencoder::load(schemes::ae_aes_model_path(3, nn::AeVariant::kPaperFeatures));
  auto tuned = nn::Autoencoder::load(schemes::ae_aes_model_path(3));
  ASSERT_TRUE(dense3 && features && tuned);
  EXPECT_EQ(dense3->arch(), "ae-aes-paper-rgb");
  EXPECT_EQ(dense3->latent_channels(), 3);
  EXPECT_EQ(features->arch(), "ae-aes-paper32-rgb");
  EXPECT_EQ(features->latent_channels(), 32);

  EXPECT_GE(mean_ssim(*features, resampled), 0.93);
  EXPECT_GE(mean_ssim(*dense3, resampled), 0.93);
  const double tuned_ssim = mean_ssim(*tuned, stored);
  EXPECT_GE(tuned_ssim, 0.93);
  EXPECT_GT(tuned_ssim, mean_ssim(*features, stored) + 0.03);
  EXPECT_GT(tuned_ssim, mean_ssim(*dense3, stored) + 0.03);
}

// ae-aes:paper's grey models (trained on 90 CT slices and 160 brain MR slices, 80/20) on their own
// held-out 50, resampled to 224x224 as the paper measures and as stored (128x128 CT, 512x512 MR, through
// the scheme's tiles): the issue's floor of 0.90 for both latents.
TEST(ShippedModels, PaperGreyModelsLearnedCtAndMr) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const std::vector<std::filesystem::path> sources = {shared_data() / "train" / "ct_tcga_luad_128",
                                                      shared_data() / "train" / "brain_tumor_figshare" / "images"};
  const std::vector<image::Image> resampled = paper_test_split(sources, 1, 250, 224);
  const std::vector<image::Image> stored = paper_test_split(sources, 1, 250, 0);
  ASSERT_EQ(resampled.size(), 50u);
  for (nn::AeVariant variant : {nn::AeVariant::kPaper, nn::AeVariant::kPaperFeatures}) {
    auto model = nn::Autoencoder::load(schemes::ae_aes_model_path(1, variant));
    ASSERT_TRUE(model) << model.error().message;
    SCOPED_TRACE(model->arch());
    EXPECT_GE(mean_ssim(*model, resampled), 0.90);
    EXPECT_GE(mean_ssim(*model, stored), 0.90);
  }
}

// The scheme ae-aes:paper: grey and RGB images round-trip with their geometry and the paper models'
// quality, in both latents (the payload sizes are the latents'); without the models a scheme can still be
// named but refuses an image with one line, and a container naming a model that is not installed is
// refused.
TEST(AeAesPaperScheme, RoundTripAndMissingModelsAreClear) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const schemes::SchemeKey key{SecretBytes(32), Bytes(16, 1)};
  auto retina = image::read_image_file(shared_data() / "png" / "retina_512.png");
  auto grey = image::read_image_file(shared_data() / "png" / "CT1_chest_512.png");
  ASSERT_TRUE(retina && grey);
  struct Case {
    const char* latent;
    std::size_t channels;
  };
  for (const Case& c : {Case{"dense3", 3}, Case{"features", 32}}) {
    SCOPED_TRACE(c.latent);
    auto scheme = schemes::builtin_registry().create("ae-aes:paper", {{"latent", c.latent}});
    ASSERT_TRUE(scheme) << scheme.error().message;
    EXPECT_NE((*scheme)->params().find(std::string("latent=") + c.latent), std::string::npos) << (*scheme)->params();
    EXPECT_EQ((*scheme)->params().find("none"), std::string::npos) << (*scheme)->params();
    for (const image::Image* img : {&retina->image, &grey->image}) {
      auto payload = (*scheme)->encode(*img, key);
      ASSERT_TRUE(payload) << payload.error().message;
      EXPECT_EQ(payload->bytes().size(), 9u * c.channels * 112 * 112 * 4);  // 3x3 tiles of 512x512, float32
      auto back = (*scheme)->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), img->geometry(), key);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(back->geometry(), img->geometry());
      EXPECT_GT(metrics::compare_images(*img, *back).value().overall.ssim, 0.8);  // quality floors: ShippedModels above
    }
  }
  EXPECT_EQ(schemes::builtin_registry().create("ae-aes:paper", {{"latent", "f16"}}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(schemes::builtin_registry().create("ae-aes:paper", {{"gray", std::string(64, 'a')}}).error().code,
            ErrorCode::kVersion);

  ScratchDir empty;
  ::setenv("MEDCRYPT_MODELS", empty.path().c_str(), 1);
  auto bare = schemes::builtin_registry().create("ae-aes:paper");
  auto refused = bare ? (*bare)->encode(grey->image, key) : Result<schemes::Payload>(bare.error());
  auto container = schemes::builtin_registry().create("ae-aes:paper", {{"rgb", std::string(64, 'b')}});
  ::unsetenv("MEDCRYPT_MODELS");
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_NE((*bare)->params().find("gray=none;latent=dense3;rgb=none"), std::string::npos) << (*bare)->params();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("no grey model is installed"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find('\n'), std::string::npos);
  ASSERT_FALSE(container);
  EXPECT_EQ(container.error().code, ErrorCode::kVersion);
}

TEST(ShippedModels, GreyMeetsTheQualityFloorOnTheTestSplit) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  expect_quality_floor({shared_data() / "train" / "ct_tcga_luad_128", shared_data() / "train" / "pneumoniamnist.npz"}, 1);
}

TEST(AeAesScheme, GeometryBitsAndSignRestoredForEveryKindOfImage) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto scheme = schemes::builtin_registry().create("ae-aes");
  ASSERT_TRUE(scheme) << scheme.error().message;
  EXPECT_FALSE((*scheme)->info().lossless);
  schemes::SchemeKey key;
  // 16-bit signed CT (512x512: 3x3 overlapping tiles), 8-bit RGB fundus, a 64x64 MR (padded tile), 2 frames.
  for (const char* name : {"dicom/CT1_UNC.explicit_little_endian.dcm", "png/retina_512.png", "dicom/MR_small.dcm",
                           "png/CT1_chest_512.png", "dicom/CT0012.not_fragmented_bot_rle.dcm"}) {
    SCOPED_TRACE(name);
    auto loaded = image::read_image_file(shared_data() / name);
    ASSERT_TRUE(loaded);
    const image::Image& img = loaded->image;
    auto payload = (*scheme)->encode(img, key);
    ASSERT_TRUE(payload) << payload.error().message;
    EXPECT_EQ(payload->bytes().size(), (*scheme)->payload_size(img.geometry()));
    auto decoded = (*scheme)->decode(PixelBytes(payload->bytes().begin(), payload->bytes().end()), img.geometry(), key);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->geometry(), img.geometry());
    auto c = metrics::compare_images(img, *decoded).value();
    EXPECT_GT(c.overall.ssim, 0.5);  // an approximation of this image, not noise
    EXPECT_LT(c.overall.ssim, 1.0);  // and lossy
  }
}

TEST(AeAesScheme, Float16HalvesTheLatentAndModelsAreCheckedAndPaletteRefused) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto f32 = schemes::builtin_registry().create("ae-aes");
  auto f16 = schemes::builtin_registry().create("ae-aes", {{"latent", "f16"}});
  ASSERT_TRUE(f32 && f16);
  auto img = image::read_image_file(shared_data() / "png" / "retina_512.png")->image;
  EXPECT_EQ((*f32)->payload_size(img.geometry()), 9u * 3 * 112 * 112 * 4);
  EXPECT_EQ((*f16)->payload_size(img.geometry()), 9u * 3 * 112 * 112 * 2);
  auto a = (*f32)->encode(img, {}), b = (*f16)->encode(img, {});
  ASSERT_TRUE(a && b);
  auto da = (*f32)->decode(PixelBytes(a->bytes().begin(), a->bytes().end()), img.geometry(), {});
  auto db = (*f16)->decode(PixelBytes(b->bytes().begin(), b->bytes().end()), img.geometry(), {});
  ASSERT_TRUE(da && db);
  EXPECT_NEAR(metrics::compare_images(img, *da)->overall.ssim, metrics::compare_images(img, *db)->overall.ssim, 0.005);

  // The header names the models; a container made with other weights does not open with these.
  auto params = schemes::parse_params((*f32)->params()).value();
  EXPECT_EQ(params.at("rgb").size(), 64u);
  params["rgb"] = std::string(64, '0');
  auto other = schemes::builtin_registry().create("ae-aes", params);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kVersion);
  EXPECT_EQ(schemes::builtin_registry().create("ae-aes", {{"latent", "f8"}}).error().code, ErrorCode::kUsage);

  auto palette = image::read_image_file(shared_data() / "dicom" / "US-PAL-8-10x-echo.dcm");
  ASSERT_TRUE(palette);
  EXPECT_EQ((*f32)->encode(palette->image, {}).error().code, ErrorCode::kUnsupported);
  // A payload of the wrong size is refused, not decoded.
  EXPECT_EQ((*f32)->decode(PixelBytes(100, 0), img.geometry(), {}).error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace medcrypt::test
