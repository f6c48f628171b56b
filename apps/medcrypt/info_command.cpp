// medcrypt info FILE [--json]: what a container says about itself, readable without any key.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "container/container.hpp"
#include "core/text.hpp"

namespace medcrypt::cli {
namespace {

Status run(const std::string& path, bool json, Outcome& /*outcome*/) {
  MEDCRYPT_ASSIGN_OR_RETURN(container::FileSource source, container::FileSource::open(path));
  MEDCRYPT_ASSIGN_OR_RETURN(container::Header h, container::verify_signature_only(source, false));
  const auto& g = h.geometry;
  std::vector<std::string> recipients;
  for (const auto& r : h.recipients) recipients.push_back(to_hex(r.fingerprint));
  std::string signature = h.is_signed ? "valid Ed25519 signature by " + to_hex(h.signer) : "unsigned";

  if (json) {
    nlohmann::json j = {
        {"file", path},
        {"bytes", source.size()},
        {"container_version", container::kVersion},
        {"scheme", h.scheme_name},
        {"scheme_version", h.scheme_version},
        {"scheme_params", h.scheme_params},
        {"lossless", h.lossless},
        {"aead", crypto::aead_name(h.aead)},
        {"sealing", h.sealing == schemes::Sealing::kEncrypt ? "encrypt" : "authenticate"},
        {"chunk_bytes", h.chunk_bytes()},
        {"geometry", {{"width", g.width}, {"height", g.height}, {"frames", g.frames}, {"samples", g.samples},
                      {"bits_allocated", g.bits_allocated}, {"bits_stored", g.bits_stored},
                      {"signed", g.is_signed}, {"photometric", g.photometric}}},
        {"payload_bytes", h.payload_bytes},
        {"key_mode", h.key_mode == container::KeyMode::kRecipients ? "recipients" : "shared-key"},
        {"recipients", recipients},
        {"signed", h.is_signed},
        {"signer", h.is_signed ? nlohmann::json(to_hex(h.signer)) : nlohmann::json(nullptr)},
    };
    // Header strings need no key to forge: bytes that are not UTF-8 become U+FFFD instead of an exception.
    fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return {};
  }
  // Without a key nothing in the header is authenticated: every string is printed escaped.
  fmt::print("file:        {} ({} bytes, container version {})\n", printable(path), source.size(), container::kVersion);
  fmt::print("scheme:      {}@{}{}{}\n", printable(h.scheme_name), h.scheme_version,
             h.scheme_params.empty() ? "" : " (" + printable(h.scheme_params) + ")",
             h.lossless ? ", lossless" : ", LOSSY: decryption approximates the original");
  fmt::print("sealing:     {} {} in {} KiB chunks\n", crypto::aead_name(h.aead),
             h.sealing == schemes::Sealing::kEncrypt ? "encrypts and authenticates" : "authenticates",
             h.chunk_bytes() / 1024);
  fmt::print("image:       {}x{}, {} frame(s), {} sample(s), {} of {} bits {}, {}\n", g.width, g.height, g.frames,
             g.samples, g.bits_stored, g.bits_allocated, g.is_signed ? "signed" : "unsigned", printable(g.photometric));
  fmt::print("payload:     {} bytes\n", h.payload_bytes);
  if (h.key_mode == container::KeyMode::kRecipients) {
    fmt::print("recipients:  {}\n", h.recipients.size());
    for (const auto& r : recipients) fmt::print("             {}\n", r);
  } else {
    fmt::print("key:         shared key {}\n", to_hex(h.shared.key_id));
  }
  fmt::print("signature:   {}\n", signature);
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
