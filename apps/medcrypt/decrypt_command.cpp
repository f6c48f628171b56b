// medcrypt decrypt IN... -o OUT (--identity NAME.key | --key FILE) [--from NAME.pub]
#include <fmt/format.h>

#include "commands.hpp"
#include "pipeline/file_crypt.hpp"

namespace medcrypt::cli {
namespace {

struct DecryptArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string identity;
  std::string passphrase_file;
  std::string key_file;
  std::string from;
  unsigned jobs = 0;
  bool quiet = false;
};

// The library says which kind of key a container needs; the command names the option that gives it.
Error with_key_option(Error error) {
  if (error.message.find("encrypted with a shared key, not to identities") != std::string::npos) {
    error.message += " (give --key FILE)";
  } else if (error.message.find("addressed to identities, not to a shared key") != std::string::npos) {
    error.message += " (give --identity NAME.key)";
  }
  return error;
}

Status run(const DecryptArgs& args, Outcome& outcome) {
  pipeline::DecryptOptions opt;
  opt.open.threads = threads_from_jobs(args.jobs);
  SecretBytes shared_key;
  std::optional<crypto::Identity> identity;
  if (!args.key_file.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(shared_key, load_shared_key(args.key_file));
    opt.keys = container::OpenKeys::shared_key(shared_key);
  } else {
    std::optional<std::filesystem::path> pass;
    if (!args.passphrase_file.empty()) pass = args.passphrase_file;
    MEDCRYPT_ASSIGN_OR_RETURN(identity, load_identity(args.identity, pass));
    opt.keys = container::OpenKeys::identity(*identity);
  }
  if (!args.from.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::PublicIdentity sender, crypto::load_public_identity(args.from));
    opt.open.expected_signer = sender;
  }

  MEDCRYPT_ASSIGN_OR_RETURN(auto inputs, collect_inputs(args.inputs, ".mct"));
  const bool to_directory = output_is_directory(args.inputs);
  if (to_directory) {
    std::error_code ec;
    std::filesystem::create_directories(args.output, ec);
    if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}", args.output, ec.message()));
  }

  ProgressBar bar("decrypt", inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i].path;
    opt.open.progress = [&](std::uint64_t done, std::uint64_t total) {
      bar.update(i, fmt::format("{} {:.0f}%", in.filename().string(), 100.0 * done / std::max<std::uint64_t>(total, 1)));
    };
    auto report = pipeline::decrypt_file(in, args.output, to_directory, opt);
    if (!report) {
      outcome.fail(with_key_option(report.error()), in.string());
      continue;
    }
    bar.update(i + 1);
    if (args.quiet) continue;
    bar.finish();
    const auto& h = report->header;
    std::string signer = h.is_signed ? fmt::format(", signed by {}", to_hex(ByteView(h.signer).first(8))) : "";
    fmt::print("{} -> {} (scheme {}@{}{}{})\n", in.string(), report->output.string(), h.scheme_name,
               h.scheme_version, h.lossless ? "" : ", LOSSY", signer);
    if (!h.lossless) {
      fmt::print("  note: scheme {} is lossy: the decrypted pixels approximate the original, not equal it\n",
                 h.scheme_name);
    }
    if (report->metadata.format == "jpeg") {
      fmt::print("  note: the JPEG original is restored as PNG with the same decoded pixels\n");
    }
  }
  return {};
}

}  // namespace

void add_decrypt_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<DecryptArgs>();
  CLI::App* cmd = app.add_subcommand("decrypt", "Verify and decrypt .mct containers back to image files");
  cmd->add_option("inputs", args->inputs, "Containers or directories of .mct files")->required();
  cmd->add_option("-o,--output", args->output,
                  "Output file (one input) or directory (several inputs or a directory)")->required();
  auto id = cmd->add_option("--identity", args->identity, "Your identity key NAME.key");
  auto key = cmd->add_option("--key", args->key_file, "Shared 32-byte key file");
  id->excludes(key);
  cmd->add_option("--passphrase-file", args->passphrase_file, "Passphrase for the identity key");
  cmd->add_option("--from", args->from, "Require a valid signature by this sender NAME.pub");
  cmd->add_option("-j,--jobs", args->jobs, "Threads (0: all)")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
  cmd->callback([args, &outcome] {
    if (args->identity.empty() && args->key_file.empty()) {
      outcome.fail(make_error(ErrorCode::kUsage, "give your identity with --identity NAME.key or a shared key with --key FILE"));
      return;
    }
    Status s = run(*args, outcome);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
