// medcrypt receive --server URL --cert C --cert-key K --ca CA --identity NAME.key -o DIR [--from NAME.pub]
// [--forward URL] [--watch]: downloads what is addressed to the identity, verifies and decrypts it, writes
// each file under its original name (and forwards DICOM to a PACS), and only then acknowledges it.
#include <atomic>
#include <csignal>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "net/pacs.hpp"
#include "net/relay_client.hpp"
#include "pipeline/file_crypt.hpp"

namespace medcrypt::cli {
namespace {

struct ReceiveArgs {
  std::string server;
  net::TlsFiles tls;
  std::string identity;
  std::string passphrase_file;
  std::string output;
  std::string from;
  std::string forward;
  bool watch = false;
  unsigned interval = 5;
  unsigned jobs = 0;
  bool quiet = false;
};

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct Receiver {
  const ReceiveArgs& args;
  Outcome& outcome;
  net::RelayClient& client;
  pipeline::DecryptOptions decrypt;
  std::optional<std::string> from_fingerprint;
  std::optional<net::Url> forward;
  std::filesystem::path incoming;  // DIR/.medcrypt-incoming: containers on their way in
  std::set<std::string> failed;    // messages that failed here once are not tried again by this process

  // One message: download, verify and decrypt, deliver, acknowledge. Returns false if it stayed.
  bool receive(const net::InboxMessage& m) {
    auto sealed = incoming / (m.digest + ".mct");
    ProgressBar bar("receive " + m.digest.substr(0, 12), m.size);
    Status got = client.download(m.digest, sealed, [&bar](std::uint64_t done, std::uint64_t) { bar.update(done); });
    bar.finish();
    if (!got) return fail(m, got.error());
    auto report = pipeline::decrypt_file(sealed, args.output, true, decrypt);
    std::filesystem::remove(sealed);
    if (!report) return fail(m, report.error());
    std::string delivered = report->output.string();
    if (forward) {
      if (report->metadata.format != "dicom") {
        fmt::print(stderr, "medcrypt: note: {} is not DICOM: kept in {}, not forwarded\n",
                   report->output.filename().string(), args.output);
      } else if (Status s = net::forward_to_pacs(*forward, report->output); !s) {
        return fail(m, s.error());  // not acknowledged: the next run tries again
      } else {
        delivered += fmt::format(" and {}://{}:{}", forward->scheme, forward->host, forward->port);
      }
    }
    if (Status s = client.acknowledge(m.digest); !s) return fail(m, s.error());
    if (!args.quiet) {
      fmt::print("{} from {} -> {}\n", m.digest.substr(0, 16), m.sender.substr(0, 16), delivered);
      std::fflush(stdout);
    }
    return true;
  }

  bool fail(const net::InboxMessage& m, const Error& e) {
    failed.insert(m.digest);
    outcome.fail(e, "message " + m.digest.substr(0, 16));
    return false;
  }

  // One page of the inbox; true if there may be more to take now. A network failure ends the round.
  Result<bool> round() {
    constexpr std::size_t kPage = 1000;
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<net::InboxMessage> inbox, client.inbox(kPage));
    bool took = false;
    for (const auto& m : inbox) {
      if (g_stop) break;
      if (failed.contains(m.digest)) continue;
      if (from_fingerprint && m.sender != *from_fingerprint) continue;  // left for another receiver
      took = receive(m) || took;
    }
    return took && inbox.size() == kPage;
  }
};

Status run(const ReceiveArgs& args, Outcome& outcome) {
  std::optional<std::filesystem::path> pass;
  if (!args.passphrase_file.empty()) pass = args.passphrase_file;
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Identity me, load_identity(args.identity, pass));
  MEDCRYPT_ASSIGN_OR_RETURN(net::RelayClient client, net::RelayClient::create(args.server, args.tls));
  Receiver r{args, outcome, client, {}, {}, {}, std::filesystem::path(args.output) / ".medcrypt-incoming", {}};
  r.decrypt.keys.identity = &me;
  r.decrypt.open.threads = threads_from_jobs(args.jobs);
  if (!args.from.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::PublicIdentity sender, crypto::load_public_identity(args.from));
    r.decrypt.open.expected_signer = sender.ed25519;
    r.from_fingerprint = to_hex(sender.fingerprint());
  }
  if (!args.forward.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(r.forward, net::parse_pacs_url(args.forward));
  }
  std::error_code ec;
  std::filesystem::create_directories(r.incoming, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot create: {}", r.incoming.string(), ec.message()));

  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  Status result;
  while (!g_stop) {
    auto more = r.round();
    if (!more && !args.watch) {
      result = more.error();
      break;
    }
    if (!more) outcome.fail(more.error());  // watching: report and keep polling
    if (more && *more) continue;
    if (!args.watch) break;
    for (unsigned t = 0; !g_stop && t < args.interval * 10; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::filesystem::remove_all(r.incoming, ec);
  return result;
}

}  // namespace

void add_receive_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<ReceiveArgs>();
  CLI::App* cmd = app.add_subcommand("receive", "Download, verify, decrypt and acknowledge what a relay holds for you");
  cmd->add_option("--server", args->server, "Relay URL, https://HOST:PORT")->required();
  cmd->add_option("--cert", args->tls.cert, "Client certificate (PEM)")->required();
  cmd->add_option("--cert-key", args->tls.key, "Client certificate's private key (PEM)")->required();
  cmd->add_option("--ca", args->tls.ca, "CA certificate the relay's certificate must chain to")->required();
  cmd->add_option("--identity", args->identity, "Recipient identity NAME.key")->required();
  cmd->add_option("--passphrase-file", args->passphrase_file, "Passphrase for the identity key");
  cmd->add_option("-o,--output", args->output, "Directory for the decrypted files (original names)")->required();
  cmd->add_option("--from", args->from, "Take only containers signed by this sender NAME.pub");
  cmd->add_option("--forward", args->forward,
                  "Also deliver DICOM to a PACS: http(s)://HOST:PORT (Orthanc REST) or dicom://AET@HOST:PORT");
  cmd->add_flag("--watch", args->watch, "Keep polling until SIGINT or SIGTERM");
  cmd->add_option("--interval", args->interval, "Seconds between polls with --watch")->capture_default_str();
  cmd->add_option("-j,--jobs", args->jobs, "Threads for decryption (0: all)")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
  cmd->callback([args, &outcome] {
    if (Status s = run(*args, outcome); !s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
