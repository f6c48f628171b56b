#include "nn/classifier_data.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "image/image_file.hpp"
#include "nn/csv_table.hpp"

namespace medcrypt::nn {
namespace {

Result<int> parse_label(const std::string& cell, const std::string& where) {
  std::size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != cell.size()) return make_error(ErrorCode::kInvalidImage, where + ": label '" + cell + "' is not an integer");
  return value;
}

// A seeded share of the keys, by key so that every image of one key lands on the same side.
std::set<std::string> seeded_share(std::vector<std::string> keys, double fraction, std::uint64_t seed) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::mt19937_64 rng(seed);
  std::shuffle(keys.begin(), keys.end(), rng);
  const auto n = static_cast<std::size_t>(std::lround(fraction * double(keys.size())));
  return std::set<std::string>(keys.begin(), keys.begin() + std::min(n, keys.size()));
}

}  // namespace

Result<ClassSet> load_class_set(const ClassSetOptions& o) {
  const auto images_dir = o.folder / "images", csv_path = o.folder / "labels.csv";
  if (!std::filesystem::is_directory(images_dir) || !std::filesystem::is_regular_file(csv_path)) {
    return make_error(ErrorCode::kIo, o.folder.string() + ": not a labelled set (needs images/ and labels.csv)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(CsvTable csv, read_csv_table(csv_path));
  const std::string where = csv_path.string();
  if (!csv.has("file")) return make_error(ErrorCode::kInvalidImage, where + " has no file column");
  ClassSet set;
  set.label_column = o.label_column;
  if (set.label_column.empty()) {
    for (const char* name : {"label", "dr_grade", "tb_label"}) {
      if (csv.has(name)) {
        set.label_column = name;
        break;
      }
    }
  }
  if (!csv.has(set.label_column)) {
    return make_error(ErrorCode::kUsage, where + " has no label column (label, dr_grade or tb_label, or the one named)");
  }
  if (csv.rows.empty()) return make_error(ErrorCode::kIo, where + ": no images");
  const std::size_t file_col = csv.column("file"), label_col = csv.column(set.label_column);

  // Classes: the distinct label values, sorted; names from label_name where the table has one.
  std::map<int, std::string> names;
  std::vector<int> values;
  for (const auto& row : csv.rows) {
    MEDCRYPT_ASSIGN_OR_RETURN(int v, parse_label(row[label_col], where));
    values.push_back(v);
    const std::string name = csv.has("label_name") ? row[csv.column("label_name")] : set.label_column + " " + row[label_col];
    auto [it, fresh] = names.emplace(v, name);
    if (!fresh && it->second != name) return make_error(ErrorCode::kInvalidImage, where + ": label " + std::to_string(v) + " has two names");
  }
  if (names.size() < 2) return make_error(ErrorCode::kUsage, where + ": a classifier needs at least two classes");
  std::map<int, int> index;
  for (const auto& [v, name] : names) {
    index.emplace(v, static_cast<int>(set.classes.size()));
    set.classes.push_back(name);
  }

  std::vector<bool> is_test(csv.rows.size(), false);
  const auto fraction_ok = o.test_fraction > 0 && o.test_fraction < 1;
  if (csv.has("cv_fold")) {
    for (std::size_t i = 0; i < csv.rows.size(); ++i) is_test[i] = std::atoi(csv.rows[i][csv.column("cv_fold")].c_str()) == o.test_fold;
    set.split = "test = cv_fold " + std::to_string(o.test_fold) + " (patient-wise folds of labels.csv)";
  } else if (csv.has("patient_key")) {
    if (!fraction_ok) return make_error(ErrorCode::kUsage, "the test fraction must lie in (0, 1)");
    std::vector<std::string> patients;
    for (const auto& row : csv.rows) patients.push_back(row[csv.column("patient_key")]);
    const std::set<std::string> test = seeded_share(patients, o.test_fraction, o.seed);
    for (std::size_t i = 0; i < csv.rows.size(); ++i) is_test[i] = test.contains(patients[i]);
    set.split = "test = a seeded share " + std::to_string(o.test_fraction).substr(0, 4) + " of the patients (patient_key, seed " +
                std::to_string(o.seed) + ")";
  } else if (csv.has("official_split")) {
    for (std::size_t i = 0; i < csv.rows.size(); ++i) is_test[i] = csv.rows[i][csv.column("official_split")] == "test";
    set.split = "test = the rows whose official_split is 'test'";
  } else {
    if (!fraction_ok) return make_error(ErrorCode::kUsage, "the test fraction must lie in (0, 1)");
    std::vector<std::string> files;
    for (const auto& row : csv.rows) files.push_back(row[file_col]);
    const std::set<std::string> test = seeded_share(files, o.test_fraction, o.seed);
    for (std::size_t i = 0; i < csv.rows.size(); ++i) is_test[i] = test.contains(files[i]);
    set.split = "test = a seeded share " + std::to_string(o.test_fraction).substr(0, 4) + " of the images (seed " +
                std::to_string(o.seed) + ", one image per patient)";
  }

  // With a limit, each split keeps a seeded sample of its rows (in table order), so that both keep every class.
  std::vector<bool> keep(csv.rows.size(), true);
  if (o.limit != 0) {
    std::vector<std::size_t> order(csv.rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(o.seed + 1);
    std::shuffle(order.begin(), order.end(), rng);
    std::size_t kept[2] = {0, 0};
    for (std::size_t i : order) keep[i] = kept[is_test[i]]++ < o.limit;
  }
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    auto& side = is_test[i] ? set.test : set.train;
    if (!keep[i]) continue;
    if (o.test_only && !is_test[i]) continue;
    const std::string& file = csv.rows[i][file_col];
    MEDCRYPT_ASSIGN_OR_RETURN(const std::filesystem::path path, listed_file(images_dir, file));
    auto loaded = image::read_image_file(path);
    if (!loaded) return make_error(loaded.error().code, path.string() + ": " + loaded.error().message);
    if (loaded->image.geometry().samples == 3) set.channels = 3;
    side.push_back(ClassExample{file, std::move(loaded->image), index.at(values[i])});
  }
  if (set.test.empty() || (set.train.empty() && !o.test_only)) return make_error(ErrorCode::kUsage, o.folder.string() + ": the split leaves no training or no test images");
  return set;
}

std::string class_split_json(const ClassSetOptions& o) {
  return nlohmann::json{{"folder", o.folder.string()}, {"label_column", o.label_column}, {"test_fold", o.test_fold},
                        {"test_fraction", o.test_fraction}, {"seed", o.seed}, {"limit", o.limit}}
      .dump();
}

Result<ClassSetOptions> recorded_split(const ClassifierModel& model) {
  const nlohmann::json record = nlohmann::json::parse(model.training_json(), nullptr, false);
  ClassSetOptions o;
  try {
    const nlohmann::json& j = record.at("split");
    o.folder = j.at("folder").get<std::string>();
    o.label_column = j.at("label_column").get<std::string>();
    o.test_fold = j.at("test_fold").get<int>();
    o.test_fraction = j.at("test_fraction").get<double>();
    o.seed = j.at("seed").get<std::uint64_t>();
    o.limit = j.value("limit", std::size_t{0});
  } catch (const nlohmann::json::exception&) {
    return make_error(ErrorCode::kVersion, "the weights do not record their data split (folder, label_column, test_fold, test_fraction, seed)");
  }
  // A relative folder was given from where training ran: here, or this source tree's root (where the
  // shipped networks were trained, with ../shared beside it).
  if (o.folder.is_relative() && !std::filesystem::exists(o.folder)) {
    const std::filesystem::path from_source = std::filesystem::path(MEDCRYPT_MODEL_DIR).parent_path() / o.folder;
    if (std::filesystem::exists(from_source)) o.folder = from_source;
  }
  return o;
}

Result<std::vector<ClassifierSample>> classifier_samples(const std::vector<ClassExample>& examples, int channels, int side) {
  std::vector<ClassifierSample> out;
  out.reserve(examples.size());
  for (const ClassExample& e : examples) {
    auto input = classifier_input(e.image, channels, side);
    if (!input) return make_error(input.error().code, e.file + ": " + input.error().message);
    out.push_back(ClassifierSample{std::move(*input), e.label});
  }
  return out;
}

}  // namespace medcrypt::nn
