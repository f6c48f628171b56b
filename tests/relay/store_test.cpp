// The relay's index on both backends: uploads, messages, deliveries, replays, quotas, the audit log.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "relay/store.hpp"
#include "net/net_test_support.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

std::string hex(char c, std::size_t n = 64) { return std::string(n, c); }

relay::MessageRecord message(char digest, char id, std::vector<std::string> recipients) {
  relay::MessageRecord m;
  m.digest = hex(digest);
  m.message_id = hex(id, 32);
  m.sender = hex('5');
  m.client = "client-a";
  m.recipients = std::move(recipients);
  m.size = 1000;
  m.uploaded = 1700000000000;
  return m;
}

// Every behaviour the relay relies on, for one Store.
void exercise(relay::Store& store) {
  const std::string bob = hex('b'), carol = hex('c'), eve = hex('e');
  ASSERT_TRUE(store.create_upload({hex('1', 32), "client-a", 500, 1000}));
  auto found = store.find_upload(hex('1', 32));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->length, 500u);
  EXPECT_EQ(*store.client_usage("client-a"), 500u);
  EXPECT_EQ(*store.expired_uploads(2000), std::vector<std::string>{hex('1', 32)});
  EXPECT_TRUE(store.expired_uploads(1000)->empty());

  auto m = message('d', '1', {bob, carol});
  ASSERT_EQ(*store.commit_message(m, hex('1', 32)), relay::CommitOutcome::kStored);
  EXPECT_FALSE(*store.find_upload(hex('1', 32)));  // the upload ended with the commit
  EXPECT_EQ(*store.client_usage("client-a"), 1000u);
  // Replays: the same digest, or the same sender's message id under another digest.
  EXPECT_EQ((*store.find_stored(m.digest, hex('0', 32), m.sender))->client, "client-a");
  EXPECT_TRUE(*store.find_stored(hex('f'), m.message_id, m.sender));
  EXPECT_FALSE(*store.find_stored(hex('f'), hex('0', 32), m.sender));
  EXPECT_EQ(*store.commit_message(message('f', '1', {bob}), "none"), relay::CommitOutcome::kDuplicate);
  EXPECT_EQ(*store.commit_message(m, "none"), relay::CommitOutcome::kDuplicate);
  // Another sender's message with the same id is no replay: whoever sees an id cannot block its sender.
  EXPECT_FALSE(*store.find_stored(hex('9'), m.message_id, hex('6')));
  auto other = message('9', '1', {bob});
  other.sender = hex('6');
  other.uploaded = 0;  // before every message the paging below lists
  ASSERT_TRUE(store.create_upload({hex('3', 32), "client-a", 1, 1000}));
  EXPECT_EQ(*store.commit_message(other, hex('3', 32)), relay::CommitOutcome::kStored);
  EXPECT_TRUE(store.acknowledge(other.digest, {bob}, "client-b", 1500)->all_delivered);

  EXPECT_EQ(store.inbox({bob}, 10)->size(), 1u);
  EXPECT_EQ(store.inbox({bob, carol}, 10)->size(), 1u);  // one message, even for two of its recipients
  EXPECT_TRUE(store.inbox({eve}, 10)->empty());
  EXPECT_TRUE(*store.find_message(m.digest, {carol}));
  EXPECT_FALSE(*store.find_message(m.digest, {eve}));

  auto nobody = store.acknowledge(m.digest, {eve}, "client-e", 2000);
  EXPECT_FALSE(nobody->found);
  auto first = store.acknowledge(m.digest, {bob}, "client-b", 2000);
  EXPECT_TRUE(first->found);
  EXPECT_FALSE(first->all_delivered);
  EXPECT_TRUE(store.inbox({bob}, 10)->empty());
  EXPECT_EQ(store.inbox({carol}, 10)->size(), 1u);
  auto last = store.acknowledge(m.digest, {carol}, "client-c", 3000);
  EXPECT_TRUE(last->all_delivered);
  EXPECT_FALSE(*store.find_message(m.digest, {carol}));
  EXPECT_EQ(*store.client_usage("client-a"), 0u);
  EXPECT_TRUE(*store.find_stored(m.digest, m.message_id, m.sender));  // still refused after delivery

  EXPECT_TRUE(store.audit({4000, "downloaded", "client-b", m.digest, m.sender, bob, 1000}));

  // Paging by position: five messages for eve, two uploaded in the same millisecond, from two senders.
  const std::vector<std::pair<char, std::int64_t>> pending = {{'3', 10}, {'1', 20}, {'2', 20}, {'4', 30}, {'0', 40}};
  int n = 0;
  for (const auto& [digest, uploaded] : pending) {
    auto p = message(digest, static_cast<char>('a' + n), {eve});
    p.uploaded = uploaded;
    p.sender = hex(n % 2 == 0 ? '5' : '6');
    ++n;
    ASSERT_TRUE(store.create_upload({hex(static_cast<char>('a' + n), 32), "client-a", 1, 1000}));
    ASSERT_EQ(*store.commit_message(p, hex(static_cast<char>('a' + n), 32)), relay::CommitOutcome::kStored);
  }
  std::string order;
  relay::InboxCursor after;
  for (int page = 0; page < 5; ++page) {
    auto got = store.inbox({eve}, 2, after, {});
    ASSERT_TRUE(got) << got.error().message;
    for (const auto& r : *got) order += r.digest[0];
    if (got->size() < 2) break;
    after = {got->back().uploaded, got->back().digest};
  }
  EXPECT_EQ(order, "31240");  // oldest first; the same millisecond by digest
  std::string from_six;
  auto six = store.inbox({eve}, 10, {}, hex('6'));
  ASSERT_TRUE(six);
  for (const auto& r : *six) from_six += r.digest[0];
  EXPECT_EQ(from_six, "14");
  EXPECT_EQ(store.inbox({eve}, 10, {20, hex('1')}, hex('5'))->size(), 2u);  // '2' and '0'

  ASSERT_TRUE(store.create_upload({hex('2', 32), "client-a", 7, 1000}));
  ASSERT_TRUE(store.delete_upload(hex('2', 32)));
  EXPECT_FALSE(*store.find_upload(hex('2', 32)));
}

TEST(Store, Sqlite) {
  ScratchDir dir;
  auto store = relay::open_store("sqlite", dir.path());
  ASSERT_TRUE(store) << store.error().message;
  exercise(**store);
  // Reopening keeps everything (the schema is created only if missing).
  store->reset();
  auto again = relay::open_store("sqlite:" + (dir / "relay.db").string(), dir.path());
  ASSERT_TRUE(again);
  EXPECT_TRUE(*(*again)->find_stored(hex('d'), hex('1', 32), hex('5')));
}

// Writes from many threads at once are committed in groups (one transaction, one fsync); each still
// gets its own outcome. Eight threads commit 25 message ids each, the same ids: each id is stored once.
// An index made when message ids were unique across senders: opened by today's relay, it keeps every row
// and takes another sender's message with a stored id.
TEST(Store, SqliteIndexFromBeforePerSignerIdsIsMigrated) {
  ScratchDir dir;
  const std::string old_schema =
      "CREATE TABLE messages (digest TEXT PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL, "
      "client TEXT NOT NULL, size INTEGER NOT NULL, uploaded INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0);"
      "CREATE INDEX messages_by_client ON messages (client) WHERE removed = 0;"
      "CREATE TABLE deliveries (recipient TEXT NOT NULL, digest TEXT NOT NULL REFERENCES messages (digest), "
      "acked INTEGER, PRIMARY KEY (recipient, digest));"
      "INSERT INTO messages VALUES ('" + hex('d') + "', '" + hex('1', 32) + "', '" + hex('5') + "', 'client-a', 10, 5, 0);"
      "INSERT INTO deliveries VALUES ('" + hex('b') + "', '" + hex('d') + "', NULL);";
  auto made = run_command("sqlite3 " + shell_quote((dir / "relay.db").string()) + " " + shell_quote(old_schema));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto store = relay::open_store("sqlite", dir.path());
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->inbox({hex('b')}, 10)->size(), 1u);
  EXPECT_TRUE(*(*store)->find_stored(hex('e'), hex('1', 32), hex('5')));
  auto other = message('f', '1', {hex('b')});
  other.sender = hex('6');
  ASSERT_TRUE((*store)->create_upload({hex('2', 32), "client-a", 1, 1000}));
  EXPECT_EQ(*(*store)->commit_message(other, hex('2', 32)), relay::CommitOutcome::kStored);
  EXPECT_EQ((*store)->inbox({hex('b')}, 10)->size(), 2u);
  auto schema = run_command("sqlite3 " + shell_quote((dir / "relay.db").string()) + " '.schema messages'");
  EXPECT_EQ(schema.out.find("UNIQUE,"), std::string::npos) << schema.out;
  EXPECT_NE(schema.out.find("messages_by_sender_id"), std::string::npos) << schema.out;
}

// An index of a relay from before container version 2 kept each upload's declared X25519 key: opened by
// today's relay, the column goes and the open uploads stay (checked with the sqlite3 tool, not the store).
TEST(Store, SqliteUploadsFromBeforeVersionTwoContainersAreMigrated) {
  ScratchDir dir;
  const std::string old_schema =
      "CREATE TABLE uploads (id TEXT PRIMARY KEY, client TEXT NOT NULL, sender_x25519 TEXT NOT NULL, "
      "length INTEGER NOT NULL, created INTEGER NOT NULL);"
      "INSERT INTO uploads VALUES ('" + hex('1', 32) + "', 'client-a', '" + hex('9') + "', 500, 1000);";
  auto made = run_command("sqlite3 " + shell_quote((dir / "relay.db").string()) + " " + shell_quote(old_schema));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto store = relay::open_store("sqlite", dir.path());
  ASSERT_TRUE(store) << store.error().message;
  auto kept = (*store)->find_upload(hex('1', 32));
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->length, 500u);
  EXPECT_TRUE((*store)->create_upload({hex('2', 32), "client-a", 7, 1000}));
  EXPECT_EQ(*(*store)->client_usage("client-a"), 507u);
  auto schema = run_command("sqlite3 " + shell_quote((dir / "relay.db").string()) + " '.schema uploads'");
  EXPECT_EQ(schema.out.find("sender_x25519"), std::string::npos) << schema.out;
}

TEST(Store, ConcurrentCommitsKeepEachOutcome) {
  ScratchDir dir;
  auto store = relay::open_store("sqlite", dir.path());
  ASSERT_TRUE(store) << store.error().message;
  constexpr int kThreads = 8, kIds = 25;
  auto number = [](int value, int width) {
    std::string s = std::to_string(value);
    return std::string(static_cast<std::size_t>(width) - s.size(), '0') + s;
  };
  std::vector<std::vector<relay::CommitOutcome>> outcomes(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kIds; ++k) {
        const std::string upload = number(t * 100 + k, 32);
        if (!(*store)->create_upload({upload, "client-a", 10, 1000})) failures[t] = "create_upload";
        relay::MessageRecord m = message('d', '1', {hex('b')});
        m.digest = number(t * 100 + k, 64);
        m.message_id = number(k, 32);
        auto outcome = (*store)->commit_message(m, upload);
        if (!outcome) {
          failures[t] = outcome.error().message;
          return;
        }
        outcomes[t].push_back(*outcome);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(failures[t], "") << "thread " << t;
    ASSERT_EQ(outcomes[t].size(), static_cast<std::size_t>(kIds));
  }
  for (int k = 0; k < kIds; ++k) {
    int stored = 0;
    for (int t = 0; t < kThreads; ++t) {
      const bool was_stored = outcomes[t][k] == relay::CommitOutcome::kStored;
      stored += was_stored ? 1 : 0;
      // A stored message ends its upload; a refused one leaves it for the relay to remove.
      EXPECT_EQ(!*(*store)->find_upload(number(t * 100 + k, 32)), was_stored) << t << "/" << k;
      EXPECT_EQ(!!*(*store)->find_stored(number(t * 100 + k, 64), number(999, 32), hex('5')), was_stored)
          << t << "/" << k;
    }
    EXPECT_EQ(stored, 1) << "id " << k;
  }
  EXPECT_EQ((*store)->inbox({hex('b')}, 1000)->size(), static_cast<std::size_t>(kIds));
  EXPECT_EQ(*(*store)->client_usage("client-a"), kIds * 1000u + (kThreads - 1) * kIds * 10u);
}

TEST(Store, PostgreSql) {
  ScratchDir dir;
  std::string why;
  auto pg = PostgresServer::start(dir / "pg", &why);
  if (!pg) GTEST_SKIP() << "SKIPPED: " << why;
  auto store = relay::open_store(pg->url(), dir.path());
  ASSERT_TRUE(store) << store.error().message;
  exercise(**store);
  // A second relay on the same database finds the schema in place.
  auto second = relay::open_store(pg->url(), dir.path());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(*(*second)->find_stored(hex('d'), hex('1', 32), hex('5')));
  auto audit = run_command("psql -h 127.0.0.1 -p " + std::to_string(pg->port()) +
                           " -U postgres -tAc 'DELETE FROM audit' postgres");
  EXPECT_NE(audit.out.find("append-only"), std::string::npos) << audit.out;
}

TEST(Store, RefusesAnUnknownBackend) {
  ScratchDir dir;
  EXPECT_FALSE(relay::open_store("mysql://x", dir.path()));
}

}  // namespace
}  // namespace medcrypt::test
