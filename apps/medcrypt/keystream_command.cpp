// medcrypt keystream --scheme S --bytes N [--side PIXELS]: a scheme's keystream on stdout (attacks/keystream.hpp), for
// `dieharder -g 200` to read.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "attacks/keystream.hpp"
#include "commands.hpp"

namespace medcrypt::cli {
namespace {

struct KeystreamArgs {
  std::string scheme = "aead";
  std::string scheme_params;
  std::uint64_t bytes = 0;
  std::uint32_t side = attacks::kKeystreamImageSide;
};

Status run(const KeystreamArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::SchemeParams params, schemes::parse_params(args.scheme_params));
  MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, schemes::builtin_registry().create(args.scheme, params));
  return attacks::write_keystream(*scheme, args.bytes, args.side, [](ByteView chunk) -> Status {
    if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size() || std::fflush(stdout) != 0) {
      return make_error(ErrorCode::kIo, "stdout: write failed (the reader closed it?)");
    }
    return {};
  });
}

}  // namespace

void add_keystream_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<KeystreamArgs>();
  CLI::App* cmd = app.add_subcommand("keystream", "Write a scheme's keystream (its cipher images of blank images, one "
                                                  "key, a new message each) to stdout, for dieharder -g 200");
  cmd->add_option("--scheme", args->scheme, "Scheme")->capture_default_str();
  cmd->add_option("--scheme-params", args->scheme_params, "Scheme parameters, key=value;key=value");
  cmd->add_option("--bytes", args->bytes, "How many bytes")->required()->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  cmd->add_option("--side", args->side,
                  fmt::format("The blank images' side, {} to {} pixels: one message per side x side bytes",
                              attacks::kKeystreamMinSide, attacks::kKeystreamMaxSide))
      ->capture_default_str();
  cmd->callback([args, &outcome] {
    Status s = run(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
