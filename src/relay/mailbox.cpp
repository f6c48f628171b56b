#include "relay/mailbox.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "container/container.hpp"
#include "core/text.hpp"
#include "crypto/identity.hpp"
#include "crypto/random.hpp"
#include "relay/internal/message_files.hpp"
#include "relay/internal/stores.hpp"

namespace medcrypt::relay {
namespace {

using internal::MessageFiles;
using internal::PartFile;
using internal::VerifiedUpload;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Refused refuse(Refusal why, Error error) { return Refused{why, std::move(error), {}, 0}; }
Refused refuse(Refusal why, ErrorCode code, std::string reason) { return refuse(why, make_error(code, std::move(reason))); }
Refused failed(const Error& error) { return refuse(Refusal::kFailed, error); }

}  // namespace

// Bytes of single-request uploads in progress on this relay, per client: they count against the quota
// before they have a row in the index.
class InFlight {
 public:
  InFlight(std::mutex& mutex, std::unordered_map<std::string, std::uint64_t>& bytes, std::string client,
           std::uint64_t n)
      : mutex_(&mutex), bytes_(&bytes), client_(std::move(client)), n_(n) {}
  InFlight(InFlight&& other) noexcept
      : mutex_(other.mutex_), bytes_(other.bytes_), client_(std::move(other.client_)), n_(std::exchange(other.n_, 0)) {}
  InFlight& operator=(InFlight&&) = delete;
  ~InFlight() { release(); }

  void release() {
    if (n_ == 0) return;
    std::lock_guard lock(*mutex_);
    auto it = bytes_->find(client_);
    if ((it->second -= n_) == 0) bytes_->erase(it);
    n_ = 0;
  }

 private:
  std::mutex* mutex_;
  std::unordered_map<std::string, std::uint64_t>* bytes_;
  std::string client_;
  std::uint64_t n_;
};

struct Slot::State {
  UploadRecord upload;
  PartFile part;
  InFlight in_flight;
  bool indexed;  // the upload has a row in the index
  // The hashes of every byte as it arrives, when this request began at byte 0: accept() then need not
  // read the part back.
  std::optional<container::StreamingVerifier> streamed;
};

Slot::Slot(std::unique_ptr<State> state) : state_(std::move(state)) {}
Slot::Slot(Slot&&) noexcept = default;
Slot::~Slot() = default;
const UploadRecord& Slot::upload() const { return state_->upload; }
std::uint64_t Slot::size() const { return state_->part.size(); }

Status Slot::append(ByteView bytes) {
  if (bytes.size() > state_->upload.length - size()) {
    return make_error(ErrorCode::kLimits, fmt::format("{} more bytes would pass the declared length of {}",
                                                      bytes.size(), state_->upload.length));
  }
  MEDCRYPT_TRY(state_->part.append(bytes));
  if (state_->streamed) state_->streamed->update(bytes);
  return {};
}

struct Mailbox::Impl {
  MessageFiles files;
  std::unique_ptr<Store> store;
  RelayLimits limits;
  Clock now;
  std::mutex in_flight_mutex;
  std::unordered_map<std::string, std::uint64_t> in_flight_bytes;  // see InFlight

  // A new part file; nullopt if an upload by that id exists. An orphaned part (below) is one its client
  // is starting again: it gets it emptied.
  Result<std::optional<PartFile>> claim_part(const std::string& id) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::optional<PartFile> part, files.create_part(id));
    if (part) return part;
    MEDCRYPT_ASSIGN_OR_RETURN(std::optional<PartFile> left, orphaned_part(id));
    if (left) MEDCRYPT_TRY(left->clear());
    return left;
  }

  // The part of `id`, locked, if no request holds it and no row names it: a single-request upload cut by
  // a crash. The lock comes before the look at the index: only the lock's holder writes an upload's row.
  Result<std::optional<PartFile>> orphaned_part(const std::string& id) {
    auto part = files.open_part(id);
    if (!part || !*part) return std::optional<PartFile>();  // held, or gone since
    MEDCRYPT_ASSIGN_OR_RETURN(std::optional<UploadRecord> row, store->find_upload(id));
    if (row) return std::optional<PartFile>();
    return std::move(*part);
  }

  // The upload's header and digest: from the hashes taken as its bytes arrived, if they were taken from
  // the first byte, else read back from the part file. Either way the part is fsynced.
  Result<VerifiedUpload> verify(Slot::State& slot) {
    const std::string& id = slot.upload.id;
    if (!slot.streamed) return files.verify_part(id);
    MEDCRYPT_ASSIGN_OR_RETURN(container::VerifiedContainer verified, slot.streamed->finish());
    MEDCRYPT_TRY(files.sync_part(id));
    return VerifiedUpload{std::move(verified.header), to_hex(verified.sha256)};
  }

  // A message stored before is refused. Its uploader alone is told the digest: a client that lost the
  // answer to its own upload (a cut connection, a relay restart) learns that it did arrive.
  static Refused replay(const MessageRecord& earlier, const MessageRecord& now, const Client& client) {
    Refused r = refuse(Refusal::kExists, ErrorCode::kUsage, "replay: this message was stored before");
    if (earlier.client == client.id && earlier.digest == now.digest) r.own_digest = earlier.digest;
    return r;
  }
};

Mailbox::Mailbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mailbox::~Mailbox() = default;

Result<std::unique_ptr<Mailbox>> Mailbox::open(const std::filesystem::path& data_dir, const std::string& store,
                                               const RelayLimits& limits, Clock clock) {
  MEDCRYPT_ASSIGN_OR_RETURN(MessageFiles files, MessageFiles::open(data_dir));
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<Store> index, open_store(store, data_dir));
  auto impl = std::unique_ptr<Impl>(
      new Impl{std::move(files), std::move(index), limits, clock ? std::move(clock) : Clock(system_now_ms), {}, {}});
  return std::unique_ptr<Mailbox>(new Mailbox(std::move(impl)));
}

Outcome<Slot> Mailbox::begin_upload(const Client& client, NewUpload upload) {
  Impl& m = *impl_;
  if (client.identities.empty()) {
    return refuse(Refusal::kNotAllowed, ErrorCode::kUsage, "the certificate names no identity");
  }
  if (!upload.id.empty() && !is_lower_hex(upload.id, 32)) {
    return refuse(Refusal::kMalformed, ErrorCode::kUsage, "the upload id is not 32 hex digits");
  }
  if (upload.length == 0) return refuse(Refusal::kMalformed, ErrorCode::kUsage, "an upload of no bytes");
  if (upload.length > m.limits.max_message_bytes) {
    return refuse(Refusal::kTooLarge, ErrorCode::kLimits,
                  fmt::format("upload of {} bytes is over the limit of {}", upload.length, m.limits.max_message_bytes));
  }
  if (upload.id.empty()) {
    auto id = crypto::random_bytes(16);
    if (!id) return failed(id.error());
    upload.id = to_hex(*id);
  }
  UploadRecord record{upload.id, client.id, upload.length, m.now()};
  // The quota: the index's count plus this relay's single-request uploads in flight.
  auto used = m.store->client_usage(client.id);
  if (!used) return failed(used.error());
  const std::uint64_t counted = upload.resumable ? 0 : upload.length;
  {
    std::lock_guard lock(m.in_flight_mutex);
    auto it = m.in_flight_bytes.find(client.id);
    *used += it == m.in_flight_bytes.end() ? 0 : it->second;
    if (*used + upload.length > m.limits.quota_bytes) {
      return refuse(Refusal::kNotAllowed, ErrorCode::kLimits,
                    fmt::format("quota: {} bytes held, {} more would pass the quota of {}", *used, upload.length,
                                m.limits.quota_bytes));
    }
    if (counted > 0) m.in_flight_bytes[client.id] += counted;
  }
  InFlight in_flight(m.in_flight_mutex, m.in_flight_bytes, client.id, counted);
  auto part = m.claim_part(upload.id);
  if (!part) return failed(part.error());
  // The client's earlier request with this id may still be running: it asks for the offset and tries again.
  if (!*part) return refuse(Refusal::kExists, ErrorCode::kIo, "an upload with this id exists");
  if (upload.resumable) {
    if (Status s = m.store->create_upload(record); !s) {
      m.files.remove_part(upload.id);
      return failed(s.error());
    }
  }
  auto state = std::make_unique<Slot::State>(
      Slot::State{std::move(record), std::move(**part), std::move(in_flight), upload.resumable, std::nullopt});
  state->streamed.emplace(upload.length);  // the part is empty: the verifier sees every byte
  return Slot(std::move(state));
}

Status Mailbox::keep_for_resume(Slot& slot) {
  Slot::State& s = *slot.state_;
  if (s.indexed) return {};
  if (Status recorded = impl_->store->create_upload(s.upload); !recorded) {
    impl_->files.remove_part(s.upload.id);
    return recorded;
  }
  s.indexed = true;
  s.in_flight.release();  // the index counts its bytes now
  return {};
}

Outcome<UploadProgress> Mailbox::upload_progress(const std::string& id, const Client& client) {
  Impl& m = *impl_;
  const Refused not_found = refuse(Refusal::kNotFound, ErrorCode::kUsage, "no such upload");
  if (!is_lower_hex(id, 32)) return not_found;
  auto row = m.store->find_upload(id);
  if (row && *row && (*row)->client == client.id) {
    auto size = m.files.part_size(id);
    if (!size) return not_found;
    return UploadProgress{*size, (*row)->length};
  }
  if (row && !*row) {
    // A single-request upload still in its first request (the client saw the cut before the relay): it has
    // no row until that request ends.
    auto part = m.files.open_part(id);
    if (part && !*part) return refuse(Refusal::kBusy, ErrorCode::kUsage, "the upload is busy in another request");
  }
  return not_found;
}

Outcome<Slot> Mailbox::resume_upload(const std::string& id, const Client& client, std::uint64_t offset,
                                     std::uint64_t length) {
  Impl& m = *impl_;
  const Refused not_found = refuse(Refusal::kNotFound, ErrorCode::kUsage, "no such upload");
  if (!is_lower_hex(id, 32)) return not_found;
  auto row = m.store->find_upload(id);
  if (!row || !*row || (*row)->client != client.id) return not_found;
  UploadRecord& upload = **row;
  auto part = m.files.open_part(id);
  if (!part) return not_found;
  // An earlier connection may still be writing (the client noticed the cut before the relay did).
  if (!*part) return refuse(Refusal::kBusy, ErrorCode::kUsage, "the upload is busy in another request");
  if ((*part)->size() != offset) {
    Refused r = refuse(Refusal::kWrongOffset, ErrorCode::kUsage,
                       fmt::format("offset {} but {} bytes received", offset, (*part)->size()));
    r.offset = (*part)->size();
    return r;
  }
  if (offset + length > upload.length) {
    return refuse(Refusal::kTooLarge, ErrorCode::kLimits,
                  fmt::format("{} more bytes would pass the declared length of {}", length, upload.length));
  }
  InFlight nothing(m.in_flight_mutex, m.in_flight_bytes, client.id, 0);  // the index counts it
  const std::uint64_t declared = upload.length;
  auto state = std::make_unique<Slot::State>(
      Slot::State{std::move(upload), std::move(**part), std::move(nothing), true, std::nullopt});
  if (offset == 0) state->streamed.emplace(declared);  // if this request brings every byte
  return Slot(std::move(state));
}

Outcome<MessageRecord> Mailbox::accept(Slot slot, const Client& client) {
  Impl& m = *impl_;
  Slot::State& s = *slot.state_;
  const UploadRecord& upload = s.upload;
  if (!slot.complete()) {  // kept as it is: the rest may still come
    return refuse(Refusal::kMalformed, ErrorCode::kUsage,
                  fmt::format("the upload has {} of its {} bytes", slot.size(), upload.length));
  }
  auto drop = [&](Refused r) {
    m.files.remove_part(upload.id);
    if (s.indexed) (void)m.store->delete_upload(upload.id);
    return r;
  };
  auto verified = m.verify(s);
  if (!verified) {
    ErrorCode code = verified.error().code;
    bool broken = code == ErrorCode::kIo || code == ErrorCode::kInternal;
    return drop(refuse(broken ? Refusal::kFailed : Refusal::kRejected, verified.error()));
  }
  const container::Header& h = verified->header;
  if (h.key_mode != container::KeyMode::kRecipients) {
    return drop(refuse(Refusal::kRejected, ErrorCode::kWrongKey, "the container is not addressed to identities"));
  }
  // Version 1 named only the signer's Ed25519 key: its client declared the X25519 half, unchecked.
  const std::optional<crypto::PublicIdentity> signer = h.signer_identity();
  if (!signer) {
    return drop(refuse(Refusal::kRejected, ErrorCode::kVersion,
                       fmt::format("a container of version {} does not name its signer's identity: seal it again",
                                   h.version)));
  }
  const std::string sender = to_hex(signer->fingerprint());
  if (std::find(client.identities.begin(), client.identities.end(), sender) == client.identities.end()) {
    return drop(refuse(Refusal::kNotAllowed, ErrorCode::kSignature,
                       "the signer is not an identity of this client's certificate"));
  }
  MessageRecord message;
  message.digest = verified->digest;
  message.message_id = to_hex(h.message_id);
  message.sender = sender;
  message.client = client.id;
  for (const auto& r : h.recipients) message.recipients.push_back(to_hex(r.fingerprint));
  message.size = upload.length;
  message.uploaded = m.now();
  auto earlier = m.store->find_stored(message.digest, message.message_id, message.sender);
  if (!earlier) return drop(failed(earlier.error()));
  if (*earlier) return drop(Impl::replay(**earlier, message, client));
  if (Status published = m.files.publish(upload.id, message.digest); !published) return drop(failed(published.error()));
  auto committed = m.store->commit_message(message, upload.id);
  s.in_flight.release();  // the index counts the bytes now, or they are gone
  if (!committed) return failed(committed.error());
  if (*committed == CommitOutcome::kDuplicate) {
    if (s.indexed) (void)m.store->delete_upload(upload.id);
    return refuse(Refusal::kExists, ErrorCode::kUsage, "replay: this message was stored before");
  }
  return message;
}

Outcome<std::vector<MessageRecord>> Mailbox::inbox(const Client& client, const InboxQuery& query) {
  std::vector<std::string> who = client.identities;
  if (const std::string& only = query.for_identity; !only.empty()) {
    if (std::find(who.begin(), who.end(), only) == who.end()) {
      return refuse(Refusal::kNotAllowed, ErrorCode::kUsage,
                    fmt::format("identity {} is not bound to this certificate", only.substr(0, 16)));
    }
    who = {only};
  }
  // after= and from=: a receiver pages through the whole inbox, and one that takes a single sender's
  // messages never sees the others.
  auto messages = impl_->store->inbox(who, query.limit, query.after, query.from);
  if (!messages) return failed(messages.error());
  return std::move(*messages);
}

Result<std::optional<Delivery>> Mailbox::find(const std::string& digest, const Client& client) {
  if (!is_lower_hex(digest, 64)) return std::optional<Delivery>();
  MEDCRYPT_ASSIGN_OR_RETURN(std::optional<MessageRecord> found, impl_->store->find_message(digest, client.identities));
  if (!found) return std::optional<Delivery>();
  return std::optional<Delivery>(Delivery{std::move(*found), impl_->files.object_path(digest)});
}

Status Mailbox::record_download(const Client& client, const MessageRecord& message, std::uint64_t bytes) {
  return impl_->store->audit(AuditRecord{impl_->now(), "downloaded", client.id, message.digest, message.sender,
                                         internal::join_fingerprints(client.identities), bytes});
}

Outcome<bool> Mailbox::acknowledge(const std::string& digest, const Client& client) {
  const Refused not_found = refuse(Refusal::kNotFound, ErrorCode::kUsage, "no such message for this client");
  if (!is_lower_hex(digest, 64)) return not_found;
  auto outcome = impl_->store->acknowledge(digest, client.identities, client.id, impl_->now());
  if (!outcome) return failed(outcome.error());
  if (!outcome->found) return not_found;
  if (outcome->all_delivered) impl_->files.remove_object(digest);
  return outcome->all_delivered;
}

Result<std::size_t> Mailbox::expire() {
  Impl& m = *impl_;
  const std::int64_t before =
      m.now() - std::chrono::duration_cast<std::chrono::milliseconds>(m.limits.upload_expiry).count();
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::string> ids, m.store->expired_uploads(before));
  std::size_t removed = 0;
  for (const std::string& id : ids) {
    // Under the part's lock: a request still writing it (a slow PATCH) keeps it, and a part removed here
    // cannot be replaced under a request that has already checked its bytes.
    auto part = m.files.open_part(id);
    if (part && !*part) continue;
    m.files.remove_part(id);
    MEDCRYPT_TRY(m.store->delete_upload(id));
    ++removed;
  }
  // Parts with no row: single-request uploads cut by a crash (the client starts them again).
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::string> stale, m.files.stale_parts(before));
  for (const std::string& id : stale) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::optional<PartFile> orphan, m.orphaned_part(id));
    if (!orphan) continue;
    m.files.remove_part(id);  // while still locked
    ++removed;
  }
  return removed;
}

}  // namespace medcrypt::relay
