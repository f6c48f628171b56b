// medcrypt keygen NAME [-o DIR] [--passphrase-file F]  |  medcrypt keygen --symmetric FILE
#include <fmt/format.h>

#include "commands.hpp"
#include "core/file_io.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/random.hpp"


namespace medcrypt::cli {
namespace {

struct KeygenArgs {
  std::string name;
  std::string dir = ".";
  std::string passphrase_file;
  std::string symmetric;
};

// Key files are never overwritten: a lost key cannot be recovered. This early check gives the plain
// message; the writes below refuse a name taken meanwhile (another keygen, a dangling link) by themselves.
Status refuse_existing(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ec))) {
    return make_error(ErrorCode::kIo, fmt::format("{} exists; remove it first to make a new key", path.string()));
  }
  return {};
}

Status run(const KeygenArgs& args) {
  if (!args.symmetric.empty()) {
    MEDCRYPT_TRY(refuse_existing(args.symmetric));
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_secret(crypto::kSharedKeyBytes));
    MEDCRYPT_TRY(write_file_atomic(args.symmetric, key.span(), 0600, false));
    fmt::print("wrote shared key {} (32 bytes, mode 0600)\n", args.symmetric);
    return {};
  }
  if (args.name.empty() || args.name.find_first_of("/\\") != std::string::npos) {
    return make_error(ErrorCode::kUsage, "give a plain NAME for the identity (no path separators; use -o DIR)");
  }
  std::filesystem::path dir(args.dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}", args.dir, ec.message()));
  auto key_path = dir / (args.name + ".key");
  auto pub_path = dir / (args.name + ".pub");
  MEDCRYPT_TRY(refuse_existing(key_path));
  MEDCRYPT_TRY(refuse_existing(pub_path));

  std::optional<std::string> passphrase;
  if (!args.passphrase_file.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(passphrase, crypto::load_passphrase(args.passphrase_file));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Identity id, crypto::generate_identity(args.name));
  MEDCRYPT_ASSIGN_OR_RETURN(std::string private_pem,
                            crypto::private_identity_pem(id, passphrase ? std::optional<std::string_view>(*passphrase)
                                                                        : std::nullopt));
  std::string public_pem = crypto::public_identity_pem(id.public_identity);
  MEDCRYPT_TRY(write_file_atomic(key_path, as_bytes(private_pem), 0600, false));
  secure_wipe(private_pem);
  MEDCRYPT_TRY(write_file_atomic(pub_path, as_bytes(public_pem), 0644, false));
  fmt::print("wrote {} (private, mode 0600{}) and {}\nfingerprint {}\n", key_path.string(),
             passphrase ? ", passphrase-protected" : "", pub_path.string(), to_hex(id.public_identity.fingerprint()));
  return {};
}

}  // namespace

void add_keygen_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<KeygenArgs>();
  CLI::App* cmd = app.add_subcommand("keygen", "Make an identity (NAME.key, NAME.pub) or a shared key file");
  auto name = cmd->add_option("name", args->name, "Identity name: writes NAME.key and NAME.pub");
  cmd->add_option("-o,--output-dir", args->dir, "Directory for the key files")->capture_default_str();
  cmd->add_option("--passphrase-file", args->passphrase_file, "Encrypt NAME.key with the passphrase in this file");
  auto sym = cmd->add_option("--symmetric", args->symmetric, "Write a random 32-byte shared key to FILE instead");
  name->excludes(sym);
  cmd->callback([args, &outcome] {
    if (args->name.empty() && args->symmetric.empty()) {
      outcome.fail(make_error(ErrorCode::kUsage, "give an identity NAME or --symmetric FILE"));
      return;
    }
    Status s = run(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
