// medcrypt encrypt IN... -o OUT (--to NAME.pub... | --key FILE) [--sign NAME.key] [--scheme S]
#include <fmt/format.h>

#include "commands.hpp"
#include "crypto/aead.hpp"
#include "pipeline/file_crypt.hpp"

namespace medcrypt::cli {
namespace {

struct EncryptArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::vector<std::string> to;
  std::string key_file;
  std::string sign_key;
  std::string passphrase_file;
  std::string scheme = "aead";
  std::string scheme_params;
  RoiOptions roi;
  std::string aead = "aes-256-gcm";
  std::string cipher_image;
  unsigned chunk_kib = 256;
  unsigned jobs = 0;
  bool quiet = false;
};

Status run(const EncryptArgs& args, Outcome& outcome) {
  pipeline::EncryptOptions opt;
  opt.scheme = args.scheme;
  MEDCRYPT_ASSIGN_OR_RETURN(opt.scheme_params, schemes::parse_params(args.scheme_params));
  MEDCRYPT_TRY(apply_roi_options(args.roi, opt.scheme_params));
  // Fail on a bad scheme or parameters before reading any image. aead's only choice, its cipher, is --aead.
  if (auto scheme = pipeline::scheme_for_sending(opt.scheme, opt.scheme_params); !scheme) {
    if (opt.scheme != "aead") return scheme.error();
    return make_error(scheme.error().code, scheme.error().message + "; choose the cipher with --aead");
  }
  auto aead = crypto::parse_aead_name(args.aead);
  if (!aead) return make_error(ErrorCode::kUsage, fmt::format("unknown AEAD '{}'", args.aead));
  opt.seal.aead = *aead;
  if (args.chunk_kib < 4 || args.chunk_kib > 65536 || (args.chunk_kib & (args.chunk_kib - 1)) != 0) {
    return make_error(ErrorCode::kUsage, "--chunk-kib must be a power of two from 4 to 65536");
  }
  opt.seal.chunk_log2 = static_cast<std::uint8_t>(std::countr_zero(args.chunk_kib) + 10);
  opt.seal.threads = threads_from_jobs(args.jobs);

  SecretBytes shared_key;
  if (!args.key_file.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(shared_key, load_shared_key(args.key_file));
    opt.recipients = container::Recipients::shared_key(shared_key);
  } else {
    std::vector<crypto::PublicIdentity> to;
    for (const auto& pub : args.to) {
      MEDCRYPT_ASSIGN_OR_RETURN(crypto::PublicIdentity id, crypto::load_public_identity(pub));
      to.push_back(std::move(id));
    }
    opt.recipients = container::Recipients::identities(std::move(to));
  }
  std::optional<crypto::Identity> signer;
  if (!args.sign_key.empty()) {
    std::optional<std::filesystem::path> pass;
    if (!args.passphrase_file.empty()) pass = args.passphrase_file;
    MEDCRYPT_ASSIGN_OR_RETURN(signer, load_identity(args.sign_key, pass));
    opt.seal.signer = &*signer;
  }

  MEDCRYPT_ASSIGN_OR_RETURN(auto inputs, collect_inputs(args.inputs));
  const bool to_directory = output_is_directory(args.inputs);
  if (to_directory) {
    if (!args.cipher_image.empty()) {
      return make_error(ErrorCode::kUsage, "--emit-cipher-image takes one input file");
    }
    // The output keeps the input's tree, so that IM00001 of one series never replaces another's.
    MEDCRYPT_TRY(check_distinct_outputs(inputs));
    std::error_code ec;
    std::filesystem::create_directories(args.output, ec);
    if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}", args.output, ec.message()));
  }
  if (!args.cipher_image.empty()) opt.cipher_image_png = args.cipher_image;

  ProgressBar bar("encrypt", inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i].path;
    std::filesystem::path out = args.output;
    if (to_directory) {
      out /= inputs[i].relative.string() + ".mct";
      std::error_code ec;
      std::filesystem::create_directories(out.parent_path(), ec);
      if (ec) {
        outcome.fail(make_error(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}",
                                                            out.parent_path().string(), ec.message())), in.string());
        continue;
      }
    }
    opt.seal.progress = [&](std::uint64_t done, std::uint64_t total) {
      bar.update(i, fmt::format("{} {:.0f}%", in.filename().string(), 100.0 * done / std::max<std::uint64_t>(total, 1)));
    };
    auto report = pipeline::encrypt_file(in, out, opt, to_directory ? inputs[i].relative.parent_path() : "");
    if (!report) {
      outcome.fail(report.error(), in.string());
      continue;
    }
    bar.update(i + 1);
    if (!args.quiet) {
      bar.finish();
      fmt::print("{} -> {} ({}x{}x{}, {} bits, scheme {}, {} bytes, {:.1f} ms)\n", in.string(), out.string(),
                 report->geometry.width, report->geometry.height, report->geometry.frames,
                 report->geometry.bits_stored, args.scheme, report->container_bytes, report->encrypt_ms);
      for (const auto& note : report->notes) fmt::print("  note: {}\n", note);
    }
  }
  return {};
}

}  // namespace

void add_encrypt_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<EncryptArgs>();
  CLI::App* cmd = app.add_subcommand("encrypt", "Encrypt images (DICOM, PNG, JPEG, TIFF) into .mct containers");
  cmd->add_option("inputs", args->inputs, "Image files or directories")->required();
  cmd->add_option("-o,--output", args->output,
                  "Output file (one input) or directory (several inputs or a directory)")->required();
  auto to = cmd->add_option("--to", args->to, "Recipient public identity NAME.pub (repeatable)");
  auto key = cmd->add_option("--key", args->key_file, "Shared 32-byte key file instead of recipients");
  to->excludes(key);
  cmd->add_option("--sign", args->sign_key, "Sign with this identity key NAME.key");
  cmd->add_option("--passphrase-file", args->passphrase_file, "Passphrase for the --sign key");
  cmd->add_option("--scheme", args->scheme, "Scheme (see `medcrypt schemes`)")->capture_default_str();
  cmd->add_option("--scheme-params", args->scheme_params, "Scheme parameters, key=value;key=value");
  add_roi_options(cmd, args->roi);
  cmd->add_option("--aead", args->aead, "aes-256-gcm or chacha20-poly1305")->capture_default_str();
  cmd->add_option("--chunk-kib", args->chunk_kib, "AEAD chunk size in KiB (power of two)")->capture_default_str();
  cmd->add_option("--emit-cipher-image", args->cipher_image, "Also write the cipher image as PNG (one input)");
  cmd->add_option("-j,--jobs", args->jobs, "Threads (0: all)")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
  cmd->callback([args, &outcome] {
    if (args->to.empty() && args->key_file.empty()) {
      outcome.fail(make_error(ErrorCode::kUsage, "give recipients with --to NAME.pub or a shared key with --key FILE"));
      return;
    }
    Status s = run(*args, outcome);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
