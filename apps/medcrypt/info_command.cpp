// medcrypt info FILE [--json]: what a container says about itself, readable without any key.
#include <fmt/format.h>

#include "commands.hpp"
#include "container/container.hpp"
#include "container/describe.hpp"

namespace medcrypt::cli {
namespace {

Status run(const std::string& path, bool json, Outcome& /*outcome*/) {
  MEDCRYPT_ASSIGN_OR_RETURN(container::FileSource source, container::FileSource::open(path));
  MEDCRYPT_ASSIGN_OR_RETURN(container::Header h, container::verify_signature_only(source, false));
  const std::string text = json ? container::describe_json(h, path, source.size())
                                : container::describe_text(h, path, source.size());
  fmt::print("{}", text);
  return {};
}

}  // namespace

void add_info_command(CLI::App& app, Outcome& outcome) {
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("info", "Show a container's header and check its structure and signature");
  cmd->add_option("file", *path, "A .mct container")->required();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([path, json, &outcome] {
    Status s = run(*path, *json, outcome);
    if (!s) outcome.fail(s.error(), *path);
  });
}

}  // namespace medcrypt::cli
