// medcrypt roi IMAGE -o MASK.png [--kind KIND | --model FILE]: writes paper 000's ROI network's mask of a
// grey image at the image's own size (255 = region of interest, 0 elsewhere), so that a user sees what the
// planner will protect. The PNG appears only when complete.
#include <fmt/format.h>

#include "commands.hpp"
#include "image/image_file.hpp"
#include "nn/roi.hpp"

namespace medcrypt::cli {
namespace {

struct RoiArgs {
  std::string image;
  std::string out;
  std::string model;
  std::string kind;
};

Status run(const RoiArgs& args) {
  if (args.model.empty() == args.kind.empty()) return make_error(ErrorCode::kUsage, "roi: give --kind or --model (one of them)");
  auto loaded = image::read_image_file(args.image);
  if (!loaded) return make_error(loaded.error().code, args.image + ": " + loaded.error().message);
  MEDCRYPT_ASSIGN_OR_RETURN(nn::RoiModel model, args.model.empty() ? nn::RoiModel::for_kind(args.kind) : nn::RoiModel::load(args.model));
  auto mask = model.predict(loaded->image);
  if (!mask) return make_error(mask.error().code, args.image + ": " + mask.error().message);
  image::Geometry g;
  g.width = mask->width;
  g.height = mask->height;
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image out, image::Image::create(g));
  for (std::size_t i = 0; i < mask->mask.size(); ++i) out.set_word(i, mask->mask[i] != 0 ? 255u : 0u);
  MEDCRYPT_TRY(image::write_image_file(args.out, out, image::FileFormat::kPng));
  fmt::print("{}: {}x{}, {} network, region of interest {:.1f}% of the pixels (confidence {:.3f}); wrote {}\n", args.image,
             g.width, g.height, model.kind(), 100 * mask->coverage, mask->confidence, args.out);
  return {};
}

}  // namespace

void add_roi_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<RoiArgs>();
  CLI::App* cmd = app.add_subcommand("roi", "Write the ROI network's mask of a grey image (255 = region of interest)");
  cmd->add_option("image", args->image, "A grey image (DICOM, PNG, JPEG, TIFF)")->required();
  cmd->add_option("-o,--out", args->out, "Mask PNG to write")->required();
  cmd->add_option("--kind", args->kind, "Use the shipped network for this image kind (lung, brain-tumour)");
  cmd->add_option("--model", args->model, "Use this ROI weights file");
  cmd->callback([args, &outcome] {
    Status s = run(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
