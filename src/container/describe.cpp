#include "container/describe.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace medcrypt::container {

std::string describe_text(const Header& h, const std::string& file, std::uint64_t bytes) {
  const auto& g = h.geometry;
  std::string out;
  out += fmt::format("file:        {} ({} bytes, container version {})\n", printable(file), bytes, h.version);
  out += fmt::format("scheme:      {}@{}{}{}\n", printable(h.scheme_name), h.scheme_version,
                     h.scheme_params.empty() ? "" : " (" + printable(h.scheme_params) + ")",
                     h.lossless ? ", lossless" : ", LOSSY: decryption approximates the original");
  out += fmt::format("sealing:     {} {} in {} KiB chunks\n", crypto::aead_name(h.aead),
                     h.sealing == schemes::Sealing::kEncrypt ? "encrypts and authenticates" : "authenticates",
                     h.chunk_bytes() / 1024);
  out += fmt::format("image:       {}x{}, {} frame(s), {} sample(s), {} of {} bits {}, {}\n", g.width, g.height,
                     g.frames, g.samples, g.bits_stored, g.bits_allocated, g.is_signed ? "signed" : "unsigned",
                     printable(g.photometric));
  out += fmt::format("payload:     {} bytes\n", h.payload_bytes);
  if (h.key_mode == KeyMode::kRecipients) {
    out += fmt::format("recipients:  {}\n", h.recipients.size());
    for (const auto& r : h.recipients) out += fmt::format("             {}\n", to_hex(r.fingerprint));
  } else {
    out += fmt::format("key:         shared key {}\n", to_hex(h.shared.key_id));
  }
  std::string signature = "unsigned";
  if (auto identity = h.signer_identity()) {
    signature = "valid Ed25519 signature by identity " + to_hex(identity->fingerprint());
  } else if (h.is_signed) {
    signature = "valid Ed25519 signature by " + to_hex(h.signer);
  }
  out += fmt::format("signature:   {}\n", signature);
  return out;
}

std::string describe_json(const Header& h, const std::string& file, std::uint64_t bytes) {
  const auto& g = h.geometry;
  std::vector<std::string> recipients;
  for (const auto& r : h.recipients) recipients.push_back(to_hex(r.fingerprint));
  nlohmann::json j = {
      {"file", file},
      {"bytes", bytes},
      {"container_version", h.version},
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
      {"key_mode", h.key_mode == KeyMode::kRecipients ? "recipients" : "shared-key"},
      {"recipients", recipients},
      {"signed", h.is_signed},
      {"signer", h.is_signed ? nlohmann::json(to_hex(h.signer)) : nlohmann::json(nullptr)},
  };
  auto identity = h.signer_identity();
  j["signer_identity"] = identity ? nlohmann::json(to_hex(identity->fingerprint())) : nlohmann::json(nullptr);
  // Bytes that are not UTF-8 become U+FFFD instead of an exception.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace medcrypt::container
