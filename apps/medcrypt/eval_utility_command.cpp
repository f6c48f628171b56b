// medcrypt eval utility: the diagnostic classifier on the originals and on the decrypted images of its
// held-out split, per scheme (analysis/utility.hpp); a table, --json with every image's scores, --html.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/utility.hpp"
#include "commands.hpp"
#include "core/file_io.hpp"

namespace medcrypt::cli {
namespace {

struct UtilityArgs {
  std::vector<std::string> schemes;
  std::string model;
  std::string data;
  std::vector<std::string> noises;  // KIND=LEVEL
  bool paper_noises = false;
  std::size_t limit = 0;
  unsigned jobs = 0;
  std::size_t thumbnails = 3;
  bool json = false;
  std::string html;
  std::uint64_t seed = 1;
};

Result<std::vector<nn::NoiseSpec>> noises_of(const UtilityArgs& args) {
  std::vector<nn::NoiseSpec> out = args.paper_noises ? nn::paper_noises() : std::vector<nn::NoiseSpec>{};
  for (const std::string& text : args.noises) {
    const std::size_t eq = text.find('=');
    MEDCRYPT_ASSIGN_OR_RETURN(nn::Noise kind, nn::parse_noise(text.substr(0, eq)));
    nn::NoiseSpec spec{kind, nn::NoiseSpec{}.amount};
    if (eq != std::string::npos) {
      try {
        std::size_t used = 0;
        spec.amount = std::stod(text.substr(eq + 1), &used);
        if (used != text.size() - eq - 1 || !(spec.amount > 0)) throw std::invalid_argument("level");
      } catch (const std::exception&) {
        return make_error(ErrorCode::kUsage, "--noise " + text + ": the level must be a positive number");
      }
    }
    out.push_back(spec);
  }
  return out;
}

Status run_utility(const UtilityArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassifierModel model, load_classifier(args.model));
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<nn::NoiseSpec> noises, noises_of(args));
  const schemes::SchemeRegistry& registry = schemes::builtin_registry();
  analysis::UtilityOptions options;
  MEDCRYPT_ASSIGN_OR_RETURN(options.runs, analysis::utility_runs(args.schemes, noises, registry));
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassSetOptions set_options, nn::recorded_split(model));
  if (!args.data.empty()) set_options.folder = args.data;
  if (args.limit != 0) set_options.limit = args.limit;
  set_options.test_only = true;
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassSet set, nn::load_class_set(set_options));
  if (!args.html.empty() && std::filesystem::is_directory(args.html)) {
    return make_error(ErrorCode::kUsage, "--html " + args.html + " is a folder; name the report's file");
  }
  options.threads = threads_from_jobs(args.jobs);
  options.thumbnails = args.html.empty() ? 0 : args.thumbnails;
  options.seed = args.seed;
  std::unique_ptr<ProgressBar> bar;
  options.progress = [&](std::size_t done, std::size_t total) {
    if (!bar) bar = std::make_unique<ProgressBar>("utility", total);
    bar->update(done);
    if (done == total) bar->finish();
  };
  MEDCRYPT_ASSIGN_OR_RETURN(analysis::UtilityReport report, analysis::evaluate_utility(model, set, options, registry));
  if (!args.html.empty()) {
    const std::string html = analysis::utility_html(report);
    MEDCRYPT_TRY(write_file_atomic(args.html, ByteView(reinterpret_cast<const std::uint8_t*>(html.data()), html.size())));
  }
  if (args.json) {
    fmt::print("{}\n", analysis::utility_json(report));
  } else {
    fmt::print("{}", analysis::utility_table(report));
    fmt::print("changed: share of images whose predicted class differs from the original's; identical: decrypted images "
               "equal to the original sample for sample; PSNR over the images that are not identical\n");
    if (!args.html.empty()) fmt::print("wrote {}\n", args.html);
  }
  return {};
}

}  // namespace

void add_eval_utility(CLI::App* eval, Outcome& outcome) {
  auto args = std::make_shared<UtilityArgs>();
  CLI::App* cmd = eval->add_subcommand("utility", "Whether decrypted images still serve the diagnosis: the classifier before and after each scheme");
  cmd->add_option("--scheme", args->schemes, "NAME or NAME[k=v;k=v], repeatable; 'all' (the default): every scheme and its lossy settings");
  cmd->add_option("--model", args->model, "Classifier weights (default: models/classifier-pneumonia.weights)");
  cmd->add_option("--data", args->data, "The labelled set (default: the folder recorded at training); its held-out split is used");
  cmd->add_option("--noise", args->noises, "Add KIND[=LEVEL] noise before encryption (gaussian, salt-and-pepper, speckle, poisson), repeatable");
  cmd->add_flag("--paper-noises", args->paper_noises, "Add paper 002's four noise models (as `eval denoise`)");
  cmd->add_option("--limit", args->limit, "At most this many held-out images (0: all)")->capture_default_str();
  cmd->add_option("--jobs", args->jobs, "Threads (0: every core)")->capture_default_str();
  cmd->add_option("--thumbnails", args->thumbnails, "Images per scheme shown in the HTML report")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the noise and of the cipher images shown")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print JSON with every image's label, scores and predictions, before and after");
  cmd->add_option("--html", args->html, "Also write an HTML report with the images");
  cmd->callback([args, &outcome] {
    Status s = run_utility(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
