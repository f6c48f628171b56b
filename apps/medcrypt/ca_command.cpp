// medcrypt ca init DIR | medcrypt ca issue DIR NAME (--server HOST... | --identity NAME.pub...): a small
// certificate authority for the relay's mutual TLS.
#include <fmt/format.h>

#include "commands.hpp"
#include "net/pki.hpp"

namespace medcrypt::cli {
namespace {

struct CaArgs {
  std::string dir;
  std::string name;
  std::string ca_name = "medcrypt relay CA";
  std::vector<std::string> servers;
  std::vector<std::string> identities;
  int days = 0;  // 0: the default of each kind
};

Status init(const CaArgs& args) {
  net::CaOptions opt;
  opt.name = args.ca_name;
  if (args.days > 0) opt.days = args.days;
  MEDCRYPT_TRY(net::ca_init(args.dir, opt));
  fmt::print("wrote {0}/ca.crt and {0}/ca.key (private, mode 0600), valid {1} days\n", args.dir, opt.days);
  return {};
}

Status issue(const CaArgs& args) {
  net::IssueOptions opt;
  opt.name = args.name;
  opt.server_hosts = args.servers;
  if (args.days > 0) opt.days = args.days;
  for (const auto& pub : args.identities) {
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::PublicIdentity id, crypto::load_public_identity(pub));
    opt.identities.push_back(std::move(id));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(net::IssuedFiles files, net::ca_issue(args.dir, opt));
  fmt::print("wrote {} and {} (private, mode 0600), valid {} days\n", files.cert.string(), files.key.string(), opt.days);
  for (const auto& id : opt.identities) {
    fmt::print("  identity {} {}\n", id.name.empty() ? "?" : id.name, to_hex(id.fingerprint()));
  }
  for (const auto& host : opt.server_hosts) fmt::print("  server {}\n", host);
  return {};
}

}  // namespace

void add_ca_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<CaArgs>();
  CLI::App* ca = app.add_subcommand("ca", "A certificate authority for the relay's mutual TLS");
  ca->require_subcommand(1);

  CLI::App* init_cmd = ca->add_subcommand("init", "Make DIR/ca.crt and DIR/ca.key (ECDSA P-256, self-signed)");
  init_cmd->add_option("dir", args->dir, "Directory of the CA")->required();
  init_cmd->add_option("--name", args->ca_name, "The CA's name (Common Name)")->capture_default_str();
  init_cmd->add_option("--days", args->days, "Validity in days (default 3650)");
  init_cmd->callback([args, &outcome] {
    if (Status s = init(*args); !s) outcome.fail(s.error());
  });

  CLI::App* issue_cmd = ca->add_subcommand("issue", "Issue DIR/NAME.crt and DIR/NAME.key for a server or a client");
  issue_cmd->add_option("dir", args->dir, "Directory of the CA")->required();
  issue_cmd->add_option("name", args->name, "Certificate name: Common Name and file names")->required();
  auto server = issue_cmd->add_option("--server", args->servers, "A server certificate for this host name or IP "
                                                                  "(repeatable)");
  auto identity = issue_cmd->add_option("--identity", args->identities,
                                        "A client certificate for this identity NAME.pub (repeatable)");
  server->excludes(identity);
  issue_cmd->add_option("--days", args->days, "Validity in days (default 365)");
  issue_cmd->callback([args, &outcome] {
    if (args->servers.empty() && args->identities.empty()) {
      outcome.fail(make_error(ErrorCode::kUsage, "give --server HOST or --identity NAME.pub"));
      return;
    }
    if (Status s = issue(*args); !s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
