// medcrypt schemes: the registered schemes, what they are, and what they do not protect.
#include <fmt/format.h>

#include "commands.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::cli {

void add_schemes_command(CLI::App& app, Outcome& /*outcome*/) {
  CLI::App* cmd = app.add_subcommand("schemes", "List the encryption schemes with their security notes");
  cmd->callback([] {
    for (const auto& info : schemes::builtin_registry().list()) {
      fmt::print("{}@{}  {}{}\n    {}\n    key space {:.0f} bits; {}\n", info.name, info.version,
                 info.lossless ? "lossless" : "LOSSY", info.exports_cipher_image ? ", exports a cipher image" : "",
                 info.summary, info.key_space_bits, info.security_note);
    }
  });
}

}  // namespace medcrypt::cli
