// The embedded index: one SQLite database in WAL mode with synchronous=FULL, so a committed row survives
// a crash. One writer connection (SQLite has one writer anyway) whose commits are grouped: concurrent
// writes share a transaction and its fsync.
#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>
#include <unordered_map>

#include <fmt/format.h>

#include "relay/internal/stores.hpp"

namespace medcrypt::relay::internal {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, client TEXT NOT NULL, length INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  digest TEXT PRIMARY KEY, message_id TEXT NOT NULL, sender TEXT NOT NULL, client TEXT NOT NULL,
  size INTEGER NOT NULL, uploaded INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS messages_by_client ON messages (client) WHERE removed = 0;
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_sender_id ON messages (sender, message_id);
CREATE TABLE IF NOT EXISTS deliveries (
  recipient TEXT NOT NULL, digest TEXT NOT NULL REFERENCES messages (digest), acked INTEGER,
  PRIMARY KEY (recipient, digest));
CREATE INDEX IF NOT EXISTS deliveries_by_digest ON deliveries (digest);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, event TEXT NOT NULL, client TEXT NOT NULL,
  digest TEXT NOT NULL, sender TEXT NOT NULL, recipients TEXT NOT NULL, size INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Relays before message ids were unique per signer made them unique across all signers (a UNIQUE column),
// so that whoever used an id first could block another sender's message. SQLite drops a column constraint
// only by copying the table (its documented procedure, foreign keys off meanwhile).
constexpr const char* kSchemaPerSignerIds = R"sql(
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE messages_per_signer (
  digest TEXT PRIMARY KEY, message_id TEXT NOT NULL, sender TEXT NOT NULL, client TEXT NOT NULL,
  size INTEGER NOT NULL, uploaded INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0);
INSERT INTO messages_per_signer SELECT digest, message_id, sender, client, size, uploaded, removed FROM messages;
DROP TABLE messages;
ALTER TABLE messages_per_signer RENAME TO messages;
CREATE INDEX messages_by_client ON messages (client) WHERE removed = 0;
CREATE UNIQUE INDEX messages_by_sender_id ON messages (sender, message_id);
COMMIT;
PRAGMA foreign_keys = ON;
)sql";

// One SQLite connection, the mutex that serialises its users, and its compiled statements: compiling
// one (the schema's triggers and foreign keys included) costs more than running it, on every upload.
struct Connection {
  sqlite3* db = nullptr;
  std::mutex mutex;
  bool durable = true;  // the connection's synchronous setting: FULL (true) or NORMAL
  std::unordered_map<std::string, sqlite3_stmt*> idle;  // compiled statements not in use, by SQL

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [sql, stmt] : idle) sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
  }

  // A compiled statement for `sql`, the cached one if it is idle; nullptr if it does not compile.
  sqlite3_stmt* take(const std::string& sql) {
    if (auto it = idle.find(sql); it != idle.end()) {
      sqlite3_stmt* stmt = it->second;
      idle.erase(it);
      return stmt;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return nullptr;
    }
    return stmt;
  }
  // Resets a statement and keeps it for the next use of its SQL.
  void give_back(const std::string& sql, sqlite3_stmt* stmt) {
    if (stmt == nullptr) return;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (!idle.try_emplace(sql, stmt).second) sqlite3_finalize(stmt);  // a second copy was in use at once
  }

  Status exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      Error e = make_error(ErrorCode::kIo, fmt::format("relay database: {}", message ? message : "error"));
      sqlite3_free(message);
      return e;
    }
    return {};
  }
};

// One use of a compiled statement of `connection`; the caller holds the connection's mutex.
class Statement {
 public:
  Statement(Connection& connection, std::string sql)
      : connection_(connection), sql_(std::move(sql)), stmt_(connection.take(sql_)) {}
  ~Statement() { connection_.give_back(sql_, stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Statement& bind(const std::string& v) {
    sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(std::int64_t v) {
    sqlite3_bind_int64(stmt_, ++index_, v);
    return *this;
  }
  Statement& bind(const std::vector<std::string>& values) {
    for (const std::string& v : values) bind(v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step() { return stmt_ != nullptr ? sqlite3_step(stmt_) : SQLITE_ERROR; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                        : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  Error error(std::string_view what) const {
    return make_error(ErrorCode::kIo, fmt::format("relay database: {}: {}", what, sqlite3_errmsg(connection_.db)));
  }

 private:
  Connection& connection_;
  std::string sql_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

// Runs one statement without results (BEGIN, COMMIT, a PRAGMA) through the statement cache.
Status run(Connection& c, const char* sql) {
  Statement s(c, sql);
  if (s.step() != SQLITE_DONE) return s.error(sql);
  return {};
}

// "?, ?, ?" for an IN list.
std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

MessageRecord read_message(const Statement& s) {
  MessageRecord m;
  m.digest = s.text(0);
  m.message_id = s.text(1);
  m.sender = s.text(2);
  m.client = s.text(3);
  m.size = static_cast<std::uint64_t>(s.integer(4));
  m.uploaded = s.integer(5);
  return m;
}

constexpr const char* kDuplicateMarker = "duplicate";
constexpr const char* kMessageColumns = "m.digest, m.message_id, m.sender, m.client, m.size, m.uploaded";

Status open_connection(Connection& c, const std::filesystem::path& path) {
  int rc = sqlite3_open_v2(path.c_str(), &c.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open the relay database: {}", path.string(),
                                                  c.db != nullptr ? sqlite3_errmsg(c.db) : "out of memory"));
  }
  sqlite3_busy_timeout(c.db, 10000);
  return c.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

// A writer and a reader connection: in WAL mode readers never wait for the writer's fsync. Writes that
// acknowledge something to a client (a stored message, a delivery) are durable (synchronous = FULL);
// the others (an upload begun, an audit row of a download) are synced by the next durable commit, as
// the WAL is written in order.
class SqliteStore final : public Store {
 public:
  Status open(const std::filesystem::path& path) {
    MEDCRYPT_TRY(open_connection(writer_, path));
    MEDCRYPT_TRY(migrate_message_ids());
    MEDCRYPT_TRY(migrate_uploads());
    MEDCRYPT_TRY(writer_.exec(kSchema));
    return open_connection(reader_, path);
  }

  Status create_upload(const UploadRecord& u) override {
    return write(false, [&]() -> Status {
      Statement s(writer_, "INSERT INTO uploads (id, client, length, created) VALUES (?, ?, ?, ?)");
      s.bind(u.id).bind(u.client).bind(static_cast<std::int64_t>(u.length)).bind(u.created);
      if (s.step() != SQLITE_DONE) return s.error("create upload");
      return {};
    });
  }

  Result<std::optional<UploadRecord>> find_upload(const std::string& id) override {
    std::lock_guard lock(reader_.mutex);
    Statement s(reader_, "SELECT id, client, length, created FROM uploads WHERE id = ?");
    s.bind(id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<UploadRecord>();
    if (rc != SQLITE_ROW) return s.error("find upload");
    return std::optional<UploadRecord>(
        UploadRecord{s.text(0), s.text(1), static_cast<std::uint64_t>(s.integer(2)), s.integer(3)});
  }

  Status delete_upload(const std::string& id) override {
    return write(false, [&]() -> Status {
      Statement s(writer_, "DELETE FROM uploads WHERE id = ?");
      s.bind(id);
      if (s.step() != SQLITE_DONE) return s.error("delete upload");
      return {};
    });
  }

  Result<std::vector<std::string>> expired_uploads(std::int64_t before) override {
    std::lock_guard lock(reader_.mutex);
    Statement s(reader_, "SELECT id FROM uploads WHERE created < ?");
    s.bind(before);
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
    if (rc != SQLITE_DONE) return s.error("expired uploads");
    return out;
  }

  Result<std::uint64_t> client_usage(const std::string& client) override {
    std::lock_guard lock(reader_.mutex);
    Statement s(reader_,
                "SELECT COALESCE((SELECT SUM(size) FROM messages WHERE client = ?1 AND removed = 0), 0) + "
                "COALESCE((SELECT SUM(length) FROM uploads WHERE client = ?1), 0)");
    s.bind(client);
    if (s.step() != SQLITE_ROW) return s.error("client usage");
    return static_cast<std::uint64_t>(s.integer(0));
  }

  Result<std::optional<MessageRecord>> find_stored(const std::string& digest, const std::string& message_id,
                                                   const std::string& sender) override {
    std::lock_guard lock(reader_.mutex);
    Statement s(reader_, fmt::format("SELECT {} FROM messages m WHERE m.digest = ? OR (m.sender = ? AND "
                                     "m.message_id = ?) LIMIT 1",
                                     kMessageColumns));
    s.bind(digest).bind(sender).bind(message_id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<MessageRecord>();
    if (rc != SQLITE_ROW) return s.error("replay check");
    return std::optional<MessageRecord>(read_message(s));
  }

  Result<CommitOutcome> commit_message(const MessageRecord& m, const std::string& upload_id) override {
    Status written = write(true, [&]() -> Status {
      Statement insert(writer_, "INSERT INTO messages (digest, message_id, sender, client, size, uploaded) "
                                "VALUES (?, ?, ?, ?, ?, ?)");
      insert.bind(m.digest).bind(m.message_id).bind(m.sender).bind(m.client);
      insert.bind(static_cast<std::int64_t>(m.size)).bind(m.uploaded);
      int rc = insert.step();
      if (rc == SQLITE_CONSTRAINT) return make_error(ErrorCode::kUsage, kDuplicateMarker);  // rolls back this write
      if (rc != SQLITE_DONE) return insert.error("store message");
      for (const std::string& r : m.recipients) {
        Statement d(writer_, "INSERT OR IGNORE INTO deliveries (recipient, digest) VALUES (?, ?)");
        d.bind(r).bind(m.digest);
        if (d.step() != SQLITE_DONE) return d.error("store delivery");
      }
      MEDCRYPT_TRY(insert_audit({m.uploaded, "stored", m.client, m.digest, m.sender, join_fingerprints(m.recipients),
                                 m.size}));
      Statement done(writer_, "DELETE FROM uploads WHERE id = ?");
      done.bind(upload_id);
      if (done.step() != SQLITE_DONE) return done.error("end upload");
      return {};
    });
    if (written) return CommitOutcome::kStored;
    // A failed batch replaces every write's result with its own error, the marker included.
    if (written.error().message == kDuplicateMarker) return CommitOutcome::kDuplicate;
    return written.error();
  }

  Result<std::vector<MessageRecord>> inbox(const std::vector<std::string>& recipients, std::size_t limit,
                                           const InboxCursor& after, const std::string& sender) override {
    std::vector<MessageRecord> out;
    if (recipients.empty()) return out;
    std::lock_guard lock(reader_.mutex);
    Statement s(reader_, fmt::format("SELECT DISTINCT {} FROM deliveries d JOIN messages m ON m.digest = d.digest "
                                     "WHERE d.recipient IN ({}) AND d.acked IS NULL AND m.removed = 0 "
                                     "AND (m.uploaded > ? OR (m.uploaded = ? AND m.digest > ?)) "
                                     "AND (? = '' OR m.sender = ?) "
                                     "ORDER BY m.uploaded, m.digest LIMIT ?",
                                     kMessageColumns, placeholders(recipients.size())));
    s.bind(recipients).bind(after.uploaded).bind(after.uploaded).bind(after.digest).bind(sender).bind(sender);
    s.bind(static_cast<std::int64_t>(limit));
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_message(s));
    if (rc != SQLITE_DONE) return s.error("inbox");
    return out;
  }

  Result<std::optional<MessageRecord>> find_message(const std::string& digest,
                                                    const std::vector<std::string>& recipients) override {
    if (recipients.empty()) return std::optional<MessageRecord>();
    std::lock_guard lock(reader_.mutex);
    Statement s(reader_, fmt::format("SELECT {} FROM messages m WHERE m.digest = ? AND m.removed = 0 AND EXISTS "
                                     "(SELECT 1 FROM deliveries d WHERE d.digest = m.digest AND d.recipient IN ({}))",
                                     kMessageColumns, placeholders(recipients.size())));
    s.bind(digest).bind(recipients);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<MessageRecord>();
    if (rc != SQLITE_ROW) return s.error("find message");
    return std::optional<MessageRecord>(read_message(s));
  }

  Result<AckOutcome> acknowledge(const std::string& digest, const std::vector<std::string>& recipients,
                                 const std::string& client, std::int64_t now) override {
    AckOutcome out;
    if (recipients.empty()) return out;
    MEDCRYPT_TRY(write(true, [&]() -> Status {
      MEDCRYPT_ASSIGN_OR_RETURN(out, mark_delivered(digest, recipients, client, now));
      return {};
    }));
    return out;
  }

  Status audit(const AuditRecord& r) override {
    return write(false, [&] { return insert_audit(r); });
  }

  // The CREATE statement of `table` as stored, or "" if there is no such table.
  Result<std::string> table_sql(const char* table) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(writer_.db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &stmt,
                           nullptr) != SQLITE_OK) {
      return make_error(ErrorCode::kIo, fmt::format("relay database: {}", sqlite3_errmsg(writer_.db)));
    }
    sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* sql = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      if (sql != nullptr) out = sql;
    }
    sqlite3_finalize(stmt);
    return out;
  }

  // An index made before message ids were per signer is copied into today's schema (kSchemaPerSignerIds).
  Status migrate_message_ids() {
    MEDCRYPT_ASSIGN_OR_RETURN(std::string sql, table_sql("messages"));
    const bool old = sql.find("message_id TEXT NOT NULL UNIQUE") != std::string::npos;
    return old ? writer_.exec(kSchemaPerSignerIds) : Status();
  }

  // Uploads of relays before container version 2 carried the sender's X25519 key beside the container;
  // the container now names it.
  Status migrate_uploads() {
    MEDCRYPT_ASSIGN_OR_RETURN(std::string sql, table_sql("uploads"));
    const bool old = sql.find("sender_x25519") != std::string::npos;
    return old ? writer_.exec("ALTER TABLE uploads DROP COLUMN sender_x25519;") : Status();
  }

 private:
  // One write waiting for the writer connection.
  struct Job {
    std::function<Status()> body;
    bool durable;
    Status result = make_error(ErrorCode::kIo, "relay database: the write was not committed");
    bool done = false;
  };

  // Runs `body` in a write transaction on the writer connection; an error from it rolls back its own
  // changes only. Group commit: writes that arrive while another batch is committing (a durable commit
  // waits for the WAL's fsync) queue up, and one of them then commits the whole queue in one
  // transaction, each body in its own savepoint, with one fsync for all of them.
  template <typename Body>
  Status write(bool durable, Body body) {
    Job job{[&body]() -> Status { return body(); }, durable};
    std::unique_lock queue_lock(queue_mutex_);
    queue_.push_back(&job);
    while (!job.done) {
      if (committing_) {
        committed_.wait(queue_lock);  // the batch being committed, or the next one, will hold this job
        continue;
      }
      committing_ = true;
      std::vector<Job*> batch;
      batch.swap(queue_);
      queue_lock.unlock();
      Status committed;
      try {
        std::lock_guard lock(writer_.mutex);
        committed = commit_batch(batch);
      } catch (...) {
        committed = make_error(ErrorCode::kIo, "relay database: out of memory");
      }
      queue_lock.lock();
      for (Job* j : batch) {
        if (!committed) j->result = committed;  // rolled back with the batch, whatever its own outcome
        j->done = true;
      }
      committing_ = false;
      committed_.notify_all();
    }
    return job.result;
  }

  // One transaction for `batch`, durable if any of its writes asks to be; each job's own outcome goes
  // to its result, the transaction's to the return value. The caller holds the writer's mutex.
  Status commit_batch(const std::vector<Job*>& batch) {
    const bool durable = std::any_of(batch.begin(), batch.end(), [](const Job* j) { return j->durable; });
    Status status;
    if (writer_.durable != durable) {
      status = run(writer_, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
      if (status) writer_.durable = durable;
    }
    if (status) status = run(writer_, "BEGIN IMMEDIATE");
    try {
      for (Job* j : batch) {
        if (!status || !(status = run(writer_, "SAVEPOINT job"))) break;
        try {
          j->result = j->body();
        } catch (...) {
          j->result = make_error(ErrorCode::kIo, "relay database: the write failed (out of memory)");
        }
        if (!j->result) status = run(writer_, "ROLLBACK TO job");  // fails if SQLite ended the transaction
        if (status) status = run(writer_, "RELEASE job");
      }
      if (status) status = run(writer_, "COMMIT");
    } catch (...) {
      status = make_error(ErrorCode::kIo, "relay database: out of memory");
    }
    if (!status && sqlite3_get_autocommit(writer_.db) == 0) (void)run(writer_, "ROLLBACK");
    return status;
  }

  Status insert_audit(const AuditRecord& r) {
    Statement s(writer_, "INSERT INTO audit (time, event, client, digest, sender, recipients, size) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(r.time).bind(r.event).bind(r.client).bind(r.digest).bind(r.sender).bind(r.recipients);
    s.bind(static_cast<std::int64_t>(r.size));
    if (s.step() != SQLITE_DONE) return s.error("audit");
    return {};
  }

  Result<AckOutcome> mark_delivered(const std::string& digest, const std::vector<std::string>& recipients,
                                    const std::string& client, std::int64_t now) {
    AckOutcome out;
    Statement found(writer_, fmt::format("SELECT m.sender, m.size FROM messages m WHERE m.digest = ? AND m.removed = 0 "
                                         "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.digest = m.digest "
                                         "AND d.recipient IN ({}))",
                                         placeholders(recipients.size())));
    found.bind(digest).bind(recipients);
    int rc = found.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return found.error("acknowledge");
    out.found = true;
    const std::string sender = found.text(0);
    const auto size = static_cast<std::uint64_t>(found.integer(1));
    Statement mark(writer_, fmt::format("UPDATE deliveries SET acked = ? WHERE digest = ? AND acked IS NULL "
                                        "AND recipient IN ({}) RETURNING recipient",
                                        placeholders(recipients.size())));
    mark.bind(now).bind(digest).bind(recipients);
    std::vector<std::string> acked;
    while ((rc = mark.step()) == SQLITE_ROW) acked.push_back(mark.text(0));
    if (rc != SQLITE_DONE) return mark.error("acknowledge");
    if (!acked.empty()) {
      MEDCRYPT_TRY(insert_audit({now, "acknowledged", client, digest, sender, join_fingerprints(acked), size}));
    }
    Statement pending(writer_, "SELECT COUNT(*) FROM deliveries WHERE digest = ? AND acked IS NULL");
    pending.bind(digest);
    if (pending.step() != SQLITE_ROW) return pending.error("acknowledge");
    if (pending.integer(0) == 0) {
      Statement remove(writer_, "UPDATE messages SET removed = 1 WHERE digest = ?");
      remove.bind(digest);
      if (remove.step() != SQLITE_DONE) return remove.error("acknowledge");
      out.all_delivered = true;
    }
    return out;
  }

  Connection writer_, reader_;
  std::mutex queue_mutex_;
  std::condition_variable committed_;  // a batch was committed: its writers return
  std::vector<Job*> queue_;            // writes waiting for the next batch, oldest first
  bool committing_ = false;            // a batch is being committed (by one of its writers)
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path) {
  auto store = std::make_unique<SqliteStore>();
  MEDCRYPT_TRY(store->open(path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace medcrypt::relay::internal
