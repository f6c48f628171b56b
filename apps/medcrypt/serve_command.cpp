// medcrypt serve --listen ADDR:PORT --data DIR --cert C --cert-key K --ca CA [--config FILE]
//                [--he [--he-model M]]: the relay, in the foreground, logging JSON lines on stderr, until
// SIGTERM or SIGINT. --he also serves encrypted inference with a classifier's last layer.
#include <csignal>

#include <fmt/format.h>

#include "commands.hpp"
#include "he_command.hpp"
#include "net/relay_server.hpp"

namespace medcrypt::cli {
namespace {

struct ServeArgs {
  net::RelayOptions relay;
  std::string config;
  bool he = false;
  std::string he_model;
};

Status run(ServeArgs& args) {
  if (!args.config.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(args.relay.config, relay::load_relay_config(args.config));
  }
  if (args.he || !args.he_model.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(he::QuantizedHead head, load_quantized_head(args.he_model));
    args.relay.inference = std::make_shared<relay::InferenceService>(std::move(head), 0);
  }
  // Blocked before the server's threads start, so that they inherit the mask and only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<net::RelayServer> server, net::RelayServer::start(args.relay));
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->shutdown();
  return {};
}

}  // namespace

void add_serve_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the relay: HTTPS with mutual TLS, stores ciphertext only");
  cmd->add_option("--listen", args->relay.listen, "ADDR:PORT to listen on")->capture_default_str();
  cmd->add_option("--data", args->relay.data_dir, "Data folder: messages, uploads, SQLite index")->required();
  cmd->add_option("--cert", args->relay.tls.cert, "Server certificate (PEM)")->required();
  cmd->add_option("--cert-key", args->relay.tls.key, "Server certificate's private key (PEM)")->required();
  cmd->add_option("--ca", args->relay.tls.ca, "CA certificate that client certificates must chain to")->required();
  cmd->add_option("--config", args->config, "JSON configuration: store and limits (docs/DEPLOY.md)");
  cmd->add_option("--log", args->relay.log_file, "Append the log to this file instead of stderr");
  cmd->add_flag("--he", args->he, "Also serve encrypted inference (POST /v1/he/evaluate) with the shipped classifier");
  cmd->add_option("--he-model", args->he_model, "Serve encrypted inference with this classifier's last layer");
  cmd->callback([args, &outcome] {
    if (Status s = run(*args); !s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
