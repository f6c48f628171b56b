// medcrypt classify IMAGE...: each image's class and class probabilities from the diagnostic classifier
// (nn/classifier.hpp; default: the shipped paediatric pneumonia network).
// medcrypt eval classifier --model FILE: the classifier on the held-out split recorded in its weights,
// beside the majority class and logistic regression on pixels trained in the same run (nn/classifier_eval.hpp).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "image/image_file.hpp"
#include "metrics/json.hpp"
#include "nn/classifier_eval.hpp"

namespace medcrypt::cli {
namespace {

struct ClassifyArgs {
  std::vector<std::string> inputs;
  std::string model;
  bool json = false;
};

std::string scores_text(const std::vector<std::string>& classes, const std::vector<double>& p) {
  std::string text;
  for (std::size_t k = 0; k < classes.size(); ++k) text += fmt::format("{}{} {:.4f}", k ? ", " : "", classes[k], p[k]);
  return text;
}

Status run_classify(const ClassifyArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassifierModel model, load_classifier(args.model));
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<InputFile> inputs, collect_inputs(args.inputs));
  const auto& classes = model.config().classes;
  nlohmann::json images = nlohmann::json::array();
  std::string text;  // printed only when every image was classified
  for (const InputFile& in : inputs) {
    auto loaded = image::read_image_file(in.path);
    if (!loaded) return make_error(loaded.error().code, in.path.string() + ": " + loaded.error().message);
    auto p = model.classify(loaded->image);
    if (!p) return make_error(p.error().code, in.path.string() + ": " + p.error().message);
    const int k = metrics::predicted_class(*p);
    const std::uint32_t frames = loaded->image.geometry().frames;
    if (args.json) {
      images.push_back({{"file", in.path.string()}, {"class", classes[k]}, {"class_index", k}, {"scores", *p},
                        {"frames", frames}});
    } else {
      text += fmt::format("{}: {} ({}){}\n", in.path.string(), classes[k], scores_text(classes, *p),
                          frames > 1 ? fmt::format("; first of {} frames", frames) : "");
    }
  }
  fmt::print("{}", text);
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"model", model.digest_hex()}, {"set", model.config().set}, {"classes", classes}, {"images", images}}.dump(2));
  }
  return {};
}

struct EvalClassifierArgs {
  std::string model;
  std::string data;
  nn::BaselineOptions baseline;
  bool json = false;
};

Status run_eval_classifier(const EvalClassifierArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassifierModel model, nn::ClassifierModel::load(args.model));
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassSetOptions set_options, nn::recorded_split(model));
  if (!args.data.empty()) set_options.folder = args.data;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassSet set, nn::load_class_set(set_options));
  nn::BaselineOptions baseline = args.baseline;
  baseline.seed = set_options.seed;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassifierStudy study, nn::study_classifier(model, set, baseline));
  if (args.json) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : study.models) {
      models.push_back({{"name", m.name}, {"figures", metrics::to_json(m.figures)}, {"seconds", m.seconds}, {"scores", m.scores}});
    }
    fmt::print("{}\n", nlohmann::json{{"model", model.digest_hex()}, {"set", model.config().set}, {"classes", study.classes},
                                      {"split", study.split}, {"files", study.files}, {"labels", study.labels},
                                      {"models", models}}
                           .dump(2));
    return {};
  }
  fmt::print("{} classifier on {} held-out images ({}):\n", model.config().set, study.files.size(), study.split);
  fmt::print("  {:<44} {:>8} {:>8} {:>8}   AP per class\n", "", "accuracy", "MAP", "ROC AUC");
  for (const auto& m : study.models) {
    std::string ap;
    for (std::size_t k = 0; k < study.classes.size(); ++k) ap += fmt::format("{}{} {:.3f}", k ? ", " : "", study.classes[k], m.figures.average_precision[k]);
    fmt::print("  {:<44} {:>8.4f} {:>8.4f} {:>8.4f}   {}\n", m.name, m.figures.accuracy, m.figures.mean_average_precision,
               m.figures.roc_auc, ap);
  }
  return {};
}

}  // namespace

void add_classify_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<ClassifyArgs>();
  CLI::App* cmd = app.add_subcommand("classify", "Classify images with the diagnostic classifier");
  cmd->add_option("inputs", args->inputs, "Image files or folders")->required();
  cmd->add_option("--model", args->model, "Classifier weights (default: models/classifier-pneumonia.weights)");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args, &outcome] {
    Status s = run_classify(*args);
    if (!s) outcome.fail(s.error());
  });
}

void add_eval_classifier(CLI::App* eval, Outcome& outcome) {
  auto args = std::make_shared<EvalClassifierArgs>();
  CLI::App* cmd = eval->add_subcommand("classifier", "Accuracy, MAP and ROC AUC of the classifier on its held-out split, beside baselines");
  cmd->add_option("--model", args->model, "Classifier weights")->required();
  cmd->add_option("--data", args->data, "The labelled set (default: the folder recorded at training)");
  cmd->add_option("--baseline-side", args->baseline.logistic_side, "Side of the logistic baseline's input")->capture_default_str();
  cmd->add_option("--baseline-epochs", args->baseline.logistic_epochs, "Epochs of the logistic baseline")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print JSON, with every image's scores");
  cmd->callback([args, &outcome] {
    Status s = run_eval_classifier(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
