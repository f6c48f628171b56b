// The shared index for several relays: PostgreSQL through libpq, a few pooled connections, the same
// tables as the SQLite store. Unique constraints make replays fail even when two relays race.
#include <libpq-fe.h>

#include <condition_variable>
#include <mutex>

#include <fmt/format.h>

#include "relay/internal/stores.hpp"

namespace medcrypt::relay::internal {
namespace {

// Several relays may start at once: the schema is made under an advisory lock.
constexpr std::int64_t kSchemaLock = 0x6d656463727970;
constexpr const char* kSchema = R"sql(
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, client TEXT NOT NULL, length BIGINT NOT NULL, created BIGINT NOT NULL);
-- Relays before container version 2 kept the sender's X25519 key beside an upload; the container names it now.
ALTER TABLE uploads DROP COLUMN IF EXISTS sender_x25519;
CREATE TABLE IF NOT EXISTS messages (
  digest TEXT PRIMARY KEY, message_id TEXT NOT NULL, sender TEXT NOT NULL, client TEXT NOT NULL,
  size BIGINT NOT NULL, uploaded BIGINT NOT NULL, removed BOOLEAN NOT NULL DEFAULT FALSE);
CREATE INDEX IF NOT EXISTS messages_by_client ON messages (client) WHERE NOT removed;
-- Message ids are unique per signer; an index made before, unique across signers, loses that constraint.
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_sender_id ON messages (sender, message_id);
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_message_id_key;
CREATE TABLE IF NOT EXISTS deliveries (
  recipient TEXT NOT NULL, digest TEXT NOT NULL REFERENCES messages (digest), acked BIGINT,
  PRIMARY KEY (recipient, digest));
CREATE INDEX IF NOT EXISTS deliveries_by_digest ON deliveries (digest);
CREATE TABLE IF NOT EXISTS audit (
  seq BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL, event TEXT NOT NULL, client TEXT NOT NULL,
  digest TEXT NOT NULL, sender TEXT NOT NULL, recipients TEXT NOT NULL, size BIGINT NOT NULL);
CREATE OR REPLACE FUNCTION medcrypt_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_append_only') THEN
    CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
      FOR EACH ROW EXECUTE FUNCTION medcrypt_audit_append_only();
  END IF;
END $$;
)sql";

constexpr std::size_t kMaxConnections = 8;
constexpr const char* kUniqueViolation = "23505";

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  ~PgResult() { PQclear(r_); }
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;

  int rows() const { return PQntuples(r_); }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
  std::int64_t integer(int row, int col) const { return std::stoll(PQgetvalue(r_, row, col)); }

 private:
  PGresult* r_;
};

// A failed query: the SQLSTATE tells a duplicate from an outage.
struct PgError {
  Error error;
  std::string sqlstate;
};

// "{a,b,c}": a text[] literal; fingerprints are hex, so nothing needs quoting.
std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) out += (out.size() > 1 ? "," : "") + v;
  return out + "}";
}

class Connection {
 public:
  explicit Connection(PGconn* conn) : conn_(conn) {}

  // Runs one statement with text parameters.
  Result<PgResult> query(const char* sql, const std::vector<std::string>& params = {}, PgError* failure = nullptr) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(r);
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    Error e = make_error(ErrorCode::kIo, fmt::format("relay database: {}", r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
    if (failure != nullptr) *failure = PgError{e, state ? state : ""};
    PQclear(r);
    return e;
  }
  // Runs a script of several statements without parameters.
  Status script(const char* sql) {
    PGresult* r = PQexec(conn_, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    Error e = ok ? Error{} : make_error(ErrorCode::kIo, fmt::format("relay database: {}", PQerrorMessage(conn_)));
    PQclear(r);
    if (!ok) return e;
    return {};
  }
  PGconn* get() const { return conn_; }

 private:
  PGconn* conn_;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::string url) : url_(std::move(url)) {}
  ~PostgresStore() override {
    for (PGconn* c : idle_) PQfinish(c);
  }

  Status create_schema() {
    return with([](Connection& c) -> Status {
      MEDCRYPT_TRY(c.query("SELECT pg_advisory_lock($1)", {std::to_string(kSchemaLock)}));
      Status made = c.script(kSchema);
      MEDCRYPT_TRY(c.query("SELECT pg_advisory_unlock($1)", {std::to_string(kSchemaLock)}));
      return made;
    });
  }

  Status create_upload(const UploadRecord& u) override {
    return with([&](Connection& c) -> Status {
      MEDCRYPT_TRY(c.query("INSERT INTO uploads (id, client, length, created) VALUES ($1, $2, $3, $4)",
                           {u.id, u.client, std::to_string(u.length), std::to_string(u.created)}));
      return {};
    });
  }

  Result<std::optional<UploadRecord>> find_upload(const std::string& id) override {
    return with([&](Connection& c) -> Result<std::optional<UploadRecord>> {
      MEDCRYPT_ASSIGN_OR_RETURN(PgResult r, c.query("SELECT id, client, length, created FROM uploads WHERE id = $1",
                                                    {id}));
      if (r.rows() == 0) return std::optional<UploadRecord>();
      return std::optional<UploadRecord>(
          UploadRecord{r.text(0, 0), r.text(0, 1), static_cast<std::uint64_t>(r.integer(0, 2)), r.integer(0, 3)});
    });
  }

  Status delete_upload(const std::string& id) override {
    return with([&](Connection& c) -> Status {
      MEDCRYPT_TRY(c.query("DELETE FROM uploads WHERE id = $1", {id}));
      return {};
    });
  }

  Result<std::vector<std::string>> expired_uploads(std::int64_t before) override {
    return with([&](Connection& c) -> Result<std::vector<std::string>> {
      MEDCRYPT_ASSIGN_OR_RETURN(PgResult r, c.query("SELECT id FROM uploads WHERE created < $1", {std::to_string(before)}));
      std::vector<std::string> out;
      for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
      return out;
    });
  }

  Result<std::uint64_t> client_usage(const std::string& client) override {
    return with([&](Connection& c) -> Result<std::uint64_t> {
      MEDCRYPT_ASSIGN_OR_RETURN(
          PgResult r, c.query("SELECT COALESCE((SELECT SUM(size) FROM messages WHERE client = $1 AND NOT removed), 0) + "
                              "COALESCE((SELECT SUM(length) FROM uploads WHERE client = $1), 0)",
                              {client}));
      return static_cast<std::uint64_t>(r.integer(0, 0));
    });
  }

  Result<std::optional<MessageRecord>> find_stored(const std::string& digest, const std::string& message_id,
                                                   const std::string& sender) override {
    return with([&](Connection& c) -> Result<std::optional<MessageRecord>> {
      MEDCRYPT_ASSIGN_OR_RETURN(
          PgResult r, c.query("SELECT digest, message_id, sender, client, size, uploaded FROM messages "
                              "WHERE digest = $1 OR (sender = $3 AND message_id = $2) LIMIT 1",
                              {digest, message_id, sender}));
      if (r.rows() == 0) return std::optional<MessageRecord>();
      return std::optional<MessageRecord>(read_message(r, 0));
    });
  }

  Result<CommitOutcome> commit_message(const MessageRecord& m, const std::string& upload_id) override {
    return with([&](Connection& c) -> Result<CommitOutcome> {
      MEDCRYPT_TRY(c.script("BEGIN"));
      PgError failure;
      auto inserted = c.query("INSERT INTO messages (digest, message_id, sender, client, size, uploaded) "
                              "VALUES ($1, $2, $3, $4, $5, $6)",
                              {m.digest, m.message_id, m.sender, m.client, std::to_string(m.size),
                               std::to_string(m.uploaded)},
                              &failure);
      if (!inserted) {
        (void)c.script("ROLLBACK");
        if (failure.sqlstate == kUniqueViolation) return CommitOutcome::kDuplicate;
        return failure.error;
      }
      Status rest = [&]() -> Status {
        MEDCRYPT_TRY(c.query("INSERT INTO deliveries (recipient, digest) SELECT DISTINCT unnest($1::text[]), $2",
                             {array_literal(m.recipients), m.digest}));
        MEDCRYPT_TRY(c.query("INSERT INTO audit (time, event, client, digest, sender, recipients, size) "
                             "VALUES ($1, 'stored', $2, $3, $4, $5, $6)",
                             {std::to_string(m.uploaded), m.client, m.digest, m.sender, join_fingerprints(m.recipients),
                              std::to_string(m.size)}));
        MEDCRYPT_TRY(c.query("DELETE FROM uploads WHERE id = $1", {upload_id}));
        return c.script("COMMIT");
      }();
      if (!rest) {
        (void)c.script("ROLLBACK");
        return rest.error();
      }
      return CommitOutcome::kStored;
    });
  }

  Result<std::vector<MessageRecord>> inbox(const std::vector<std::string>& recipients, std::size_t limit,
                                           const InboxCursor& after, const std::string& sender) override {
    return with([&](Connection& c) -> Result<std::vector<MessageRecord>> {
      MEDCRYPT_ASSIGN_OR_RETURN(
          PgResult r, c.query("SELECT DISTINCT m.digest, m.message_id, m.sender, m.client, m.size, m.uploaded "
                              "FROM deliveries d JOIN messages m ON m.digest = d.digest "
                              "WHERE d.recipient = ANY($1::text[]) AND d.acked IS NULL AND NOT m.removed "
                              "AND (m.uploaded, m.digest) > ($3::bigint, $4::text) AND ($5 = '' OR m.sender = $5) "
                              "ORDER BY m.uploaded, m.digest LIMIT $2",
                              {array_literal(recipients), std::to_string(limit), std::to_string(after.uploaded),
                               after.digest, sender}));
      std::vector<MessageRecord> out;
      for (int i = 0; i < r.rows(); ++i) out.push_back(read_message(r, i));
      return out;
    });
  }

  Result<std::optional<MessageRecord>> find_message(const std::string& digest,
                                                    const std::vector<std::string>& recipients) override {
    return with([&](Connection& c) -> Result<std::optional<MessageRecord>> {
      MEDCRYPT_ASSIGN_OR_RETURN(
          PgResult r, c.query("SELECT m.digest, m.message_id, m.sender, m.client, m.size, m.uploaded FROM messages m "
                              "WHERE m.digest = $1 AND NOT m.removed AND EXISTS (SELECT 1 FROM deliveries d "
                              "WHERE d.digest = m.digest AND d.recipient = ANY($2::text[]))",
                              {digest, array_literal(recipients)}));
      if (r.rows() == 0) return std::optional<MessageRecord>();
      return std::optional<MessageRecord>(read_message(r, 0));
    });
  }

  Result<AckOutcome> acknowledge(const std::string& digest, const std::vector<std::string>& recipients,
                                 const std::string& client, std::int64_t now) override {
    return with([&](Connection& c) -> Result<AckOutcome> {
      MEDCRYPT_TRY(c.script("BEGIN"));
      auto outcome = mark_delivered(c, digest, recipients, client, now);
      Status end = outcome ? c.script("COMMIT") : c.script("ROLLBACK");
      if (!outcome) return outcome;
      MEDCRYPT_TRY(end);
      return outcome;
    });
  }

  Status audit(const AuditRecord& a) override {
    return with([&](Connection& c) -> Status {
      MEDCRYPT_TRY(c.query("INSERT INTO audit (time, event, client, digest, sender, recipients, size) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                           {std::to_string(a.time), a.event, a.client, a.digest, a.sender, a.recipients,
                            std::to_string(a.size)}));
      return {};
    });
  }

 private:
  static MessageRecord read_message(const PgResult& r, int row) {
    MessageRecord m;
    m.digest = r.text(row, 0);
    m.message_id = r.text(row, 1);
    m.sender = r.text(row, 2);
    m.client = r.text(row, 3);
    m.size = static_cast<std::uint64_t>(r.integer(row, 4));
    m.uploaded = r.integer(row, 5);
    return m;
  }

  static Result<AckOutcome> mark_delivered(Connection& c, const std::string& digest,
                                           const std::vector<std::string>& recipients, const std::string& client,
                                           std::int64_t now) {
    AckOutcome out;
    const std::string ids = array_literal(recipients);
    // Locks the message row: concurrent acknowledgements of one message take turns.
    MEDCRYPT_ASSIGN_OR_RETURN(
        PgResult found, c.query("SELECT m.sender, m.size FROM messages m WHERE m.digest = $1 AND NOT m.removed "
                                "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.digest = m.digest "
                                "AND d.recipient = ANY($2::text[])) FOR UPDATE",
                                {digest, ids}));
    if (found.rows() == 0) return out;
    out.found = true;
    MEDCRYPT_ASSIGN_OR_RETURN(PgResult acked,
                              c.query("UPDATE deliveries SET acked = $1 WHERE digest = $2 AND acked IS NULL "
                                      "AND recipient = ANY($3::text[]) RETURNING recipient",
                                      {std::to_string(now), digest, ids}));
    if (acked.rows() > 0) {
      std::vector<std::string> who;
      for (int i = 0; i < acked.rows(); ++i) who.push_back(acked.text(i, 0));
      MEDCRYPT_TRY(c.query("INSERT INTO audit (time, event, client, digest, sender, recipients, size) "
                           "VALUES ($1, 'acknowledged', $2, $3, $4, $5, $6)",
                           {std::to_string(now), client, digest, found.text(0, 0), join_fingerprints(who),
                            found.text(0, 1)}));
    }
    MEDCRYPT_ASSIGN_OR_RETURN(PgResult pending,
                              c.query("SELECT COUNT(*) FROM deliveries WHERE digest = $1 AND acked IS NULL", {digest}));
    if (pending.integer(0, 0) == 0) {
      MEDCRYPT_TRY(c.query("UPDATE messages SET removed = TRUE WHERE digest = $1", {digest}));
      out.all_delivered = true;
    }
    return out;
  }

  // Runs `fn` on a pooled connection, reconnecting one that the server dropped.
  template <typename Fn>
  auto with(Fn fn) -> decltype(fn(std::declval<Connection&>())) {
    PGconn* conn = nullptr;
    {
      std::unique_lock lock(mutex_);
      available_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
      if (!idle_.empty()) {
        conn = idle_.back();
        idle_.pop_back();
      } else {
        ++open_;
      }
    }
    if (conn == nullptr) {
      conn = PQconnectdb(url_.c_str());
    } else if (PQstatus(conn) != CONNECTION_OK) {
      PQreset(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
      Error e = make_error(ErrorCode::kIo, fmt::format("relay database: cannot connect: {}", PQerrorMessage(conn)));
      PQfinish(conn);
      std::lock_guard lock(mutex_);
      --open_;
      available_.notify_one();
      return e;
    }
    Connection c(conn);
    auto result = fn(c);
    std::lock_guard lock(mutex_);
    idle_.push_back(conn);
    available_.notify_one();
    return result;
  }

  std::string url_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<PGconn*> idle_;
  std::size_t open_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url) {
  auto store = std::make_unique<PostgresStore>(url);
  MEDCRYPT_TRY(store->create_schema());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace medcrypt::relay::internal
