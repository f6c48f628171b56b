// medcrypt demo [--data DIR]: the main job end to end on generated (or the user's) images: two
// identities, encrypt + sign, send through a relay on loopback (mutual TLS) and receive, verify +
// decrypt, check every pixel, print a table; then `analyze --scheme all` on the same images and a real
// scan of ../shared/data where there is one, its HTML report in the working folder.
#include <algorithm>

#include <fmt/format.h>

#include "analysis/analyze.hpp"
#include "analysis/report_html.hpp"
#include "commands.hpp"
#include "core/file_io.hpp"
#include "net/pki.hpp"
#include "net/relay_client.hpp"
#include "net/relay_server.hpp"
#include "pipeline/file_crypt.hpp"
#include "pipeline/samples.hpp"

namespace medcrypt::cli {
namespace {

struct DemoArgs {
  std::string data;
  std::string work = "build/demo";
  std::string scheme = "aead";
  bool analysis = true;
};

Status write_identity(const crypto::Identity& id, const std::filesystem::path& dir) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::string pem, crypto::private_identity_pem(id, std::nullopt));
  MEDCRYPT_TRY(write_file_atomic(dir / (id.name + ".key"), as_bytes(pem), 0600));
  return write_file_atomic(dir / (id.name + ".pub"), as_bytes(crypto::public_identity_pem(id.public_identity)));
}

// Bit-exact comparison of what the original and the decrypted file hold, each read afresh.
Result<bool> same_pixels(const std::filesystem::path& original, const std::filesystem::path& decrypted) {
  MEDCRYPT_ASSIGN_OR_RETURN(image::LoadedImage a, image::read_image_file(original));
  MEDCRYPT_ASSIGN_OR_RETURN(image::LoadedImage b, image::read_image_file(decrypted));
  return a.image == b.image;
}

// A real CT slice, where ../shared/data sits beside the checkout (CI's layout); else none.
constexpr char kRealScan[] = "../shared/data/dicom/CT1_UNC.explicit_little_endian.dcm";

// Every scheme, the lossy ones included, on (at most kAnalysed of) the images: the security analysis as an
// HTML page.
constexpr std::size_t kAnalysed = 4;

Status analyze_all(std::vector<std::filesystem::path> images, const std::filesystem::path& page, Outcome& outcome) {
  if (images.size() > kAnalysed) {
    fmt::print("\nThe analysis takes the first {} of the {} images.", kAnalysed, images.size());
    images.resize(kAnalysed);
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(kRealScan, ec)) images.emplace_back(kRealScan);
  const schemes::SchemeRegistry& registry = schemes::builtin_registry();
  MEDCRYPT_ASSIGN_OR_RETURN(auto schemes, analysis::analyzable_schemes(registry));
  fmt::print("\nAnalysing {} images with every scheme ({}, the lossy ones included)...\n", images.size(), schemes.size());
  std::vector<analysis::ImageAnalysis> analyses;
  for (const auto& path : images) {
    auto loaded = image::read_image_file(path);
    for (std::size_t i = 0; loaded && i < schemes.size(); ++i) {
      auto a = analysis::analyze_image(*loaded, path.string(), *schemes[i], registry, {});
      if (!a) outcome.fail(a.error(), path.string() + " (" + schemes[i]->info().name + ")");
      if (a) analyses.push_back(std::move(*a));
    }
    if (!loaded) outcome.fail(loaded.error(), path.string());
  }
  if (analyses.empty()) return make_error(ErrorCode::kInternal, "analysis: no image could be analysed");
  MEDCRYPT_TRY(write_file_atomic(page, as_bytes(analysis::html_report(analyses))));
  fmt::print("Security analysis (statistics, sensitivity, quality, speed, and the plain, cipher, decrypted and "
             "difference images of every scheme): {}\n", page.string());
  return {};
}

// The transmission leg: a relay on loopback with a CA of its own; alice uploads, bob downloads.
struct DemoRelay {
  std::unique_ptr<net::RelayServer> server;
  std::optional<net::RelayClient> alice, bob;
};

Result<DemoRelay> start_relay(const std::filesystem::path& work, const crypto::Identity& alice,
                              const crypto::Identity& bob) {
  const auto pki = work / "pki";
  MEDCRYPT_TRY(net::ca_init(pki, {}));
  MEDCRYPT_TRY(net::ca_issue(pki, {"relay", {"127.0.0.1"}, {}, 1}));
  MEDCRYPT_TRY(net::ca_issue(pki, {"alice", {}, {alice.public_identity}, 1}));
  MEDCRYPT_TRY(net::ca_issue(pki, {"bob", {}, {bob.public_identity}, 1}));
  net::RelayOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = work / "relay";
  options.tls = {pki / "relay.crt", pki / "relay.key", pki / "ca.crt"};
  options.log_file = work / "relay.log";
  DemoRelay relay;
  MEDCRYPT_ASSIGN_OR_RETURN(relay.server, net::RelayServer::start(options));
  const std::string url = fmt::format("https://127.0.0.1:{}", relay.server->port());
  MEDCRYPT_ASSIGN_OR_RETURN(relay.alice, net::RelayClient::create(url, {pki / "alice.crt", pki / "alice.key", pki / "ca.crt"}));
  MEDCRYPT_ASSIGN_OR_RETURN(relay.bob, net::RelayClient::create(url, {pki / "bob.crt", pki / "bob.key", pki / "ca.crt"}));
  fmt::print("Relay on {} (TLS 1.3, client certificates from {}), its log in {}\n", url, pki.string(),
             options.log_file.string());
  return relay;
}

// Alice uploads the container, bob downloads it: its digest on the relay, and the milliseconds taken.
Result<std::pair<std::string, double>> transmit(DemoRelay& relay, const std::filesystem::path& sealed,
                                                const std::filesystem::path& received) {
  auto start = std::chrono::steady_clock::now();
  MEDCRYPT_ASSIGN_OR_RETURN(net::UploadReceipt receipt, relay.alice->upload(sealed));
  MEDCRYPT_TRY(relay.bob->download(receipt.digest, received));
  return std::pair(receipt.digest, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
}

Status run(const DemoArgs& args, Outcome& outcome) {
  MEDCRYPT_TRY(pipeline::scheme_for_sending(args.scheme, {}));  // before the work folder is cleared
  std::filesystem::path work(args.work);
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  for (const char* sub : {"samples", "keys", "sealed", "received", "decrypted"}) {
    std::filesystem::create_directories(work / sub, ec);
    if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: {}", (work / sub).string(), ec.message()));
  }

  std::vector<InputFile> inputs;
  if (args.data.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(auto samples, pipeline::write_sample_images(work / "samples"));
    for (auto& sample : samples) inputs.push_back({sample, sample.filename()});
    fmt::print("Generated {} sample images in {}\n", inputs.size(), (work / "samples").string());
  } else {
    MEDCRYPT_ASSIGN_OR_RETURN(inputs, collect_inputs({args.data}));
  }

  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Identity alice, crypto::generate_identity("alice"));
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Identity bob, crypto::generate_identity("bob"));
  MEDCRYPT_TRY(write_identity(alice, work / "keys"));
  MEDCRYPT_TRY(write_identity(bob, work / "keys"));
  fmt::print("Identities: alice (sender, signs) and bob (recipient) in {}\n", (work / "keys").string());
  MEDCRYPT_ASSIGN_OR_RETURN(DemoRelay relay, start_relay(work, alice, bob));
  fmt::print("\n");

  pipeline::EncryptOptions enc;
  enc.scheme = args.scheme;
  enc.recipients = container::Recipients::identities({bob.public_identity});
  enc.seal.signer = &alice;
  pipeline::DecryptOptions dec;
  dec.keys = container::OpenKeys::identity(bob);
  dec.open.expected_signer = alice.public_identity;

  fmt::print("{:<34} {:<8} {:>16} {:>5} {:<7} {:>10} {:>9} {:>9} {:>9}  {}\n", "file", "modality", "size", "bits",
             "scheme", "bytes", "enc ms", "relay ms", "dec ms", "verified");
  int failures = 0;
  for (const auto& input : inputs) {
    const auto& in = input.path;
    // sealed/ keeps the input's tree; decrypted/ is rebuilt from the folder each container carries.
    auto sealed_path = work / "sealed" / (input.relative.string() + ".mct");
    std::filesystem::create_directories(sealed_path.parent_path(), ec);
    auto enc_report = pipeline::encrypt_file(in, sealed_path, enc, input.relative.parent_path());
    if (!enc_report) {
      outcome.fail(enc_report.error(), in.string());
      ++failures;
      continue;
    }
    auto received_path = work / "received" / (input.relative.string() + ".mct");
    std::filesystem::create_directories(received_path.parent_path(), ec);
    auto relayed = transmit(relay, sealed_path, received_path);
    if (!relayed) {
      outcome.fail(relayed.error(), sealed_path.string());
      ++failures;
      continue;
    }
    auto dec_report = pipeline::decrypt_file(received_path, work / "decrypted", true, dec);
    if (!dec_report) {
      outcome.fail(dec_report.error(), received_path.string());
      ++failures;
      continue;
    }
    auto same = same_pixels(in, dec_report->output);
    bool verified = same && *same;
    std::string verdict = !same ? "error: " + same.error().message
                          : verified ? (dec_report->header.lossless ? "yes, bit-exact, signature ok" : "lossy scheme")
                                     : "NO: pixels differ";
    if (!verified && dec_report->header.lossless) ++failures;
    if (Status acked = relay.bob->acknowledge(relayed->first); !acked) outcome.fail(acked.error());
    const auto& g = enc_report->geometry;
    std::string modality = enc_report->modality;
    if (modality.empty()) {  // not DICOM: show the file format instead
      modality = image::format_name(enc_report->format);
      std::transform(modality.begin(), modality.end(), modality.begin(), ::toupper);
    }
    fmt::print("{:<34} {:<8} {:>16} {:>5} {:<7} {:>10} {:>9.1f} {:>9.1f} {:>9.1f}  {}\n",
               in.filename().string().substr(0, 34), modality,
               fmt::format("{}x{}x{}x{}", g.width, g.height, g.frames, g.samples), g.bits_stored, args.scheme,
               enc_report->container_bytes, enc_report->encrypt_ms, relayed->second, dec_report->decrypt_ms, verdict);
  }
  relay.server->shutdown();
  fmt::print("\nContainers in {} (as received through the relay: {}), decrypted files in {}\n",
             (work / "sealed").string(), (work / "received").string(), (work / "decrypted").string());
  if (failures > 0) {
    return make_error(ErrorCode::kInternal, fmt::format("{} of {} images failed the round trip", failures, inputs.size()));
  }
  if (!args.analysis) return {};
  std::vector<std::filesystem::path> images;
  for (const auto& input : inputs) images.push_back(input.path);
  return analyze_all(std::move(images), work / "analysis.html", outcome);
}

}  // namespace

void add_demo_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo", "Run the whole job end to end on generated or given images");
  cmd->add_option("--data", args->data, "A folder of your images (default: generated phantoms)");
  cmd->add_option("--work", args->work, "Working folder (emptied first)")->capture_default_str();
  cmd->add_option("--scheme", args->scheme, "Scheme")->capture_default_str();
  cmd->add_flag("!--no-analysis", args->analysis, "Skip the security analysis of every scheme at the end");
  cmd->callback([args, &outcome] {
    Status s = run(*args, outcome);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace medcrypt::cli
