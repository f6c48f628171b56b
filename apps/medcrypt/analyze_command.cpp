// medcrypt analyze IMAGE... --scheme NAME|all [--json FILE] [--csv FILE] [--html FILE]: encrypts each
// image (test mode for the sensitivity tests), exports the cipher image where the scheme has one, decrypts,
// and measures it all.
#include <fmt/format.h>

#include "analysis/analyze.hpp"
#include "analysis/report_html.hpp"
#include "analysis/report_json.hpp"
#include "analysis/report_tables.hpp"
#include "commands.hpp"
#include "core/file_io.hpp"

namespace medcrypt::cli {
namespace {

struct AnalyzeArgs {
  std::vector<std::string> inputs;
  std::string scheme = "aead";
  std::string scheme_params;
  RoiOptions roi;
  std::string json_file;
  std::string csv_file;
  std::string html_file;
  std::size_t pairs = metrics::kDefaultSampledPairs;
  std::uint64_t seed = metrics::kDefaultSeed;
  unsigned jobs = 0;
  bool quiet = false;
};

// The schemes to run: the one named, or with "all" every registered scheme.
Result<std::vector<std::unique_ptr<schemes::Scheme>>> schemes_to_run(const AnalyzeArgs& args) {
  const schemes::SchemeRegistry& registry = schemes::builtin_registry();
  std::vector<std::unique_ptr<schemes::Scheme>> out;
  if (args.scheme == "all") {
    if (!args.scheme_params.empty() || !args.roi.mode.empty() || !args.roi.network.empty()) {
      return make_error(ErrorCode::kUsage, "--scheme-params and --roi need one --scheme");
    }
    return analysis::analyzable_schemes(registry);
  }
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::SchemeParams params, schemes::parse_params(args.scheme_params));
  MEDCRYPT_TRY(apply_roi_options(args.roi, params));
  MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, registry.create(args.scheme, params));
  out.push_back(std::move(scheme));
  return out;
}

Status write_text(const std::string& path, const std::string& text) {
  return write_file_atomic(path, as_bytes(text));
}

Status run(const AnalyzeArgs& args, Outcome& outcome) {
  if (args.pairs < 2) return make_error(ErrorCode::kUsage, "--pairs must be at least 2");
  MEDCRYPT_ASSIGN_OR_RETURN(auto schemes, schemes_to_run(args));
  MEDCRYPT_ASSIGN_OR_RETURN(auto inputs, collect_inputs(args.inputs));
  analysis::AnalyzeOptions options;
  options.stats = {args.pairs, args.seed};
  options.threads = threads_from_jobs(args.jobs);
  options.thumbnails = !args.html_file.empty();

  std::vector<analysis::ImageAnalysis> analyses;
  ProgressBar bar("analyze", inputs.size() * schemes.size());
  std::size_t done = 0;
  for (const auto& in : inputs) {
    const auto& input = in.path;
    auto loaded = image::read_image_file(input);
    if (!loaded) {
      outcome.fail(loaded.error(), input.string());
      done += schemes.size();
      continue;
    }
    for (const auto& scheme : schemes) {
      bar.update(done, fmt::format("{} ({})", input.filename().string(), scheme->info().name));
      auto analysis = analysis::analyze_image(*loaded, input.string(), *scheme, schemes::builtin_registry(), options);
      bar.update(++done);
      if (!analysis) {
        outcome.fail(analysis.error(), input.string());
        continue;
      }
      analyses.push_back(std::move(*analysis));
    }
  }
  bar.finish();
  if (analyses.empty()) return {};

  if (!args.quiet) {
    fmt::print("{}", analysis::render_text(analysis::analysis_table(analyses)));
    std::vector<std::string> notes;
    for (const auto& a : analyses) {
      for (const auto& note : a.notes) {
        if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
      }
    }
    for (const auto& note : notes) fmt::print("note: {}\n", note);
  }
  if (!args.json_file.empty()) MEDCRYPT_TRY(write_text(args.json_file, analysis::report_json(analyses).dump(2) + "\n"));
  if (!args.csv_file.empty()) MEDCRYPT_TRY(write_text(args.csv_file, analysis::report_csv(analyses)));
  if (!args.html_file.empty()) MEDCRYPT_TRY(write_text(args.html_file, analysis::html_report(analyses)));
  return {};
}

}  // namespace

void add_analyze_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<AnalyzeArgs>();
  CLI::App* cmd = app.add_subcommand("analyze", "Measure a scheme the way image-cipher papers do: statistics, "
                                                "sensitivity, quality, key space, speed");
  cmd->add_option("inputs", args->inputs, "Image files or directories")->required();
  cmd->add_option("--scheme", args->scheme, "Scheme, or 'all' for every scheme")
      ->capture_default_str();
  cmd->add_option("--scheme-params", args->scheme_params, "Scheme parameters, key=value;key=value");
  add_roi_options(cmd, args->roi);
  cmd->add_option("--json", args->json_file, "Write the full report as JSON to this file");
  cmd->add_option("--csv", args->csv_file, "Write one CSV row per image and scheme to this file");
  cmd->add_option("--html", args->html_file, "Write a self-contained HTML page with tables and plots");
  cmd->add_option("--pairs", args->pairs, "Adjacent pairs sampled per direction")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of every random choice and of the test-mode key")
      ->capture_default_str();
  cmd->add_option("-j,--jobs", args->jobs, "Threads for the timing runs (0: all)")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "Print no table");
  cmd->callback([args, &outcome] {
    Status s = run(*args, outcome);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
