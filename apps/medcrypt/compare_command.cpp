// medcrypt compare A B [--json]: NPCR and UACI with their critical values, MSE, RMSE, MAE, PSNR and SSIM
// between two images of the same geometry.
#include <fmt/format.h>

#include "analysis/report_tables.hpp"
#include "commands.hpp"
#include "image/image_file.hpp"
#include "metrics/json.hpp"

namespace medcrypt::cli {
namespace {

struct CompareArgs {
  std::string first;
  std::string second;
  bool json = false;
};

Status run(const CompareArgs& args, Outcome& outcome) {
  auto first = image::read_image_file(args.first);
  if (!first) {
    outcome.fail(first.error(), args.first);
    return {};
  }
  auto second = image::read_image_file(args.second);
  if (!second) {
    outcome.fail(second.error(), args.second);
    return {};
  }
  MEDCRYPT_ASSIGN_OR_RETURN(metrics::ImageComparison comparison, metrics::compare_images(first->image, second->image));
  if (args.json) {
    fmt::print("{}\n", metrics::to_json(comparison).dump(2));
    return {};
  }
  fmt::print("{}", analysis::render_text(
                       analysis::compare_table(comparison, fmt::format("{} against {}", args.first, args.second))));
  return {};
}

}  // namespace

void add_compare_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand("compare", "NPCR, UACI, MSE, PSNR and SSIM between two images");
  cmd->add_option("first", args->first, "An image file")->required();
  cmd->add_option("second", args->second, "An image file of the same geometry")->required();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args, &outcome] {
    Status s = run(*args, outcome);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
