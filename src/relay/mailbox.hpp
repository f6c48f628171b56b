// The relay's mailbox: what it accepts, from whom, and what it hands to whom. Every trust rule of the relay
// lives here (a container is signed by an identity of the uploader's certificate, which the container
// names itself (format version 2), and addressed to identities; a message is stored once, a client stays within its quota, a recipient sees only what is
// addressed to it), apart from sockets and HTTP, so that each rule is tested directly. Its calls block on
// the disk and the index: the server makes them on a pool of their own. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "relay/config.hpp"
#include "relay/store.hpp"

namespace medcrypt::relay {

// Who asks: what its verified certificate says.
struct Client {
  std::vector<std::string> identities;  // identity fingerprints (hex) the certificate is bound to
  std::string id;                       // SHA-256 of the certificate (hex): quota, uploads, audit
};

// Why the mailbox turns a request down, in its own terms; the server answers each with its HTTP status.
enum class Refusal {
  kMalformed,    // an id or key that is not what it must be
  kNotAllowed,   // this client may not: no identity, another's signer or identity, over its quota
  kNotFound,     // no such upload or message for this client
  kExists,       // an upload by this id exists, or the message was stored before (a replay)
  kWrongOffset,  // a resumed upload's offset is not the bytes received
  kTooLarge,     // over the relay's maximum message, or past the upload's declared length
  kRejected,     // the container fails the relay's checks (structure, signature, addressing)
  kBusy,         // another request holds the upload: try again
  kFailed,       // the disk or the index failed
};

struct Refused {
  Refusal why;
  Error error;             // the code a client reports and the one-line reason
  std::string own_digest;  // a replay of the client's own upload: its digest (it did arrive)
  std::uint64_t offset = 0;  // kWrongOffset: the bytes received
};

// A value, or why the request was refused.
template <typename T>
using Outcome = std::variant<T, Refused>;

struct NewUpload {
  std::string id;             // 32 hex digits; empty: the mailbox draws one
  std::uint64_t length = 0;   // the container's size
  // Indexed at once, to be sent by later requests and resumed; else its bytes come with the request that
  // begins it, and it enters the index only if that request does not finish it (keep_for_resume).
  bool resumable = true;
};

struct UploadProgress {
  std::uint64_t offset = 0;  // bytes received
  std::uint64_t length = 0;  // bytes declared
};

class Mailbox;

// An upload being written by one request: its part file, locked against any other writer (on this relay or
// another sharing the folder) for as long as the slot lives, and the bytes it counts against the quota.
// It must not outlive its mailbox.
class Slot {
 public:
  Slot(Slot&&) noexcept;
  Slot& operator=(Slot&&) = delete;
  ~Slot();

  const UploadRecord& upload() const;
  std::uint64_t size() const;  // bytes received so far
  bool complete() const { return size() == upload().length; }
  Status append(ByteView bytes);  // kLimits past the declared length

 private:
  friend class Mailbox;
  struct State;
  explicit Slot(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// A stored message a recipient may download, and where its bytes are.
struct Delivery {
  MessageRecord message;
  std::filesystem::path file;
};

class Mailbox {
 public:
  // Milliseconds since the Unix epoch; tests turn it to see uploads expire.
  using Clock = std::function<std::int64_t()>;

  // The data folder (created if missing), the index `store` names (see open_store) and the limits.
  static Result<std::unique_ptr<Mailbox>> open(const std::filesystem::path& data_dir, const std::string& store,
                                               const RelayLimits& limits, Clock clock = {});
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // ---- sending ----
  // Checks the client and the size, reserves the bytes against the quota (its messages not yet delivered,
  // its open uploads and the bytes of uploads in flight) and creates the part file.
  Outcome<Slot> begin_upload(const Client& client, NewUpload upload);
  // A non-resumable upload its request did not finish: indexed now, to be resumed.
  Status keep_for_resume(Slot& slot);
  // The client's own upload: how far it is.
  Outcome<UploadProgress> upload_progress(const std::string& id, const Client& client);
  // Takes up the client's own upload at `offset` for `length` more bytes.
  Outcome<Slot> resume_upload(const std::string& id, const Client& client, std::uint64_t offset,
                              std::uint64_t length);
  // The last byte is in (else kMalformed, and the upload stays as it is): fsync, verify (structure and signature; nothing after the signature), check that it
  // is addressed to identities and signed by one of the client's, refuse a replay, publish, index. Only
  // then is the message stored; whatever is refused is removed.
  Outcome<MessageRecord> accept(Slot slot, const Client& client);

  // ---- receiving ----
  // Messages addressed to the client's identities (or the one query.for_identity names) not yet
  // acknowledged, oldest first.
  Outcome<std::vector<MessageRecord>> inbox(const Client& client, const InboxQuery& query);
  // A message addressed to one of the client's identities, while it is held.
  Result<std::optional<Delivery>> find(const std::string& digest, const Client& client);
  Status record_download(const Client& client, const MessageRecord& message, std::uint64_t bytes);
  // Marks the message delivered to the client's identities; says whether every recipient now has it (then
  // its file is gone).
  Outcome<bool> acknowledge(const std::string& digest, const Client& client);

  // ---- housekeeping ----
  // Drops uploads begun longer than the limits' upload_expiry ago, and part files no index row names (single
  // requests cut by a crash) untouched for as long; says how many. A part a request holds stays.
  Result<std::size_t> expire();

 private:
  struct Impl;
  explicit Mailbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace medcrypt::relay
