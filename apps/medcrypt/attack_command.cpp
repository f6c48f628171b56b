// medcrypt attack NAME --scheme S --image F [-o RECOVERED] [--json]: a victim encrypts F under a random
// key; the attack, with the scheme only as an oracle under that key, reconstructs it (src/attacks/).
#include <algorithm>
#include <memory>
#include <regex>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attacks/attack.hpp"
#include "attacks/distinguisher.hpp"
#include "commands.hpp"
#include "image/image_file.hpp"

namespace medcrypt::cli {
namespace {

struct AttackArgs {
  std::string name;
  std::string scheme = "zigzag-gan:paper";
  std::string scheme_params;
  std::string image;
  std::string out;
  bool json = false;
  bool no_integrity = false;
  attacks::DistinguisherSetup distinguisher;
  std::vector<std::string> data;
  bool biased_control = false;
};

// run_distinguisher's messages name the fields of its setup ("distinguisher: images x side^2 would ..."); here
// each field is the flag of its name, so the subject of such a message names the flags instead.
Error naming_flags(Error error) {
  constexpr std::string_view kPrefix = "distinguisher: ";
  const std::size_t end = std::min(error.message.find(" must "), error.message.find(" would "));
  if (!error.message.starts_with(kPrefix) || end == std::string::npos) return error;
  static const std::regex kField(R"(\b(mode|images|side|epochs|data)\b)");
  const std::string subject = error.message.substr(kPrefix.size(), end - kPrefix.size());
  error.message = std::string(kPrefix) + std::regex_replace(subject, kField, "--$1") + error.message.substr(end);
  return error;
}

Status run_distinguisher(const AttackArgs& args, const schemes::Scheme* scheme) {
  attacks::DistinguisherSetup setup = args.distinguisher;
  setup.data.assign(args.data.begin(), args.data.end());
  auto report = attacks::run_distinguisher(scheme, setup);
  if (!report) return naming_flags(report.error());
  const attacks::DistinguisherReport& r = *report;
  if (args.json) {
    const nlohmann::json j = {{"attack", "distinguisher"}, {"scheme", r.scheme}, {"mode", r.mode},
                              {"train", r.train}, {"held_out", r.held_out}, {"correct", r.correct}, {"predicted_cipher", r.predicted_cipher},
                              {"accuracy", r.accuracy}, {"interval", {r.low, r.high}}, {"p_value", r.p_value},
                              {"side", setup.side}, {"epochs", setup.epochs}, {"epoch_loss", r.epoch_loss},
                              {"seconds", r.seconds}};
    fmt::print("{}\n", j.dump(2));
    return {};
  }
  fmt::print("distinguisher: {} ({} mode), {}x{} images\n", r.scheme, r.mode, setup.side, setup.side);
  fmt::print("trained on:    {} samples, tested on {} held-out samples\n", r.train, r.held_out);
  fmt::print("accuracy:      {:.4f} (95 % interval {:.4f}-{:.4f}), p = {:.3g} against guessing\n", r.accuracy, r.low,
             r.high, r.p_value);
  fmt::print("answers:       {} of {} held-out samples called the scheme's{}\n", r.predicted_cipher, r.held_out,
             r.predicted_cipher == 0 || r.predicted_cipher == r.held_out ? " (one answer for all: it found nothing)" : "");
  fmt::print("verdict:       {}\n", r.p_value < 0.001 ? "DETECTED: the network tells them apart"
                                                     : "not detected at this size (p >= 0.001)");
  fmt::print("time:          {:.1f} s\n", r.seconds);
  return {};
}

Status run(const AttackArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::SchemeParams params, schemes::parse_params(args.scheme_params));
  MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, schemes::builtin_registry().create(args.scheme, params));
  if (args.name == "distinguisher") return run_distinguisher(args, args.biased_control ? nullptr : scheme.get());
  if (args.image.empty()) return make_error(ErrorCode::kUsage, "attack " + args.name + " needs --image");
  MEDCRYPT_ASSIGN_OR_RETURN(image::LoadedImage loaded, image::read_image_file(args.image));
  const attacks::AttackOptions options{.integrity = !args.no_integrity};
  MEDCRYPT_ASSIGN_OR_RETURN(attacks::AttackReport r, attacks::run_attack(args.name, *scheme, loaded.image, options));
  if (!args.out.empty()) {
    // As the file came: DICOM with its attributes, PNG and TIFF as they are, JPEG as lossless PNG.
    const image::FileFormat format = loaded.format == image::FileFormat::kJpeg ? image::FileFormat::kPng : loaded.format;
    MEDCRYPT_TRY(image::write_image_file(args.out, r.recovered, format, loaded.dicom_attributes));
  }
  if (args.json) {
    nlohmann::json j = attacks::report_json(r, options);
    j["image"] = args.image;
    j["output"] = args.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(args.out);
    fmt::print("{}\n", j.dump(2));
    return {};
  }
  fmt::print("attack:    {} on {}, the victim's key unknown to it{}\n", r.attack, r.scheme,
             args.no_integrity ? ", no integrity check" : "");
  fmt::print("target:    {}\n", args.image);
  fmt::print("queries:   {} (besides the victim's encryption of the target)\n", r.queries);
  fmt::print("time:      {:.2f} s\n", r.seconds);
  if (r.exact) {
    fmt::print("recovered: the target, bit for bit\n");
  } else {
    fmt::print("recovered: nothing: NPCR {:.2f} % and PSNR {:.2f} dB against the target (a random image: 99.6 %)\n",
               r.npcr, r.psnr);
  }
  for (const auto& note : r.notes) fmt::print("  note: {}\n", note);
  if (!args.out.empty()) fmt::print("wrote {}\n", args.out);
  return {};
}

}  // namespace

void add_attack_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<AttackArgs>();
  CLI::App* cmd = app.add_subcommand("attack", "Run an attack on a scheme's cipher: the scheme only as an oracle under "
                                               "a key the attack never sees");
  cmd->add_option("name", args->name, "known-plaintext, chosen-plaintext, key-search, chosen-ciphertext or distinguisher")->required();
  cmd->add_option("--scheme", args->scheme, "Scheme attacked")->capture_default_str();
  cmd->add_option("--scheme-params", args->scheme_params, "Scheme parameters, key=value;key=value");
  cmd->add_option("--image", args->image, "The target a victim encrypts (every attack but distinguisher)");
  cmd->add_option("-o,--output", args->out, "Write the attacker's reconstruction here, in the target's format");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_option("--mode", args->distinguisher.mode, "distinguisher: cipher, plain or key")->capture_default_str();
  cmd->add_option("--data", args->data, "distinguisher: folders of plain images (repeatable)");
  cmd->add_option("--images", args->distinguisher.images, "distinguisher: samples of each label")->capture_default_str();
  cmd->add_option("--side", args->distinguisher.side, "distinguisher: image side")->capture_default_str();
  cmd->add_option("--epochs", args->distinguisher.epochs, "distinguisher: training epochs")->capture_default_str();
  cmd->add_flag("--biased-control", args->biased_control,
                "distinguisher: judge a biased random source (top bit set with probability 0.6) instead of a scheme");
  cmd->add_flag("--no-integrity", args->no_integrity,
                "Decrypt forged cipher images as the papers' systems do (no container integrity check)");
  cmd->callback([args, &outcome] {
    Status s = run(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
