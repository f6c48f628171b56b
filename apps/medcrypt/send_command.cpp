// medcrypt send FILE|DIR... --to NAME.pub... --sign NAME.key --server URL --cert C --cert-key K --ca CA:
// encrypts and signs each image for its recipients and uploads it to the relay, resuming after network
// errors. The relay takes only containers signed by an identity its client certificate names.
#include <stdlib.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "net/relay_client.hpp"
#include "pipeline/file_crypt.hpp"

namespace medcrypt::cli {
namespace {

struct SendArgs {
  std::vector<std::string> inputs;
  std::vector<std::string> to;
  std::string sign_key;
  std::string passphrase_file;
  std::string server;
  net::TlsFiles tls;
  std::string scheme = "aead";
  unsigned jobs = 0;
  bool quiet = false;
};

// A private folder for the containers on their way out, removed afterwards.
class TempDir {
 public:
  static Result<TempDir> create() {
    std::string pattern = (std::filesystem::temp_directory_path() / "medcrypt-send-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return make_error(ErrorCode::kIo, fmt::format("{}: cannot create a temporary folder", pattern));
    }
    return TempDir(pattern);
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

Status run(const SendArgs& args, Outcome& outcome) {
  pipeline::EncryptOptions opt;
  opt.scheme = args.scheme;
  MEDCRYPT_TRY(pipeline::scheme_for_sending(opt.scheme, opt.scheme_params));
  opt.seal.threads = threads_from_jobs(args.jobs);
  std::vector<crypto::PublicIdentity> to;
  for (const auto& pub : args.to) {
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::PublicIdentity id, crypto::load_public_identity(pub));
    to.push_back(std::move(id));
  }
  opt.recipients = container::Recipients::identities(std::move(to));
  std::optional<std::filesystem::path> pass;
  if (!args.passphrase_file.empty()) pass = args.passphrase_file;
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Identity signer, load_identity(args.sign_key, pass));
  opt.seal.signer = &signer;
  MEDCRYPT_ASSIGN_OR_RETURN(auto inputs, collect_inputs(args.inputs));
  MEDCRYPT_ASSIGN_OR_RETURN(net::RelayClient client, net::RelayClient::create(args.server, args.tls));
  MEDCRYPT_ASSIGN_OR_RETURN(TempDir temp, TempDir::create());

  for (const auto& input : inputs) {
    const auto& in = input.path;
    auto sealed = temp.path() / (in.filename().string() + ".mct");
    // The recipient rebuilds the folder tree from the sealed folder name.
    auto report = pipeline::encrypt_file(in, sealed, opt, input.relative.parent_path());
    if (!report) {
      outcome.fail(report.error(), in.string());
      continue;
    }
    ProgressBar bar("send " + in.filename().string(), report->container_bytes);
    auto receipt = client.upload(sealed,
                                 [&bar](std::uint64_t done, std::uint64_t) { bar.update(done); });
    bar.finish();
    std::filesystem::remove(sealed);
    if (!receipt) {
      outcome.fail(receipt.error(), in.string());
      // Without the relay nothing else can go: stop rather than fail every file the same way.
      if (receipt.error().code == ErrorCode::kIo || receipt.error().code == ErrorCode::kBadKey) return {};
      continue;
    }
    if (!args.quiet) {
      fmt::print("{} -> {} ({} bytes, {:.1f} ms to encrypt)\n", in.string(), receipt->digest, receipt->size,
                 report->encrypt_ms);
    }
  }
  return {};
}

}  // namespace

void add_send_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<SendArgs>();
  CLI::App* cmd = app.add_subcommand("send", "Encrypt, sign and upload images to a relay");
  cmd->add_option("inputs", args->inputs, "Image files or directories")->required();
  cmd->add_option("--to", args->to, "Recipient public identity NAME.pub (repeatable)")->required();
  cmd->add_option("--sign", args->sign_key, "Sender identity NAME.key; the client certificate must name it")
      ->required();
  cmd->add_option("--passphrase-file", args->passphrase_file, "Passphrase for the --sign key");
  cmd->add_option("--server", args->server, "Relay URL, https://HOST:PORT")->required();
  cmd->add_option("--cert", args->tls.cert, "Client certificate (PEM)")->required();
  cmd->add_option("--cert-key", args->tls.key, "Client certificate's private key (PEM)")->required();
  cmd->add_option("--ca", args->tls.ca, "CA certificate the relay's certificate must chain to")->required();
  cmd->add_option("--scheme", args->scheme, "Scheme (see `medcrypt schemes`)")->capture_default_str();
  cmd->add_option("-j,--jobs", args->jobs, "Threads for encryption (0: all)")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
  cmd->callback([args, &outcome] {
    if (Status s = run(*args, outcome); !s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
