// The diagnostic classifier (nn/classifier.hpp) and `eval utility` (analysis/utility.hpp): the sets'
// patient-disjoint splits checked against labels.csv read here; a tiny network trained for a few epochs
// that beats chance on held-out images by a stated margin; refusals of images and weights; and the
// utility study, where lossless schemes give identical predictions and a lossy one does not give
// identical images.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "analysis/utility.hpp"
#include "core/file_io.hpp"
#include "image/image_file.hpp"
#include "nn/classifier_eval.hpp"
#include "schemes/scheme.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::filesystem::path kPneumonia = "train/kermany_pneumonia_cxr";

// column name -> value, per row, read with no help from medcrypt.
std::vector<std::map<std::string, std::string>> read_labels(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream h(line);
  for (std::string cell; std::getline(h, cell, ',');) header.push_back(cell);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    std::stringstream r(line);
    std::map<std::string, std::string> row;
    std::size_t i = 0;
    for (std::string cell; std::getline(r, cell, ',') && i < header.size(); ++i) row[header[i]] = cell;
    rows.push_back(row);
  }
  return rows;
}

// A network trained for a few epochs at 32x32 on a sample of the paediatric pneumonia set (once per run).
struct Tiny {
  nn::ClassSet set;
  std::optional<nn::ClassifierModel> model;
};
const Tiny& tiny() {
  static const Tiny t = [] {
    Tiny out;
    nn::ClassSetOptions o;
    o.folder = shared_data() / kPneumonia;
    o.limit = 300;
    out.set = nn::load_class_set(o).value();
    nn::ClassifierTrainOptions to;
    to.config = nn::ClassifierConfig{"resnet", "pneumonia", out.set.classes, out.set.channels, 32, 8};
    to.epochs = 8;
    to.threads = 2;
    auto samples = nn::classifier_samples(out.set.train, out.set.channels, 32).value();
    auto report = nn::train_classifier(samples, to).value();
    out.model = nn::ClassifierModel::from_weights(report.best).value();
    return out;
  }();
  return t;
}

TEST(ClassifierData, PneumoniaSplitKeepsEveryPatientOnOneSide) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  nn::ClassSetOptions o;
  o.folder = shared_data() / kPneumonia;
  auto set = nn::load_class_set(o);
  ASSERT_TRUE(set) << set.error().message;
  std::map<std::string, std::string> patient_of;
  std::map<std::string, int> label_of;
  const auto rows = read_labels(o.folder / "labels.csv");
  for (const auto& row : rows) {
    patient_of[row.at("file")] = row.at("patient_key");
    label_of[row.at("file")] = std::stoi(row.at("label"));
  }
  std::set<std::string> train_patients;
  for (const auto& e : set->train) {
    train_patients.insert(patient_of.at(e.file));
    EXPECT_EQ(e.label, label_of.at(e.file));
  }
  for (const auto& e : set->test) EXPECT_FALSE(train_patients.contains(patient_of.at(e.file))) << e.file;
  EXPECT_EQ(set->train.size() + set->test.size(), rows.size());
  EXPECT_NEAR(double(set->test.size()) / rows.size(), 0.2, 0.05);
  EXPECT_EQ(set->classes, (std::vector<std::string>{"normal", "pneumonia"}));
}

TEST(ClassifierData, BrainSetHoldsOutItsFold) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  nn::ClassSetOptions o;
  o.folder = shared_data() / "train/brain_tumor_figshare";
  auto set = nn::load_class_set(o);
  ASSERT_TRUE(set) << set.error().message;
  std::map<std::string, std::string> fold_of;
  for (const auto& row : read_labels(o.folder / "labels.csv")) fold_of[row.at("file")] = row.at("cv_fold");
  for (const auto& e : set->test) EXPECT_EQ(fold_of.at(e.file), "4");
  for (const auto& e : set->train) EXPECT_NE(fold_of.at(e.file), "4");
  EXPECT_EQ(set->classes, (std::vector<std::string>{"meningioma", "glioma", "pituitary"}));
}

TEST(ClassifierData, RefusesAFolderThatIsNotALabelledSet) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  nn::ClassSetOptions o;
  o.folder = dir.path();
  EXPECT_FALSE(nn::load_class_set(o));
  std::filesystem::create_directories(dir / "images");
  std::ofstream(dir / "labels.csv") << "file,label\na.png,x\n";
  auto set = nn::load_class_set(o);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("not an integer"), std::string::npos) << set.error().message;
  // A name that leads out of images/ is refused, although the file it names is a real image.
  std::filesystem::copy_file(shared_data() / "png/CT1_chest_512.png", dir / "a.png");
  std::filesystem::copy_file(shared_data() / "png/CT1_chest_512.png", dir / "images/b.png");
  std::ofstream(dir / "labels.csv") << "file,label\n../a.png,0\nb.png,1\n";
  set = nn::load_class_set(o);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("is not a file name"), std::string::npos) << set.error().message;
  // So is a link inside images/ that points out of it.
  std::filesystem::create_symlink(dir / "a.png", dir / "images/c.png");
  std::ofstream(dir / "labels.csv") << "file,label\nc.png,0\nb.png,1\n";
  set = nn::load_class_set(o);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("leads out of"), std::string::npos) << set.error().message;
}

TEST(Classifier, TinyNetworkBeatsChanceOnHeldOutImages) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const Tiny& t = tiny();
  ASSERT_GE(t.set.test.size(), 200u);
  auto study = nn::study_classifier(*t.model, t.set, nn::BaselineOptions{32, 20, 1, 2});
  ASSERT_TRUE(study) << study.error().message;
  const auto& net = study->models[0].figures;
  const auto& majority = study->models[1].figures;
  std::printf("tiny network on %zu held-out images: accuracy %.4f, ROC AUC %.4f, MAP %.4f\n", t.set.test.size(), net.accuracy,
              net.roc_auc, net.mean_average_precision);
  // Balanced classes: chance is 0.5. After 8 epochs on 255 images the network reached 0.874 accuracy
  // and 0.960 AUC on the 254 held-out patients' images (5 epochs: 0.776 and 0.898); the floors leave
  // room for thread-order noise.
  EXPECT_GE(net.accuracy, 0.75);
  EXPECT_GE(net.roc_auc, 0.85);
  EXPECT_GE(net.accuracy, majority.accuracy + 0.2);
  EXPECT_NEAR(majority.roc_auc, 0.5, 1e-12);
}

TEST(Classifier, BatchAndSingleImageAgree) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const Tiny& t = tiny();
  const std::vector<nn::ClassExample> some(t.set.test.begin(), t.set.test.begin() + 5);
  auto batch = nn::classify_all(*t.model, some);
  ASSERT_TRUE(batch);
  for (std::size_t i = 0; i < some.size(); ++i) {
    auto one = t.model->classify(some[i].image);
    ASSERT_TRUE(one);
    ASSERT_EQ(one->size(), 2u);
    EXPECT_NEAR((*one)[0] + (*one)[1], 1.0, 1e-6);
    for (int k = 0; k < 2; ++k) EXPECT_NEAR((*one)[k], (*batch)[i * 2 + k], 1e-6);
  }
}

TEST(Classifier, RefusesImagesItCannotTake) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const Tiny& t = tiny();
  auto palette = image::read_image_file(shared_data() / "dicom/US-PAL-8-10x-echo.dcm");
  ASSERT_TRUE(palette);
  auto r = t.model->classify(palette->image);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  image::Geometry g;
  g.width = g.height = 4;
  EXPECT_FALSE(t.model->classify(image::Image::create(g).value()));
}

TEST(Classifier, RefusesWeightsOfAnotherNetworkOrShape) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto roi = nn::ClassifierModel::load(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models/roi-lung.weights");
  ASSERT_FALSE(roi);
  EXPECT_EQ(roi.error().code, ErrorCode::kVersion);
  EXPECT_NE(roi.error().message.find("roi-unet"), std::string::npos) << roi.error().message;
  // A classifier record that promises another input side: the tensors no longer fit.
  const Tiny& t = tiny();
  nn::ClassifierConfig other = t.model->config();
  other.side = 64;
  other.arch = "logistic";
  nn::ClassifierTrainOptions to;
  to.config = t.model->config();
  to.config.arch = "logistic";
  to.epochs = 1;
  auto samples = nn::classifier_samples(std::vector<nn::ClassExample>(t.set.train.begin(), t.set.train.begin() + 40), 1, 32).value();
  auto report = nn::train_classifier(samples, to);
  ASSERT_TRUE(report) << report.error().message;
  auto wrong = nn::with_classifier_description(report->best, other);
  ASSERT_TRUE(wrong);
  auto loaded = nn::ClassifierModel::from_weights(*wrong);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("wrong shape"), std::string::npos) << loaded.error().message;
}

TEST(Utility, LosslessSchemesGiveIdenticalPredictionsAndALossyOneDoesNot) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const Tiny& t = tiny();
  nn::ClassSet small = t.set;
  small.test.resize(8);
  analysis::UtilityOptions o;
  o.runs = analysis::utility_runs({"aead", "chaos-henon", "chaos-henon:paper", "zigzag-gan", "ae-aes"}, {},
                                  schemes::builtin_registry())
               .value();
  o.threads = 2;
  auto report = analysis::evaluate_utility(*t.model, small, o, schemes::builtin_registry());
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->runs.size(), 5u);
  for (const auto& run : report->runs) {
    ASSERT_TRUE(run.error.empty()) << run.spec.label() << ": " << run.error;
    if (run.spec.scheme == "ae-aes") {
      EXPECT_FALSE(run.lossless);
      EXPECT_EQ(run.identical, 0u);  // the autoencoder does not rebuild an X-ray sample for sample
      EXPECT_GT(run.mean_psnr, 25.0);
      continue;
    }
    EXPECT_TRUE(run.lossless) << run.spec.label();
    EXPECT_EQ(run.identical, small.test.size()) << run.spec.label();
    EXPECT_EQ(run.changed, 0.0) << run.spec.label();
    for (std::size_t i = 0; i < small.test.size(); ++i) EXPECT_EQ(run.scores[i], report->scores[i]) << run.spec.label();
    EXPECT_EQ(run.figures.accuracy, report->figures.accuracy);
  }
  // The JSON holds what the figures come from.
  const nlohmann::json j = nlohmann::json::parse(analysis::utility_json(*report));
  ASSERT_EQ(j["images"].size(), small.test.size());
  EXPECT_EQ(j["runs"][0]["images"][0]["scores"].size(), 2u);
  EXPECT_EQ(j["images"][3]["label"].get<int>(), small.test[3].label);
}

TEST(Utility, RefusesAControlSchemeAndBadParameters) {
  const auto& registry = schemes::builtin_registry();
  EXPECT_FALSE(analysis::utility_runs({"demo-weak"}, {}, registry));
  EXPECT_FALSE(analysis::utility_runs({"zigzag-gan[speckle=0.04"}, {}, registry));
  EXPECT_FALSE(analysis::utility_runs({"no-such-scheme"}, {}, registry));
  auto runs = analysis::utility_runs({"aead", "ae-aes"}, {nn::NoiseSpec{nn::Noise::kGaussian, 0.01}}, registry);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 4u);  // aead, ae-aes, the noise alone, ae-aes with the noise
  EXPECT_EQ((*runs)[2].label(), "no encryption + gaussian (variance 0.01)");
  EXPECT_EQ((*runs)[3].scheme, "ae-aes");
}

}  // namespace
}  // namespace medcrypt::test
