// medcrypt eval autoencoder | denoise: how well the ae-aes autoencoder rebuilds images (the held-out test
// split of a dataset, and any image files given), and how it copes with noisy input (paper 002 Table 6).
// Images go through the scheme's own path (tiling, latent precision, rounding to the original bit depth).
// medcrypt eval roi: Dice and IoU of the ROI network on its held-out test split, beside the classical
// baseline (nn/roi_data.hpp) on the same images.
// medcrypt eval keygen: paper 001's key figures (Tables 2 and 3) for the ZZ-GAN generator.
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "image/image_file.hpp"
#include "metrics/correlation.hpp"
#include "metrics/entropy.hpp"
#include "metrics/histogram.hpp"
#include "metrics/image_compare.hpp"
#include "nn/dataset.hpp"
#include "nn/image_codec.hpp"
#include "nn/keygen.hpp"
#include "nn/noise.hpp"
#include "nn/roi_data.hpp"
#include "schemes/ae_aes.hpp"

namespace medcrypt::cli {
namespace {

struct EvalArgs {
  std::vector<std::string> data;
  std::vector<std::string> images;
  std::string model;
  int channels = 3;
  double test_fraction = 0.1;
  std::uint64_t seed = 1;
  std::size_t limit = 0;
  std::uint32_t min_side = 48;
  std::uint32_t side = 0;  // resample test images to side x side first (train's --side), as paper 002 measures
  bool f16 = false;
  bool json = false;
  bool calibrate = false;           // denoise: levels whose noisy SSIM matches paper 002's Table 6
  std::vector<std::string> noises;  // denoise: KIND=LEVEL
};

struct Quality {
  double ssim = 0, mse = 0;  // MSE on [0, 1]
};

Result<Quality> quality(const image::Image& a, const image::Image& b) {
  MEDCRYPT_ASSIGN_OR_RETURN(metrics::ImageComparison c, metrics::compare_images(a, b));
  const double max = c.max_value;
  return Quality{c.overall.ssim, c.overall.error.mse / (max * max)};
}

Result<image::Image> round_trip(const nn::Autoencoder& model, const image::Image& img, bool f16) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> latent, nn::encode_image(model, img));
  if (f16) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::uint16_t> half, nn::to_float16(latent));
    MEDCRYPT_ASSIGN_OR_RETURN(latent, nn::from_float16(half));
  }
  return nn::decode_image(model, latent, img.geometry());
}

// Loaded once per channel count: a command measuring many files reads each model once.
Result<nn::Autoencoder> load_model(const EvalArgs& args, int channels) {
  static std::map<int, nn::Autoencoder> loaded;
  if (auto it = loaded.find(channels); it != loaded.end()) return it->second;
  const std::filesystem::path path = args.model.empty() ? schemes::ae_aes_model_path(channels) : std::filesystem::path(args.model);
  MEDCRYPT_ASSIGN_OR_RETURN(nn::Autoencoder model, nn::Autoencoder::load(path));
  if (model.channels() != channels) {
    return make_error(ErrorCode::kUsage, path.string() + " is a " + model.arch() + " model, the images have " +
                                             std::to_string(channels) + " channel(s)");
  }
  loaded.emplace(channels, model);
  return model;
}

Result<nn::Dataset> test_split(const EvalArgs& args) {
  nn::DatasetOptions data;
  for (const auto& d : args.data) data.sources.emplace_back(d);
  data.channels = args.channels;
  data.min_side = args.min_side;
  data.side = args.side;
  data.test_fraction = args.test_fraction;
  data.seed = args.seed;
  data.limit = args.limit;
  return nn::load_dataset(data);
}

Status run_autoencoder(const EvalArgs& args) {
  nlohmann::json out = {{"test_split", nullptr}, {"images", nlohmann::json::array()}, {"latent", args.f16 ? "f16" : "f32"}};
  if (!args.data.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(nn::Dataset data, test_split(args));
    if (data.test.empty()) return make_error(ErrorCode::kUsage, "eval: the test split is empty");
    MEDCRYPT_ASSIGN_OR_RETURN(nn::Autoencoder model, load_model(args, args.channels));
    Quality sum;
    for (const auto& img : data.test) {
      MEDCRYPT_ASSIGN_OR_RETURN(image::Image decoded, round_trip(model, img, args.f16));
      MEDCRYPT_ASSIGN_OR_RETURN(Quality q, quality(img, decoded));
      sum.ssim += q.ssim;
      sum.mse += q.mse;
    }
    const double n = static_cast<double>(data.test.size());
    out["test_split"] = {{"images", data.test.size()}, {"seed", args.seed}, {"test_fraction", args.test_fraction},
                         {"side", args.side}, {"model", model.digest_hex()}, {"ssim", sum.ssim / n}, {"mse", sum.mse / n}};
    if (!args.json) {
      fmt::print("test split: {} images, mean SSIM {:.4f}, mean MSE {:.6f} (on [0,1]), latent {}\n", data.test.size(),
                 sum.ssim / n, sum.mse / n, args.f16 ? "f16" : "f32");
    }
  }
  for (const auto& file : args.images) {
    auto loaded = image::read_image_file(file);
    if (!loaded) return make_error(loaded.error().code, file + ": " + loaded.error().message);
    const image::Image& img = loaded->image;
    MEDCRYPT_TRY(nn::check_codec_geometry(img.geometry()));
    MEDCRYPT_ASSIGN_OR_RETURN(nn::Autoencoder model, load_model(args, img.geometry().samples));
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image decoded, round_trip(model, img, args.f16));
    MEDCRYPT_ASSIGN_OR_RETURN(Quality q, quality(img, decoded));
    const auto& g = img.geometry();
    out["images"].push_back({{"file", file}, {"width", g.width}, {"height", g.height}, {"frames", g.frames},
                             {"samples", g.samples}, {"bits", g.bits_stored}, {"ssim", q.ssim}, {"mse", q.mse}});
    if (!args.json) {
      fmt::print("{}: {}x{}x{} {}-bit, SSIM {:.4f}, MSE {:.6f}\n", file, g.width, g.height, g.samples, g.bits_stored,
                 q.ssim, q.mse);
    }
  }
  if (args.data.empty() && args.images.empty()) return make_error(ErrorCode::kUsage, "eval: give --data or images");
  if (args.json) fmt::print("{}\n", out.dump(2));
  return {};
}

// Paper 002's Table 6: its noisy columns (SSIM, MSE), which `--calibrate` matches, and its decoded ones.
struct PaperRow {
  nn::Noise kind;
  double noisy_ssim, noisy_mse, decoded_ssim, decoded_mse;
};
constexpr PaperRow kPaperTable6[] = {{nn::Noise::kSaltPepper, 0.93, 0.00, 0.94, 0.00},
                                     {nn::Noise::kSpeckle, 0.06, 0.87, 0.23, 0.15},
                                     {nn::Noise::kPoisson, 0.79, 0.01, 0.90, 0.00},
                                     {nn::Noise::kGaussian, 0.13, 0.30, 0.41, 0.05}};
constexpr double kPaperCleanSsim = 0.9528, kPaperCleanMse = 0.0019;

// The noises to run: --noise KIND=LEVEL as given, else calibrated (--calibrate), else Table 6's defaults.
Result<std::vector<nn::NoiseSpec>> denoise_noises(const EvalArgs& args, const std::vector<image::Image>& test) {
  std::vector<nn::NoiseSpec> out;
  for (const std::string& spec : args.noises) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos) return make_error(ErrorCode::kUsage, "--noise takes KIND=LEVEL, e.g. speckle=0.5");
    MEDCRYPT_ASSIGN_OR_RETURN(nn::Noise kind, nn::parse_noise(spec.substr(0, eq)));
    double level = 0;
    try {
      level = std::stod(spec.substr(eq + 1));
    } catch (const std::exception&) {
      level = -1;
    }
    if (!(level > 0)) return make_error(ErrorCode::kUsage, "--noise " + spec + ": the level must be a positive number");
    out.push_back({kind, level});
  }
  if (!out.empty()) return out;
  if (!args.calibrate) return nn::paper_noises();
  for (const PaperRow& row : kPaperTable6) {
    MEDCRYPT_ASSIGN_OR_RETURN(nn::NoiseSpec n, nn::calibrate_noise(test, row.kind, row.noisy_ssim, args.seed));
    out.push_back(n);
  }
  return out;
}

Status run_denoise(const EvalArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(nn::Dataset data, test_split(args));
  if (data.test.empty()) return make_error(ErrorCode::kUsage, "eval: the test split is empty");
  MEDCRYPT_ASSIGN_OR_RETURN(nn::Autoencoder model, load_model(args, args.channels));
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<nn::NoiseSpec> noises, denoise_noises(args, data.test));
  const double n = static_cast<double>(data.test.size());
  nlohmann::json rows = nlohmann::json::array();
  if (!args.json) {
    fmt::print("{} test images; SSIM and MSE (on [0,1]) against the clean original; paper 002's Table 6 in []\n",
               data.test.size());
    fmt::print("{:<40} {:>18} {:>20} {:>18} {:>20}\n", "noise", "noisy SSIM", "noisy MSE", "decoded SSIM",
               "decoded MSE");
  }
  Quality clean;
  for (const image::Image& img : data.test) {
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image decoded, round_trip(model, img, args.f16));
    MEDCRYPT_ASSIGN_OR_RETURN(Quality q, quality(img, decoded));
    clean.ssim += q.ssim / n;
    clean.mse += q.mse / n;
  }
  rows.push_back({{"noise", "none"}, {"decoded_ssim", clean.ssim}, {"decoded_mse", clean.mse},
                  {"paper", {{"decoded_ssim", kPaperCleanSsim}, {"decoded_mse", kPaperCleanMse}}}});
  if (!args.json) {
    fmt::print("{:<40} {:>18} {:>20} {:>10.4f} [{:.4f}] {:>10.6f} [{:.4f}]\n", "none", "-", "-", clean.ssim,
               kPaperCleanSsim, clean.mse, kPaperCleanMse);
  }
  for (const nn::NoiseSpec& noise : noises) {
    Quality noisy_sum, decoded_sum;
    for (std::size_t i = 0; i < data.test.size(); ++i) {
      const image::Image& img = data.test[i];
      const image::Image noisy = nn::add_noise(img, noise, args.seed * 1000003 + i);
      MEDCRYPT_ASSIGN_OR_RETURN(image::Image decoded, round_trip(model, noisy, args.f16));
      MEDCRYPT_ASSIGN_OR_RETURN(Quality qn, quality(img, noisy));
      MEDCRYPT_ASSIGN_OR_RETURN(Quality qd, quality(img, decoded));
      noisy_sum.ssim += qn.ssim / n;
      noisy_sum.mse += qn.mse / n;
      decoded_sum.ssim += qd.ssim / n;
      decoded_sum.mse += qd.mse / n;
    }
    nlohmann::json row = {{"noise", nn::describe(noise)}, {"level", noise.amount},
                          {"noisy_ssim", noisy_sum.ssim}, {"noisy_mse", noisy_sum.mse},
                          {"decoded_ssim", decoded_sum.ssim}, {"decoded_mse", decoded_sum.mse}};
    const PaperRow* paper = nullptr;
    for (const PaperRow& p : kPaperTable6) paper = p.kind == noise.kind ? &p : paper;
    row["paper"] = {{"noisy_ssim", paper->noisy_ssim}, {"noisy_mse", paper->noisy_mse},
                    {"decoded_ssim", paper->decoded_ssim}, {"decoded_mse", paper->decoded_mse}};
    rows.push_back(std::move(row));
    if (!args.json) {
      fmt::print("{:<40} {:>10.4f} [{:.2f}] {:>12.6f} [{:.2f}] {:>10.4f} [{:.2f}] {:>12.6f} [{:.2f}]\n",
                 nn::describe(noise), noisy_sum.ssim, paper->noisy_ssim, noisy_sum.mse, paper->noisy_mse,
                 decoded_sum.ssim, paper->decoded_ssim, decoded_sum.mse, paper->decoded_mse);
    }
  }
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"images", data.test.size()}, {"model", model.digest_hex()},
                                      {"calibrated", args.calibrate && args.noises.empty()}, {"rows", rows}}
                           .dump(2));
  }
  return {};
}

void add_common(CLI::App* cmd, EvalArgs& args) {
  cmd->add_option("--model", args.model, "Weights file (default: the shipped ae-aes model for the channels)");
  cmd->add_option("--channels", args.channels, "Channels of the --data images: 1 or 3")->capture_default_str()->check(CLI::IsMember({1, 3}));
  cmd->add_option("--seed", args.seed, "Seed of the train/test split (as given to train)")->capture_default_str();
  cmd->add_option("--test-fraction", args.test_fraction, "Share held out (as given to train)")->capture_default_str();
  cmd->add_option("--limit", args.limit, "At most this many images before the split (as given to train)")->capture_default_str();
  cmd->add_option("--min-side", args.min_side, "Enlarge smaller images to this side (train's --patch)")->capture_default_str();
  cmd->add_option("--side", args.side, "Resample the --data images to side x side first (train's --side; 0: keep sizes)")
      ->capture_default_str();
  cmd->add_flag("--f16", args.f16, "Send the latent as float16");
  cmd->add_flag("--json", args.json, "Print JSON");
}

struct EvalRoiArgs {
  std::string model;
  std::string kind;
  nn::RoiSetOptions set;
  std::optional<int> test_fold;
  std::optional<double> test_fraction;
  std::optional<std::uint64_t> seed;
  bool per_image = false;
  bool json = false;
};

Status run_roi(const EvalRoiArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(nn::RoiModel model, nn::RoiModel::load(args.model));
  // The split recorded at training, unless overridden.
  nn::RoiSetOptions set = args.set;
  const nlohmann::json record = nlohmann::json::parse(model.training_json(), nullptr, false);
  if (!record.is_discarded() && record.contains("split")) {
    const nlohmann::json& split = record["split"];
    set.test_fold = split.value("test_fold", set.test_fold);
    set.test_fraction = split.value("test_fraction", set.test_fraction);
    set.seed = split.value("seed", set.seed);
  }
  if (args.test_fold) set.test_fold = *args.test_fold;
  if (args.test_fraction) set.test_fraction = *args.test_fraction;
  if (args.seed) set.seed = *args.seed;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::RoiSet data, nn::load_roi_set(set));
  MEDCRYPT_ASSIGN_OR_RETURN(nn::RoiEvaluation ev, nn::evaluate_roi(model, data.test, args.kind));
  if (args.json) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& s : ev.images) {
      images.push_back({{"file", s.file}, {"dice", s.network.dice}, {"iou", s.network.iou},
                        {"baseline_dice", s.baseline.dice}, {"baseline_iou", s.baseline.iou}});
    }
    nlohmann::json out = {{"kind", args.kind.empty() ? model.kind() : args.kind}, {"network_kind", model.kind()}, {"model", model.digest_hex()}, {"split", data.split},
                          {"test_images", ev.images.size()},
                          {"network", {{"dice", ev.network.dice}, {"iou", ev.network.iou}}},
                          {"baseline", {{"dice", ev.baseline.dice}, {"iou", ev.baseline.iou}}},
                          {"network_seconds", ev.network_seconds}};
    if (args.per_image) out["images"] = images;
    fmt::print("{}\n", out.dump(2));
    return {};
  }
  if (args.per_image) {
    for (const auto& s : ev.images) {
      fmt::print("{}: network Dice {:.4f} IoU {:.4f}; baseline Dice {:.4f} IoU {:.4f}\n", s.file, s.network.dice,
                 s.network.iou, s.baseline.dice, s.baseline.iou);
    }
  }
  fmt::print("{} ROI network on {} held-out images ({}), at each image's own size:\n", model.kind(), ev.images.size(), data.split);
  fmt::print("  network  : mean Dice {:.4f}, mean IoU {:.4f} ({:.1f} ms per image)\n", ev.network.dice, ev.network.iou,
             1000 * ev.network_seconds / ev.images.size());
  fmt::print("  baseline : mean Dice {:.4f}, mean IoU {:.4f} (Otsu threshold + largest component(s))\n", ev.baseline.dice,
             ev.baseline.iou);
  return {};
}

// Paper 001's Tables 2 and 3 for the ZZ-GAN generator: each image's key (the generator on the image,
// as the paper makes its keys) with its entropy and adjacent correlation, and the NPCR and UACI between
// that key and the key of the same image with its centre pixel changed by one level; the same for the
// scheme's own input, a uniform seed image of the same size.
struct EvalKeygenArgs {
  std::vector<std::string> images;
  std::string model;
  bool json = false;
};

struct KeyFigures {
  double entropy = 0, correlation = 0, npcr = 0, uaci = 0;
};

Result<KeyFigures> key_figures(const nn::KeyGenerator& g, std::vector<float> input, std::uint32_t h, std::uint32_t w) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> a, g.generate(input, h, w));
  float& centre = input[std::size_t{h / 2} * w + w / 2];
  centre = centre + 2.0f / 255 <= 1.0f ? centre + 2.0f / 255 : centre - 2.0f / 255;  // one 8-bit level
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> b, g.generate(input, h, w));
  // The 8-bit keys as channels, measured by metrics/ as `stats` and `compare` measure images.
  const auto channel = [&](const std::vector<double>& key) {
    metrics::Channel c{w, h, 1, 8, std::vector<std::uint16_t>(key.size())};
    for (std::size_t i = 0; i < key.size(); ++i) c.owned[i] = static_cast<std::uint16_t>(nn::key_word(key[i], 8));
    return c;
  };
  const metrics::Channel ka = channel(a), kb = channel(b);
  const metrics::DifferentialTest d = metrics::differential_test(metrics::difference_sums(ka, kb), 255);
  KeyFigures f;
  f.entropy = metrics::shannon_entropy(metrics::histogram(ka));
  f.correlation = metrics::adjacent_correlation(ka)[metrics::Direction::kHorizontal];
  f.npcr = d.npcr;
  f.uaci = d.uaci;
  return f;
}

Status run_keygen(const EvalKeygenArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(nn::KeyGenerator g, args.model.empty() ? nn::KeyGenerator::shipped() : nn::KeyGenerator::load(args.model));
  nlohmann::json rows = nlohmann::json::array();
  if (!args.json) {
    fmt::print("{:<44} {:>9} | {:>8} {:>7} {:>7} {:>7} | {:>8} {:>7} {:>7} {:>7}\n", "image (key from the image | from a seed)",
               "size", "entropy", "corr", "NPCR%", "UACI%", "entropy", "corr", "NPCR%", "UACI%");
  }
  std::mt19937 rng(1);
  for (const auto& path : args.images) {
    MEDCRYPT_ASSIGN_OR_RETURN(image::LoadedImage loaded, image::read_image_file(path));
    image::Image img = std::move(loaded.image);
    if (img.geometry().width < 8 || img.geometry().height < 8) {
      return make_error(ErrorCode::kUnsupported, path + ": eval keygen takes images of at least 8x8");
    }
    auto plane = nn::keygen_plane(img);
    if (!plane) return make_error(plane.error().code, path + ": " + plane.error().message);
    MEDCRYPT_ASSIGN_OR_RETURN(KeyFigures from_image, key_figures(g, plane->values, plane->height, plane->width));
    std::vector<float> seed(plane->values.size());
    for (auto& v : seed) v = static_cast<float>((rng() & 255) / 127.5 - 1.0);
    MEDCRYPT_ASSIGN_OR_RETURN(KeyFigures from_seed, key_figures(g, seed, plane->height, plane->width));
    const auto figures = [](const KeyFigures& f) {
      return nlohmann::json{{"entropy", f.entropy}, {"correlation", f.correlation}, {"npcr", f.npcr}, {"uaci", f.uaci}};
    };
    rows.push_back({{"image", path}, {"width", plane->width}, {"height", plane->height},
                    {"key_from_image", figures(from_image)}, {"key_from_seed", figures(from_seed)}});
    if (!args.json) {
      fmt::print("{:<44} {:>9} | {:>8.4f} {:>7.4f} {:>7.3f} {:>7.3f} | {:>8.4f} {:>7.4f} {:>7.3f} {:>7.3f}\n",
                 std::filesystem::path(path).filename().string().substr(0, 44),
                 fmt::format("{}x{}", plane->width, plane->height), from_image.entropy, from_image.correlation,
                 from_image.npcr, from_image.uaci, from_seed.entropy, from_seed.correlation, from_seed.npcr, from_seed.uaci);
    }
  }
  if (args.json) fmt::print("{}\n", nlohmann::json{{"model", g.digest_hex()}, {"images", rows}}.dump(2));
  return {};
}

}  // namespace

void add_eval_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* eval = app.add_subcommand("eval", "Evaluate medcrypt's neural networks");
  eval->require_subcommand(1);
  add_eval_classifier(eval, outcome);
  add_eval_utility(eval, outcome);
  CLI::App* ae = eval->add_subcommand("autoencoder", "SSIM and MSE of decoded against original images");
  ae->add_option("--data", args->data, "Dataset (folders, .npz) whose held-out test split is measured (repeatable)");
  ae->add_option("images", args->images, "Image files measured one by one");
  add_common(ae, *args);
  ae->callback([args, &outcome] {
    Status s = run_autoencoder(*args);
    if (!s) outcome.fail(s.error());
  });
  CLI::App* dn = eval->add_subcommand("denoise", "Paper 002 Table 6: noisy input against decoded output");
  dn->add_option("--data", args->data, "Dataset whose held-out test split is measured (repeatable)")->required();
  dn->add_flag("--calibrate", args->calibrate,
               "Find each noise's level at which the noisy SSIM is paper 002's (Table 6) on these images");
  dn->add_option("--noise", args->noises,
                 "KIND=LEVEL (repeatable): salt-and-pepper share, speckle or gaussian variance, poisson counts");
  add_common(dn, *args);
  dn->callback([args, &outcome] {
    Status s = run_denoise(*args);
    if (!s) outcome.fail(s.error());
  });
  auto roi_args = std::make_shared<EvalRoiArgs>();
  CLI::App* roi = eval->add_subcommand("roi", "Dice and IoU of the ROI network on its held-out split, beside the baseline");
  roi->add_option("--model", roi_args->model, "ROI weights file")->required();
  roi->add_option("--data", roi_args->set.folder, "The labelled set it was trained on (images/, masks/)")->required();
  roi->add_option("--test-fold", roi_args->test_fold, "cv_fold held out (default: as recorded at training)");
  roi->add_option("--test-fraction", roi_args->test_fraction, "Share held out (default: as recorded at training)");
  roi->add_option("--seed", roi_args->seed, "Seed of the split (default: as recorded at training)");
  roi->add_option("--kind", roi_args->kind, "Kind of the --data images, for a network trained on several kinds");
  roi->add_flag("--per-image", roi_args->per_image, "Also report every image");
  roi->add_flag("--json", roi_args->json, "Print JSON");
  roi->callback([roi_args, &outcome] {
    Status s = run_roi(*roi_args);
    if (!s) outcome.fail(s.error());
  });
  auto keygen_args = std::make_shared<EvalKeygenArgs>();
  CLI::App* keygen = eval->add_subcommand("keygen", "Paper 001 Tables 2-3: the ZZ-GAN keys' entropy, and NPCR/UACI "
                                                    "between keys of inputs one pixel apart");
  keygen->add_option("images", keygen_args->images, "Grey images (DICOM, PNG, ...)")->required();
  keygen->add_option("--model", keygen_args->model, "Generator weights (default: the shipped one)");
  keygen->add_flag("--json", keygen_args->json, "Print JSON");
  keygen->callback([keygen_args, &outcome] {
    Status s = run_keygen(*keygen_args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
