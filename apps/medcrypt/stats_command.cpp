// medcrypt stats IMAGE [--json] [--pairs N] [--seed N]: entropy, local entropy, the histogram's
// chi-square test and adjacent-pixel correlations of any image, cipher images included, per channel.
#include <fmt/format.h>

#include "analysis/report_tables.hpp"
#include "commands.hpp"
#include "image/image_file.hpp"
#include "metrics/json.hpp"

namespace medcrypt::cli {
namespace {

struct StatsArgs {
  std::string image;
  bool json = false;
  std::size_t pairs = metrics::kDefaultSampledPairs;
  std::uint64_t seed = metrics::kDefaultSeed;
};

Status run(const StatsArgs& args) {
  if (args.pairs < 2) return make_error(ErrorCode::kUsage, "--pairs must be at least 2");
  MEDCRYPT_ASSIGN_OR_RETURN(image::LoadedImage loaded, image::read_image_file(args.image));
  const metrics::ImageStats stats = metrics::image_stats(loaded.image, {args.pairs, args.seed});
  if (args.json) {
    nlohmann::json j = metrics::to_json(stats);
    j["file"] = args.image;
    fmt::print("{}\n", j.dump(2));
    return {};
  }
  const image::Geometry& g = loaded.image.geometry();
  fmt::print("{}", analysis::render_text(analysis::stats_table(
                       stats, fmt::format("{}: {}x{}, {} frame(s), {} bits stored (F = {})", args.image, g.width,
                                          g.height, g.frames, g.bits_stored, stats.max_value))));
  return {};
}

}  // namespace

void add_stats_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = app.add_subcommand("stats", "Entropy, local entropy, chi-square and correlations of an image");
  cmd->add_option("image", args->image, "An image file (DICOM, PNG, JPEG, TIFF), a cipher image too")->required();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_option("--pairs", args->pairs, "Adjacent pairs sampled per direction")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the sampled pairs and local entropy blocks")->capture_default_str();
  cmd->callback([args, &outcome] {
    Status s = run(*args);
    if (!s) outcome.fail(s.error(), args->image);
  });
}

}  // namespace medcrypt::cli
