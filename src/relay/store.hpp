// The relay's index: open uploads, stored messages and their deliveries, and an append-only audit log.
// SQLite (embedded, the default) and PostgreSQL (several relays behind a load balancer) implement it.
// It holds fingerprints, digests, sizes and times only: no patient data, no keys.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace medcrypt::relay {

// An upload in progress; its bytes are in the relay's data folder.
struct UploadRecord {
  std::string id;             // 32 hex digits, random
  std::string client;         // SHA-256 of the uploader's certificate (hex)
  std::uint64_t length = 0;   // the declared size
  std::int64_t created = 0;   // Unix time, milliseconds
};

struct MessageRecord {
  std::string digest;      // SHA-256 of the container (hex): its name in the content-addressed folder
  std::string message_id;  // the container's message id (hex)
  std::string sender;      // fingerprint of the identity that signed it, bound to the uploader's certificate
  std::string client;      // the uploader's certificate (hex SHA-256)
  std::vector<std::string> recipients;  // identity fingerprints (hex)
  std::uint64_t size = 0;
  std::int64_t uploaded = 0;  // Unix time, milliseconds
};

struct AuditRecord {
  std::int64_t time = 0;  // Unix time, milliseconds
  std::string event;      // stored, downloaded, acknowledged
  std::string client;
  std::string digest;
  std::string sender;
  std::string recipients;  // comma-separated fingerprints
  std::uint64_t size = 0;
};

// A position in an inbox: just after the message uploaded at `uploaded` (ms) with `digest`.
struct InboxCursor {
  std::int64_t uploaded = -1;  // before every message
  std::string digest;
};

// What a recipient asks its inbox for (GET /v1/inbox's query): at most `limit` messages after `after`; only
// those signed by `from` (a fingerprint) if it is given; only those addressed to `for_identity` (one of the
// client's identities) if it is given.
struct InboxQuery {
  std::size_t limit = 100;
  InboxCursor after;
  std::string from;
  std::string for_identity;
};

enum class CommitOutcome { kStored, kDuplicate };

struct AckOutcome {
  bool found = false;          // the message is addressed to one of the identities
  bool all_delivered = false;  // every recipient has now acknowledged it: its file can go
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Status create_upload(const UploadRecord& upload) = 0;
  virtual Result<std::optional<UploadRecord>> find_upload(const std::string& id) = 0;
  virtual Status delete_upload(const std::string& id) = 0;
  // Ids of uploads created before `before` (ms): abandoned, to be removed.
  virtual Result<std::vector<std::string>> expired_uploads(std::int64_t before) = 0;

  // Bytes a client holds on the relay: its messages not yet delivered to every recipient, and the
  // declared sizes of its open uploads.
  virtual Result<std::uint64_t> client_usage(const std::string& client) = 0;

  // The message stored earlier with this digest, or with this message id from this sender (a fingerprint),
  // delivered or not: replays are refused for ever. Ids are per sender, so that nobody can take another
  // sender's id first and have that sender's message refused. Recipients are not filled in.
  virtual Result<std::optional<MessageRecord>> find_stored(const std::string& digest, const std::string& message_id,
                                                           const std::string& sender) = 0;

  // In one transaction: the message, one delivery per recipient, the audit row, and the end of the upload.
  virtual Result<CommitOutcome> commit_message(const MessageRecord& message, const std::string& upload_id) = 0;

  // Messages addressed to any of `recipients` that they have not acknowledged, oldest first (by upload
  // time, then digest), starting after `after`; only those signed by `sender` (a fingerprint) if it is given.
  // Paging by position, not by offset, reaches every message however many stay unacknowledged before it.
  virtual Result<std::vector<MessageRecord>> inbox(const std::vector<std::string>& recipients, std::size_t limit,
                                                   const InboxCursor& after = {}, const std::string& sender = {}) = 0;

  // The message if it is still held and addressed to one of `recipients`.
  virtual Result<std::optional<MessageRecord>> find_message(const std::string& digest,
                                                            const std::vector<std::string>& recipients) = 0;

  // Marks the message delivered to those of `recipients` it is addressed to, with an audit row.
  virtual Result<AckOutcome> acknowledge(const std::string& digest, const std::vector<std::string>& recipients,
                                         const std::string& client, std::int64_t now) = 0;

  virtual Status audit(const AuditRecord& record) = 0;
};

// "sqlite" (DATA_DIR/relay.db), "sqlite:PATH", or "postgresql://..." / "postgres://..." (libpq URL).
// Creates the tables if they are missing.
Result<std::unique_ptr<Store>> open_store(const std::string& url, const std::filesystem::path& data_dir);

}  // namespace medcrypt::relay
