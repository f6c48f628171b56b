// Paper 000's ROI network: overlap measures, Otsu and the classical baseline on images whose answer is
// known, the patient-disjoint splits, the weights' kind and refusals, a tiny network that learns lung
// fields from a few real X-rays (held-out Dice above a trivial mask), and the shipped networks against the
// issue's floor on their held-out splits.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "image/image_file.hpp"
#include "nn/autoencoder.hpp"
#include "nn/roi.hpp"
#include "nn/roi_data.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

image::Image grey(std::uint32_t w, std::uint32_t h, const std::function<std::uint32_t(std::uint32_t, std::uint32_t)>& f) {
  image::Geometry g;
  g.width = w;
  g.height = h;
  image::Image img = image::Image::create(g).value();
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) img.set_word(std::size_t{y} * w + x, f(x, y));
  }
  return img;
}

bool in_ellipse(double x, double y, double cx, double cy, double rx, double ry) {
  return (x - cx) * (x - cx) / (rx * rx) + (y - cy) * (y - cy) / (ry * ry) <= 1;
}

TEST(RoiData, OverlapMeasures) {
  const std::vector<std::uint8_t> a = {1, 1, 0, 0}, b = {1, 0, 1, 0}, none = {0, 0, 0, 0};
  EXPECT_DOUBLE_EQ(nn::overlap(a, a).dice, 1.0);
  EXPECT_DOUBLE_EQ(nn::overlap(a, b).dice, 0.5);
  EXPECT_DOUBLE_EQ(nn::overlap(a, b).iou, 1.0 / 3);
  EXPECT_DOUBLE_EQ(nn::overlap(a, none).dice, 0.0);
  EXPECT_DOUBLE_EQ(nn::overlap(none, none).dice, 1.0);
}

TEST(RoiData, OtsuSplitsTwoModes) {
  std::vector<std::uint8_t> v;
  for (int i = 0; i < 500; ++i) v.push_back(static_cast<std::uint8_t>(40 + i % 11));
  for (int i = 0; i < 300; ++i) v.push_back(static_cast<std::uint8_t>(190 + i % 13));
  const int t = nn::otsu_threshold(v);
  EXPECT_GE(t, 50);
  EXPECT_LT(t, 190);
  // Restricted to the bright mode it splits that mode instead.
  std::vector<std::uint8_t> within(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) within[i] = v[i] > t;
  EXPECT_GE(nn::otsu_threshold(v, within), 190);
}

// A "chest": dark air around a bright body holding two dark lungs; the baseline must find the lungs.
TEST(RoiData, LungBaselineFindsTwoDarkRegionsInsideTheBody) {
  const auto lung = [](double x, double y) { return in_ellipse(x, y, 40, 50, 14, 25) || in_ellipse(x, y, 88, 50, 14, 25); };
  const image::Image img = grey(128, 100, [&](std::uint32_t x, std::uint32_t y) -> std::uint32_t {
    if (!in_ellipse(x, y, 64, 50, 58, 46)) return 10;
    return lung(x, y) ? 30 : 200;
  });
  auto bits = nn::baseline_roi(img, nn::kRoiKindLung);
  ASSERT_TRUE(bits) << bits.error().message;
  std::vector<std::uint8_t> truth(bits->size());
  for (std::size_t i = 0; i < truth.size(); ++i) truth[i] = lung(double(i % 128), double(i / 128));
  EXPECT_DOUBLE_EQ(nn::overlap(*bits, truth).dice, 1.0);
  EXPECT_FALSE(nn::baseline_roi(img, "retina"));
}

TEST(RoiData, BrainBaselineFindsTheBrightestBlobInsideTheHeadNotTheScalp) {
  const auto tumour = [](double x, double y) { return in_ellipse(x, y, 70, 40, 10, 8); };
  const image::Image img = grey(128, 128, [&](std::uint32_t x, std::uint32_t y) -> std::uint32_t {
    if (!in_ellipse(x, y, 64, 64, 55, 60)) return 5;
    if (!in_ellipse(x, y, 64, 64, 50, 55)) return 255;  // the scalp: a bright ring larger than the tumour
    if (tumour(x, y)) return 250;
    return (x / 4 + y / 4) % 2 ? 110 : 140;  // brain texture
  });
  auto bits = nn::baseline_roi(img, nn::kRoiKindBrainTumour);
  ASSERT_TRUE(bits) << bits.error().message;
  std::vector<std::uint8_t> truth(bits->size());
  for (std::size_t i = 0; i < truth.size(); ++i) truth[i] = tumour(double(i % 128), double(i / 128));
  EXPECT_DOUBLE_EQ(nn::overlap(*bits, truth).dice, 1.0);
}

// A set with labels.csv folds: the test split is exactly the fold asked for; without folds, a seeded share.
TEST(RoiData, SplitsAreByFoldOrSeededShare) {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "images");
  std::filesystem::create_directories(dir / "masks");
  std::ofstream csv(dir / "labels.csv");
  csv << "file,label,cv_fold\n";
  for (int i = 0; i < 10; ++i) {
    const std::string name = "im" + std::to_string(i) + ".png";
    const image::Image img = grey(16, 16, [&](std::uint32_t x, std::uint32_t) { return x * 10 + i; });
    ASSERT_TRUE(image::write_image_file(dir / "images" / name, img, image::FileFormat::kPng));
    ASSERT_TRUE(image::write_image_file(dir / "masks" / name, grey(16, 16, [](std::uint32_t x, std::uint32_t) { return x < 8 ? 255u : 0u; }),
                                        image::FileFormat::kPng));
    csv << name << ",1," << (i % 4 + 1) << "\n";
  }
  csv.close();
  nn::RoiSetOptions o;
  o.folder = dir.path();
  o.test_fold = 2;
  auto set = nn::load_roi_set(o);
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->test.size(), 3u);  // im1, im5, im9
  EXPECT_EQ(set->test[0].file, "im1.png");
  EXPECT_EQ(set->test[2].file, "im9.png");
  EXPECT_EQ(set->train.size(), 7u);
  // Without labels.csv: a seeded 30%, the same for the same seed, disjoint from training.
  std::filesystem::remove(dir / "labels.csv");
  o.test_fraction = 0.3;
  auto a = nn::load_roi_set(o), b = nn::load_roi_set(o);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->test.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(a->test[i].file, b->test[i].file);
  for (const auto& t : a->test) {
    for (const auto& r : a->train) EXPECT_NE(t.file, r.file);
  }
  o.folder = dir / "missing";
  EXPECT_FALSE(nn::load_roi_set(o));
}

TEST(RoiModel, WeightsCarryTheKindAndForeignInputIsRefused) {
  auto model = nn::RoiModel::fresh({"lung", 32, 8}, 3);
  ASSERT_TRUE(model) << model.error().message;
  const image::Image img = grey(40, 24, [](std::uint32_t x, std::uint32_t y) { return (x * 7 + y * 3) % 256; });
  auto mask = model->predict(img);
  ASSERT_TRUE(mask) << mask.error().message;
  EXPECT_EQ(mask->width, 40u);
  EXPECT_EQ(mask->height, 24u);
  EXPECT_EQ(mask->mask.size(), 40u * 24u);

  // Through a weights file (one training step's): the record names the kind and the side.
  auto trained = nn::train_roi({nn::RoiSample{std::vector<float>(32 * 32, 0.f), std::vector<float>(32 * 32, 1.f)},
                                nn::RoiSample{std::vector<float>(32 * 32, 1.f), std::vector<float>(32 * 32, 0.f)}},
                               [] {
                                 nn::RoiTrainOptions options;
                                 options.config = {"lung", 32, 8};
                                 options.epochs = 1;
                                 options.batch = 1;
                                 options.validation_fraction = 0.5;
                                 options.threads = 1;
                                 return options;
                               }());
  ASSERT_TRUE(trained) << trained.error().message;
  nn::Weights w = trained->best;
  const Bytes bytes = nn::encode_weights(w).value();
  auto back = nn::decode_weights(bytes);
  ASSERT_TRUE(back);
  auto loaded = nn::RoiModel::from_weights(*back);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->kind(), "lung");
  EXPECT_EQ(loaded->config().side, 32);
  EXPECT_EQ(loaded->digest_hex(), w.digest_hex);

  // Another kind than the network's: refused, so the planner can fall back.
  auto other = loaded->predict(img, nn::kRoiKindBrainTumour);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kUnsupported);
  EXPECT_TRUE(loaded->predict(img, nn::kRoiKindLung));
  // RGB and multi-frame images are not grey single frames.
  image::Geometry rgb;
  rgb.width = rgb.height = 32;
  rgb.samples = 3;
  rgb.photometric = "RGB";
  auto refused = loaded->predict(image::Image::create(rgb).value());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  image::Geometry frames;
  frames.width = frames.height = 32;
  frames.frames = 2;
  EXPECT_FALSE(loaded->predict(image::Image::create(frames).value()));

  // An autoencoder's weights, or ROI weights without the description, are not an ROI network.
  auto ae = nn::Autoencoder::fresh(1, 1);
  ASSERT_TRUE(ae);
  auto foreign = nn::RoiModel::from_weights(ae->weights());
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kVersion);
  nn::Weights bare = w;
  bare.training_json = "{}";
  EXPECT_FALSE(nn::RoiModel::from_weights(bare));
  // No shipped network for an unknown kind.
  auto none = nn::predict_roi(img, "retina");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kUnsupported);
}

// A tiny network (64x64, 8 base channels) trained for a few seconds on 24 real chest X-rays must beat
// the better of the all-lung and no-lung masks on held-out X-rays it never saw.
TEST(RoiTraining, TinyNetworkLearnsLungFieldsOnHeldOutImages) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  nn::RoiSetOptions so;
  so.folder = shared_data() / "train" / "montgomery_lung_cxr";
  so.limit = 24;
  auto set = nn::load_roi_set(so);
  ASSERT_TRUE(set) << set.error().message;
  set->test.resize(8);
  auto samples = nn::roi_samples(set->train, 64);
  ASSERT_TRUE(samples);
  nn::RoiTrainOptions o;
  o.config = {"lung", 64, 8};
  o.epochs = 8;
  o.batch = 8;
  o.learning_rate = 5e-3;
  o.threads = 1;
  auto report = nn::train_roi(*samples, o);
  ASSERT_TRUE(report) << report.error().message;
  auto model = nn::RoiModel::from_weights(report->best);
  ASSERT_TRUE(model) << model.error().message;
  auto ev = nn::evaluate_roi(*model, set->test);
  ASSERT_TRUE(ev) << ev.error().message;
  double all_ones = 0;
  for (const auto& e : set->test) {
    const std::vector<std::uint8_t> truth = nn::mask_bits(e.mask);
    all_ones += nn::overlap(std::vector<std::uint8_t>(truth.size(), 1), truth).dice;
  }
  all_ones /= set->test.size();
  EXPECT_GT(ev->network.dice, all_ones + 0.15) << "all-ones Dice " << all_ones;
  RecordProperty("held_out_dice", std::to_string(ev->network.dice));
  RecordProperty("all_ones_dice", std::to_string(all_ones));
}

// The shipped networks on their recorded held-out split.
nn::RoiEvaluation shipped(const std::string& kind, const std::string& folder, std::size_t limit) {
  auto model = nn::RoiModel::load(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models" / ("roi-" + kind + ".weights"));
  EXPECT_TRUE(model) << model.error().message;
  if (!model) return {};
  EXPECT_EQ(model->kind(), kind);
  nn::RoiSetOptions so;
  so.folder = shared_data() / "train" / folder;
  const auto record = nlohmann::json::parse(model->training_json());
  so.test_fold = record["split"]["test_fold"];
  so.test_fraction = record["split"]["test_fraction"];
  so.seed = record["split"]["seed"];
  so.limit = limit;
  auto set = nn::load_roi_set(so);
  EXPECT_TRUE(set) << set.error().message;
  if (!set) return {};
  auto ev = nn::evaluate_roi(*model, set->test);
  EXPECT_TRUE(ev) << ev.error().message;
  return ev ? *ev : nn::RoiEvaluation{};
}

TEST(RoiShipped, LungNetworkReachesTheFloorOnTheHeldOutSplit) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const nn::RoiEvaluation ev = shipped("lung", "montgomery_lung_cxr", 0);
  EXPECT_EQ(ev.images.size(), 23u);
  EXPECT_GE(ev.network.dice, 0.90);
  EXPECT_GT(ev.network.dice, ev.baseline.dice);
}

TEST(RoiShipped, BrainTumourNetworkBeatsTheBaselineOnHeldOutPatients) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const nn::RoiEvaluation ev = shipped("brain-tumour", "brain_tumor_figshare", 32);  // the fold's first 32
  EXPECT_EQ(ev.images.size(), 32u);
  EXPECT_GT(ev.network.dice, ev.baseline.dice + 0.1);
}

}  // namespace
}  // namespace medcrypt::test
