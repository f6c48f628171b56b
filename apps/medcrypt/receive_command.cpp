// medcrypt receive --server URL --cert C --cert-key K --ca CA --identity NAME.key -o DIR [--from NAME.pub]
// [--forward URL] [--watch]: downloads what is addressed to the identity, verifies and decrypts it, writes
// each file under its original name (and forwards DICOM to a PACS), and only then acknowledges it.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <csignal>
#include <set>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "core/text.hpp"
#include "pacs/pacs.hpp"
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
  unsigned page = 1000;
  unsigned jobs = 0;
  bool quiet = false;
};

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

std::string now_iso8601() { return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr))); }

Status append_line(const std::filesystem::path& path, const std::string& line) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return make_error(ErrorCode::kIo, fmt::format("{}: cannot open for appending", path.string()));
  bool ok = std::fputs(line.c_str(), f) >= 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return make_error(ErrorCode::kIo, fmt::format("{}: cannot append", path.string()));
  return {};
}

// A message that failed here for a reason a retry cannot mend: not addressed to this key, modified, not
// from the expected sender, not a container. Anyone holding a certificate can upload such messages to
// any recipient, so they are set aside and acknowledged instead of blocking the inbox.
bool is_permanent(ErrorCode code) {
  return code != ErrorCode::kIo && code != ErrorCode::kInternal;
}

struct Receiver {
  const ReceiveArgs& args;
  Outcome& outcome;
  net::RelayClient& client;
  pipeline::DecryptOptions decrypt;
  std::string my_fingerprint;
  std::optional<std::string> from_fingerprint;
  std::optional<net::Url> forward;
  std::filesystem::path incoming;     // DIR/.medcrypt-incoming: containers on their way in
  std::filesystem::path quarantine;   // DIR/.medcrypt-rejected: containers rejected, kept for inspection
  std::set<std::string> failed;       // messages that failed here once are not tried again by this process
  std::size_t rejected = 0, left_failed = 0;

  // One message: download, verify and decrypt, deliver, acknowledge. Returns false if it stayed.
  bool receive(const net::InboxMessage& m) {
    auto sealed = incoming / (m.digest + ".mct");
    ProgressBar bar("receive " + m.digest.substr(0, 12), m.size);
    Status got = client.download(m.digest, sealed, [&bar](std::uint64_t done, std::uint64_t) { bar.update(done); });
    bar.finish();
    if (!got) return fail(m, got.error(), sealed);
    auto report = pipeline::decrypt_file(sealed, args.output, true, decrypt);
    if (!report) return fail(m, report.error(), sealed);
    std::error_code ec;
    std::filesystem::remove(sealed, ec);
    std::string delivered = report->output.string();
    if (forward) {
      if (report->metadata.format != "dicom") {
        fmt::print(stderr, "medcrypt: note: {} is not DICOM: kept in {}, not forwarded\n",
                   report->output.filename().string(), args.output);
      } else if (Status s = pacs::deliver(*forward, report->output); !s) {
        return fail(m, s.error(), {});  // not acknowledged: the next run tries again
      } else {
        delivered += fmt::format(" and {}://{}:{}", forward->scheme, forward->host, forward->port);
      }
    }
    if (Status s = client.acknowledge(m.digest); !s) return fail(m, s.error(), {});
    if (!args.quiet) {
      fmt::print("{} from {} -> {}\n", m.digest.substr(0, 16), m.sender.substr(0, 16), delivered);
      std::fflush(stdout);
    }
    return true;
  }

  // A transient failure leaves the message for the next run; a permanent one (see is_permanent) is set
  // aside when its container was downloaded, so that it no longer stands in the inbox.
  bool fail(const net::InboxMessage& m, const Error& e, const std::filesystem::path& sealed) {
    failed.insert(m.digest);
    const std::string context = "message " + m.digest.substr(0, 16);
    std::error_code ec;
    if (is_permanent(e.code) && !sealed.empty() && std::filesystem::exists(sealed, ec)) {
      if (auto kept = set_aside(m, e, sealed)) {
        ++rejected;
        outcome.fail(make_error(e.code, fmt::format("{}; rejected: kept in {} and acknowledged", e.message,
                                                    kept->string())), context);
        return false;
      }
    }
    if (!sealed.empty()) std::filesystem::remove(sealed, ec);
    ++left_failed;
    outcome.fail(e, context);
    return false;
  }

  // Moves the container to the quarantine folder, appends an audit line there and acknowledges the
  // message; where the container went, or nothing if a step failed (the message then stays on the relay).
  std::optional<std::filesystem::path> set_aside(const net::InboxMessage& m, const Error& e,
                                                 const std::filesystem::path& sealed) {
    auto kept = quarantine / (m.digest + ".mct");
    std::error_code ec;
    std::filesystem::rename(sealed, kept, ec);
    if (ec) return std::nullopt;
    std::string line = fmt::format("{} {} from {} rejected: {} ({})\n", now_iso8601(), m.digest, m.sender,
                                   printable(e.message), error_code_name(e.code));
    if (!append_line(quarantine / "rejected.log", line) || !client.acknowledge(m.digest)) return std::nullopt;
    return kept;
  }

  // The whole inbox, a page at a time. A network failure ends the round.
  Status round() {
    std::optional<net::InboxMessage> last;
    while (!g_stop) {
      MEDCRYPT_ASSIGN_OR_RETURN(std::vector<net::InboxMessage> page,
                                client.inbox(args.page, last ? &*last : nullptr, from_fingerprint.value_or(""),
                                             my_fingerprint));
      for (const auto& m : page) {
        if (g_stop) break;
        if (failed.contains(m.digest)) continue;
        // The relay filters by sender already; this guards against one that does not.
        if (from_fingerprint && m.sender != *from_fingerprint) continue;
        receive(m);
      }
      if (page.size() < args.page) break;
      last = page.back();
    }
    return {};
  }
};

Status run(const ReceiveArgs& args, Outcome& outcome) {
  std::optional<std::filesystem::path> pass;
  if (!args.passphrase_file.empty()) pass = args.passphrase_file;
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Identity me, load_identity(args.identity, pass));
  MEDCRYPT_ASSIGN_OR_RETURN(net::RelayClient client, net::RelayClient::create(args.server, args.tls));
  Receiver r{args, outcome, client, {}, to_hex(me.public_identity.fingerprint()), {}, {},
             std::filesystem::path(args.output) / ".medcrypt-incoming",
             std::filesystem::path(args.output) / ".medcrypt-rejected", {}};
  r.decrypt.keys = container::OpenKeys::identity(me);
  r.decrypt.open.threads = threads_from_jobs(args.jobs);
  if (!args.from.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::PublicIdentity sender, crypto::load_public_identity(args.from));
    r.decrypt.open.expected_signer = sender;
    r.from_fingerprint = to_hex(sender.fingerprint());
  }
  if (!args.forward.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(r.forward, pacs::parse_destination(args.forward));
  }
  std::error_code ec;
  for (const auto& dir : {r.incoming, r.quarantine}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot create: {}", dir.string(), ec.message()));
  }

  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  Status result;
  while (!g_stop) {
    Status s = r.round();
    if (!s && !args.watch) {
      result = std::move(s);
      break;
    }
    if (!s) outcome.fail(s.error());  // watching: report and keep polling
    if (!args.watch) break;
    for (unsigned t = 0; !g_stop && t < args.interval * 10; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::filesystem::remove_all(r.incoming, ec);
  if (std::filesystem::is_empty(r.quarantine, ec)) std::filesystem::remove(r.quarantine, ec);
  if (r.from_fingerprint && result) {
    // Say what --from left behind, so that an inbox filling with others' messages does not go unseen.
    auto others = client.inbox(args.page, nullptr, "", r.my_fingerprint);
    if (others) {
      auto n = std::count_if(others->begin(), others->end(),
                             [&](const net::InboxMessage& m) { return m.sender != *r.from_fingerprint; });
      if (n > 0) {
        fmt::print(stderr, "medcrypt: note: {}{} message(s) from other senders left in the inbox (not --from)\n",
                   others->size() == args.page ? "at least " : "", n);
      }
    }
  }
  if (r.rejected + r.left_failed > 0) {
    fmt::print(stderr, "medcrypt: {} message(s) rejected (kept in {}, listed in rejected.log), {} left on the relay "
                       "to try again\n", r.rejected, r.quarantine.string(), r.left_failed);
  }
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
  cmd->add_option("--page", args->page, "Messages asked for in one inbox request (the whole inbox is read)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("-j,--jobs", args->jobs, "Threads for decryption (0: all)")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
  cmd->callback([args, &outcome] {
    if (Status s = run(*args, outcome); !s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
