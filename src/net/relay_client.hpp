// The relay's client: uploads a container (resuming after a cut connection), lists the inbox of the
// identities in its certificate, downloads and acknowledges; asks for encrypted inference. Network errors are retried with bounded
// exponential backoff; refusals by the relay are not.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "net/tls.hpp"

namespace medcrypt::net {

struct RetryPolicy {
  int attempts = 6;  // tries of one operation without progress, the first included
  std::chrono::milliseconds first_delay{250};
  std::chrono::milliseconds max_delay{8000};
  std::chrono::seconds timeout{60};  // one network operation (connect, a write, a read)
};

struct UploadReceipt {
  std::string digest;  // SHA-256 of the container (hex): its name on the relay
  std::string message_id;
  std::uint64_t size = 0;
};

struct InboxMessage {
  std::string digest;
  std::string message_id;
  std::string sender;  // fingerprint of the identity that signed it (hex)
  std::uint64_t size = 0;
  std::int64_t uploaded = 0;  // Unix time, milliseconds
};

using TransferProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

class RelayClient {
 public:
  // `url` is https://HOST[:PORT]; nothing is sent before the first call.
  static Result<RelayClient> create(const std::string& url, const TlsFiles& tls, RetryPolicy retry = {});
  RelayClient(RelayClient&&) noexcept;
  RelayClient& operator=(RelayClient&&) noexcept;
  ~RelayClient();

  // Uploads a signed container (format version 2: it names its signer's identity, which the relay checks
  // against this client's certificate).
  Result<UploadReceipt> upload(const std::filesystem::path& container, const TransferProgress& progress = {});
  // One page of the inbox, oldest first: at most `limit` messages after `after` (the last message of the
  // previous page, or none for the first page), only those signed by `from` (a fingerprint) if given,
  // only those for `for_identity` (a fingerprint bound to this certificate) if given.
  Result<std::vector<InboxMessage>> inbox(std::size_t limit = 100, const InboxMessage* after = nullptr,
                                          const std::string& from = {}, const std::string& for_identity = {});
  // Writes the message atomically to `output` and checks that its SHA-256 is `digest`.
  Status download(const std::string& digest, const std::filesystem::path& output,
                  const TransferProgress& progress = {});
  Status acknowledge(const std::string& digest);
  // Encrypted inference (POST /v1/he/evaluate): a "medcrypt-he-features" message (he/encrypted_head.hpp)
  // in, the relay's "medcrypt-he-logits" message out. The relay sees neither the features nor the scores.
  Result<std::string> evaluate_encrypted(const std::string& request_json);
  Status health();

 private:
  struct Impl;
  explicit RelayClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace medcrypt::net
