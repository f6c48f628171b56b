// The relay in-process with its client: the round trip, and every refusal with its logged reason (no
// client certificate, another CA, TLS 1.2, another's inbox, a modified, replayed, oversized or
// unsigned upload, a signer not bound to the certificate, a header too large, an idle client, an
// upload over the quota), uploads that resume after their connection is cut (sent in one request, or
// created first), upload ids kept to their client, and part files left by a crash removed.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "container/container.hpp"
#include "core/file_io.hpp"
#include "he/encrypted_head.hpp"
#include "net/relay_client.hpp"
#include "net/relay_server.hpp"
#include "net_test_support.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

class Relay : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(const relay::RelayConfig& config) {
    server.reset();
    net::RelayOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir / "data";
    options.tls = pki.server();
    options.config = config;
    options.log_file = log;
    options.inference = inference;
    auto started = net::RelayServer::start(options);
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(server->port()); }

  net::RelayClient client(const std::string& name, net::RetryPolicy retry = {}) const {
    auto c = net::RelayClient::create(url(), pki.client(name), retry);
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }

  // A container signed by `from` for `to`.
  std::filesystem::path sealed(const std::string& from, const std::string& to, std::uint32_t seed,
                               std::uint32_t side = 64) {
    auto path = dir / ("c" + std::to_string(seed) + ".mct");
    crypto::Identity signer = pki.identity(from);
    write_container(path, {pki.identity(to).public_identity}, &signer, side, side, seed);
    return path;
  }

  Result<net::UploadReceipt> upload(const std::string& as, const std::filesystem::path& container) {
    return client(as).upload(container);
  }

  // The log line that records a refusal, or "" if there is none.
  std::string logged(const std::string& event, const std::string& reason) {
    wait_for_text(log, reason, std::chrono::seconds(5));
    std::istringstream lines(read_text(log));
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\"event\":\"" + event + "\"") != std::string::npos && line.find(reason) != std::string::npos) {
        return line;
      }
    }
    return {};
  }

  // A raw TLS client with `name`'s certificate, sending `request`.
  ProbeOptions probe_as(const std::string& name, std::string request = {}) const {
    ProbeOptions probe;
    probe.cert = pki.client(name).cert;
    probe.key = pki.client(name).key;
    probe.ca = pki.dir / "ca.crt";
    probe.request = std::move(request);
    return probe;
  }

  std::string fingerprint(const std::string& name) const { return to_hex(pki.identity(name).public_identity.fingerprint()); }

  ScratchDir dir;
  TestPki pki{dir / "pki", {"alice", "bob", "eve"}};
  std::filesystem::path log = dir / "relay.log";
  std::shared_ptr<const relay::InferenceService> inference;
  std::unique_ptr<net::RelayServer> server;
};

TEST_F(Relay, UploadListDownloadAcknowledge) {
  ASSERT_TRUE(client("alice").health());
  auto container = sealed("alice", "bob", 1, 300);
  auto receipt = upload("alice", container);
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->size, std::filesystem::file_size(container));
  // Content-addressed by the SHA-256 of the whole file, hashed as its bytes arrived.
  const auto whole = crypto::sha256(*read_file(container, 1 << 20));
  EXPECT_EQ(receipt->digest, to_hex(ByteView(whole.data(), whole.size())));

  auto bob = client("bob");
  auto inbox = bob.inbox();
  ASSERT_TRUE(inbox) << inbox.error().message;
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].digest, receipt->digest);
  EXPECT_EQ((*inbox)[0].sender, fingerprint("alice"));
  auto eve_inbox = client("eve").inbox();
  ASSERT_TRUE(eve_inbox);
  EXPECT_TRUE(eve_inbox->empty());

  auto fetched = dir / "fetched.mct";
  Status downloaded = bob.download(receipt->digest, fetched);
  ASSERT_TRUE(downloaded) << downloaded.error().message;
  EXPECT_EQ(*read_file(fetched, 1 << 20), *read_file(container, 1 << 20));
  ASSERT_TRUE(bob.acknowledge(receipt->digest));
  EXPECT_TRUE(bob.inbox()->empty());
  // Delivered to every recipient: the relay no longer holds the file.
  EXPECT_FALSE(std::filesystem::exists(dir / "data" / "objects" / receipt->digest.substr(0, 2) / receipt->digest));

  // The audit log has the upload and the acknowledgement, and refuses to be changed.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "data" / "relay.db").c_str(), &db), SQLITE_OK);
  std::vector<std::string> events;
  sqlite3_exec(
      db, "SELECT event FROM audit ORDER BY seq",
      [](void* out, int, char** values, char**) {
        static_cast<std::vector<std::string>*>(out)->push_back(values[0]);
        return 0;
      },
      &events, nullptr);
  EXPECT_EQ(events, (std::vector<std::string>{"stored", "downloaded", "acknowledged"}));
  // A small upload is created and sent in one request, and never enters the table of open uploads.
  EXPECT_EQ(read_text(log).find("\"method\":\"PATCH\""), std::string::npos) << read_text(log);
  int open_uploads = -1;
  sqlite3_exec(
      db, "SELECT COUNT(*) FROM uploads",
      [](void* out, int, char** values, char**) {
        *static_cast<int*>(out) = std::stoi(values[0]);
        return 0;
      },
      &open_uploads, nullptr);
  EXPECT_EQ(open_uploads, 0);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_FALSE(logged("stored", receipt->digest).empty());
}

TEST_F(Relay, RefusesAClientWithoutCertificate) {
  ProbeOptions probe;
  probe.ca = pki.dir / "ca.crt";
  probe.request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto seen = tls_probe(server->port(), probe);
  EXPECT_EQ(seen.response.find("200"), std::string::npos) << seen.response;
  EXPECT_FALSE(logged("tls_refused", "no client certificate").empty()) << read_text(log);
}

TEST_F(Relay, RefusesACertificateFromAnotherCa) {
  TestPki other(dir / "other", {"alice"});
  net::TlsFiles forged = other.client("alice");
  forged.ca = pki.dir / "ca.crt";  // trusts the relay, but its own certificate is from the other CA
  auto c = net::RelayClient::create(url(), forged);
  ASSERT_TRUE(c);
  auto health = c->health();
  ASSERT_FALSE(health);
  EXPECT_EQ(health.error().code, ErrorCode::kBadKey) << health.error().message;
  EXPECT_FALSE(logged("tls_refused", "certificate refused: unable to get local issuer certificate").empty())
      << read_text(log);
}

TEST_F(Relay, RefusesAServerCertificateUsedAsAClients) {
  auto c = net::RelayClient::create(url(), pki.server());
  ASSERT_TRUE(c);
  auto health = c->health();
  ASSERT_FALSE(health);
  EXPECT_EQ(health.error().code, ErrorCode::kBadKey) << health.error().message;
  EXPECT_FALSE(logged("tls_refused", "certificate refused: unsuitable certificate purpose").empty())
      << read_text(log);
}

TEST_F(Relay, RefusesATls12OnlyClient) {
  ProbeOptions probe = probe_as("alice");
  probe.tls12_only = true;
  EXPECT_FALSE(tls_probe(server->port(), probe).handshake);
  EXPECT_FALSE(logged("tls_refused", "does not offer TLS 1.3").empty()) << read_text(log);
}

// A request line with bytes that are not UTF-8 gets an answer before the connection closes, not a silent
// drop: 404 where HTTP allows them (the target), 400 where it does not (the method, control characters,
// an unknown version); so do malformed inbox positions and senders.
TEST_F(Relay, AnswersMalformedRequests) {
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"GET /v1/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 404"},
      {"G\xff\xfeT /v1/inbox HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"},
      {std::string("GET /v1/in\x01") + "box HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"},
      {"GET /v1/inbox HTTP/9.9\r\nHost: x\r\n\r\n", "HTTP/1.1 400"}};
  for (const auto& [request, answer] : requests) {
    auto seen = tls_probe(server->port(), probe_as("alice", request));
    EXPECT_TRUE(seen.handshake);
    EXPECT_EQ(seen.response.rfind(answer, 0), 0u) << request << ": " << seen.response;
  }
  for (const std::string& query : {std::string("after=12"), "after=x." + std::string(64, 'a'), std::string("from=alice")}) {
    auto seen = tls_probe(server->port(), probe_as("alice", "GET /v1/inbox?" + query +
                                                                " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    EXPECT_EQ(seen.response.rfind("HTTP/1.1 400", 0), 0u) << query << ": " << seen.response;
  }
}

TEST_F(Relay, RefusesReadingAnotherInbox) {
  auto receipt = upload("alice", sealed("alice", "bob", 2));
  ASSERT_TRUE(receipt) << receipt.error().message;
  auto seen = tls_probe(server->port(), probe_as("eve", "GET /v1/inbox?for=" + fingerprint("bob") +
                                                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_NE(seen.response.find("403"), std::string::npos) << seen.response;
  EXPECT_FALSE(logged("refused", "is not bound to this certificate").empty()) << read_text(log);

  auto eve = client("eve");
  auto taken = eve.download(receipt->digest, dir / "stolen.mct");
  ASSERT_FALSE(taken);
  EXPECT_FALSE(std::filesystem::exists(dir / "stolen.mct"));
  EXPECT_FALSE(eve.acknowledge(receipt->digest));
  EXPECT_FALSE(logged("refused", "GET /v1/messages/" + receipt->digest).empty()) << read_text(log);
  ASSERT_EQ(client("bob").inbox()->size(), 1u);  // still there for bob
}

// The relay checks an upload as its bytes arrive when one request brings them all (sent with its
// creation, or created first and sent in one PATCH), and reads it back from disk when it was resumed.
TEST_F(Relay, RefusesAModifiedUpload) {
  struct Case {
    const char* path;
    std::uint32_t side;       // 8-bit grey: side * side bytes of pixels
    std::uint64_t cut_after;  // 0: no cut
    const char* refused;      // the request the refusal answers
  };
  for (const Case& c : {Case{"one request", 64, 0, "POST"}, Case{"created, then one PATCH", 2200, 0, "PATCH"},
                        Case{"resumed after a cut", 1024, 300 * 1024, "PATCH"}}) {
    SCOPED_TRACE(c.path);
    server.reset();
    std::filesystem::remove(log);
    start({});
    auto container = sealed("alice", "bob", 3 + c.side, c.side);
    auto bytes = *read_file(container, 8 << 20);
    bytes[bytes.size() / 2] ^= 0x01;  // a payload byte
    ASSERT_TRUE(write_file_atomic(container, bytes));
    std::optional<CuttingProxy> proxy;
    if (c.cut_after > 0) proxy.emplace(server->port(), c.cut_after);
    net::RetryPolicy fast;
    fast.first_delay = std::chrono::milliseconds(50);
    auto sender = net::RelayClient::create(
        "https://127.0.0.1:" + std::to_string(proxy ? proxy->port() : server->port()), pki.client("alice"), fast);
    ASSERT_TRUE(sender);
    auto receipt = sender->upload(container);
    ASSERT_FALSE(receipt);
    EXPECT_EQ(receipt.error().code, ErrorCode::kSignature) << receipt.error().message;
    if (proxy) {
      EXPECT_GE(proxy->connections(), 2);
      EXPECT_FALSE(logged("upload_interrupted", "\"offset\"").empty()) << read_text(log);
    }
    EXPECT_FALSE(logged("refused", "signature does not verify").empty()) << read_text(log);
    std::string answered = logged("request", "\"status\":422");
    EXPECT_NE(answered.find(std::string("\"method\":\"") + c.refused + "\""), std::string::npos) << read_text(log);
    EXPECT_TRUE(client("bob").inbox()->empty());
    EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "uploads"));
  }
}

TEST_F(Relay, RefusesAReplayedUpload) {
  auto container = sealed("alice", "bob", 4);
  ASSERT_TRUE(upload("alice", container));
  auto again = upload("alice", container);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("replay"), std::string::npos) << again.error().message;
  // Still refused once delivered and gone from the relay.
  auto bob = client("bob");
  ASSERT_TRUE(bob.acknowledge((*bob.inbox())[0].digest));
  ASSERT_FALSE(upload("alice", container));
  EXPECT_FALSE(logged("refused", "replay").empty()) << read_text(log);
  EXPECT_TRUE(bob.inbox()->empty());
}

TEST_F(Relay, RefusesAnOversizedUpload) {
  relay::RelayConfig config;
  config.limits.max_message_bytes = 16 * 1024;
  start(config);
  // About 3 MB, sent in one request: the relay reads it to the end before it answers, so the client
  // gets the reason rather than a connection reset halfway through its body.
  auto receipt = upload("alice", sealed("alice", "bob", 5, 1800));
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, ErrorCode::kLimits) << receipt.error().message;
  EXPECT_NE(receipt.error().message.find("over the limit of 16384"), std::string::npos) << receipt.error().message;
  EXPECT_FALSE(logged("refused", "over the limit of 16384").empty()) << read_text(log);
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "uploads"));
}

// The quota counts stored messages, open uploads and single-request uploads still arriving.
TEST_F(Relay, AppliesTheQuotaToUploadsInFlight) {
  relay::RelayConfig config;
  config.limits.quota_bytes = 200 * 1000;
  start(config);
  ASSERT_TRUE(upload("alice", sealed("alice", "bob", 20, 300)));  // 90 kB held
  // A single-request upload of 100 kB that sends 10 bytes and stalls until the probe gives up (5 s;
  // the relay's idle timeout is 30 s): until then it is in flight, with no row in the index.
  const std::string id(32, 'a');
  auto probe = probe_as("alice", "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Id: " + id +
                                     "\r\nUpload-Length: 100000"
                                     "\r\nContent-Length: 100000\r\n\r\n0123456789");
  std::thread stalled([&] { (void)tls_probe(server->port(), probe); });
  auto part = dir / "data" / "uploads" / (id + ".part");
  for (int i = 0; i < 500 && !std::filesystem::exists(part); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(std::filesystem::exists(part));
  auto refused = upload("alice", sealed("alice", "bob", 21, 150));  // 22.5 kB more
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kLimits) << refused.error().message;
  EXPECT_NE(refused.error().message.find("quota"), std::string::npos) << refused.error().message;
  EXPECT_EQ(read_text(log).find("upload_interrupted"), std::string::npos) << "refused by the row, not in flight";
  stalled.join();
  // Cut short, the stalled upload is kept for its client to resume: it holds its bytes in the index.
  EXPECT_FALSE(logged("upload_interrupted", id).empty()) << read_text(log);
  auto after = upload("alice", sealed("alice", "bob", 22, 150));
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().message.find("quota"), std::string::npos) << after.error().message;
}

// A part file that a crash left under an upload id (no row names it, no request holds it) is emptied
// and used again when the client starts that upload again.
TEST_F(Relay, ReusesAPartLeftByACrash) {
  const std::string id(32, 'e');
  auto part = dir / "data" / "uploads" / (id + ".part");
  ASSERT_TRUE(write_file_atomic(part, std::vector<std::uint8_t>(100, 7)));
  std::string seen =
      tls_probe(server->port(),
                probe_as("alice", "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Id: " + id +
                                      "\r\nUpload-Length: 1000"
                                     "\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789"))
          .response;
  EXPECT_NE(seen.find("201 Created"), std::string::npos) << seen;
  EXPECT_NE(seen.find("Upload-Offset: 10\r\n"), std::string::npos) << seen;
  EXPECT_EQ(*read_file(part, 1000), (std::vector<std::uint8_t>{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}));
}

// A client's own id for a single-request upload names it for that client only.
TEST_F(Relay, KeepsUploadIdsToTheirClient) {
  const std::string id(32, 'b');
  auto post = [&](const std::string& as) {
    return tls_probe(server->port(),
                     probe_as(as, "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Id: " + id +
                                      "\r\nUpload-Length: 1000"
                                      "\r\nContent-Length: 10\r\n\r\n0123456789"
                                      "HEAD /v1/uploads/" + id +
                                      " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .response;
  };
  // Alice sends the first 10 bytes of 1000: the upload is open, at offset 10.
  std::string alice = post("alice");
  EXPECT_NE(alice.find("201 Created"), std::string::npos) << alice;
  EXPECT_NE(alice.find("Upload-Offset: 10"), std::string::npos) << alice;
  EXPECT_NE(alice.find("200 OK"), std::string::npos) << alice;
  // Eve cannot take the id over, nor see the upload.
  std::string eve = post("eve");
  EXPECT_NE(eve.find("409 Conflict"), std::string::npos) << eve;
  EXPECT_NE(eve.find("404 Not Found"), std::string::npos) << eve;
  EXPECT_EQ(eve.find("no such upload"), std::string::npos) << eve;  // the answer to HEAD has no body
  EXPECT_EQ(std::filesystem::file_size(dir / "data" / "uploads" / (id + ".part")), 10u);
}

// A part file with no upload in the index (a single-request upload cut by a crash) is removed once it is
// older than the upload expiry, at the relay's start.
TEST_F(Relay, RemovesOrphanedPartsAtStart) {
  server.reset();
  auto orphan = dir / "data" / "uploads" / (std::string(32, 'c') + ".part");
  auto fresh = dir / "data" / "uploads" / (std::string(32, 'd') + ".part");
  for (const auto& p : {orphan, fresh}) ASSERT_TRUE(write_file_atomic(p, std::vector<std::uint8_t>(100, 1)));
  std::filesystem::last_write_time(orphan, std::filesystem::file_time_type::clock::now() - std::chrono::hours(25));
  start({});
  for (int i = 0; i < 500 && std::filesystem::exists(orphan); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(std::filesystem::exists(orphan));
  EXPECT_TRUE(std::filesystem::exists(fresh));
  EXPECT_FALSE(logged("uploads_expired", "\"count\":1").empty()) << read_text(log);
}

TEST_F(Relay, RefusesUnsignedContainersAndSignersNotBoundToTheCertificate) {
  auto unsigned_path = dir / "unsigned.mct";
  write_container(unsigned_path, {pki.identity("bob").public_identity}, nullptr, 32, 32, 6);
  auto unsigned_receipt = upload("alice", unsigned_path);
  ASSERT_FALSE(unsigned_receipt);
  EXPECT_EQ(unsigned_receipt.error().code, ErrorCode::kSignature);
  EXPECT_FALSE(logged("refused", "not signed").empty());

  // Eve's certificate uploading what Alice signed: the container names Alice as its signer.
  auto container = sealed("alice", "bob", 7);
  auto receipt = upload("eve", container);
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, ErrorCode::kSignature) << receipt.error().message;
  EXPECT_FALSE(logged("refused", "the signer is not an identity of this client's certificate").empty());
}

TEST_F(Relay, RefusesAnOversizedHeaderAndClosesIdleConnections) {
  relay::RelayConfig config;
  config.limits.max_header_bytes = 2048;
  config.limits.idle_timeout = std::chrono::seconds(1);
  start(config);
  ProbeOptions probe =
      probe_as("alice", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_NE(tls_probe(server->port(), probe).response.find("431"), std::string::npos);
  EXPECT_FALSE(logged("refused", "header over 2048 bytes").empty()) << read_text(log);

  // A request that never ends: the relay hangs up after the idle timeout (the probe would wait 5 s).
  probe.request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  auto start_time = std::chrono::steady_clock::now();
  auto seen = tls_probe(server->port(), probe);
  EXPECT_TRUE(seen.handshake);
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, std::chrono::seconds(4));
}

// Cut midway, an upload resumes from what the relay kept: a small one sent in one request (the relay
// records it when the cut comes), and one over kSingleRequestUploadMax, created first and then sent.
TEST_F(Relay, AnUploadCutMidwayResumes) {
  struct Case {
    std::uint32_t side;  // 8-bit grey: side * side bytes of pixels
    std::uint64_t cut_after;
    const char* sent_by;  // the request that carries the bytes
  };
  for (const Case& c : {Case{1024, 300 * 1024, "POST"}, Case{2200, 2 << 20, "PATCH"}}) {
    SCOPED_TRACE(c.side);
    server.reset();
    std::filesystem::remove(log);
    start({});
    auto container = sealed("alice", "bob", 8 + c.side, c.side);
    CuttingProxy proxy(server->port(), c.cut_after);
    net::RetryPolicy fast;
    fast.first_delay = std::chrono::milliseconds(50);
    auto client = net::RelayClient::create("https://127.0.0.1:" + std::to_string(proxy.port()), pki.client("alice"), fast);
    ASSERT_TRUE(client);
    auto receipt = client->upload(container);
    ASSERT_TRUE(receipt) << receipt.error().message << read_text(log);
    EXPECT_GE(proxy.connections(), 2);
    // The relay kept what arrived before the cut, and the client went on from there.
    std::string cut = logged("upload_interrupted", "\"offset\"");
    ASSERT_FALSE(cut.empty()) << read_text(log);
    EXPECT_EQ(cut.find("\"offset\":0,"), std::string::npos) << cut;
    std::string cut_request = logged("request", "\"status\":408");
    EXPECT_NE(cut_request.find(std::string("\"method\":\"") + c.sent_by + "\""), std::string::npos) << read_text(log);
    auto fetched = dir / "fetched.mct";
    ASSERT_TRUE(this->client("bob").download(receipt->digest, fetched));
    EXPECT_EQ(*read_file(fetched, 8 << 20), *read_file(container, 8 << 20));
  }
}

TEST_F(Relay, AppliesTheRateLimitPerClient) {
  relay::RelayConfig config;
  config.limits.rate_per_second = 1;
  config.limits.rate_burst = 3;
  start(config);
  const std::string health = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  auto seen = tls_probe(server->port(), probe_as("alice", health + "\r\n" + health + "\r\n" + health + "\r\n" +
                                                              health + "Connection: close\r\n\r\n"));
  EXPECT_NE(seen.response.find("429 Too Many Requests"), std::string::npos) << seen.response;
  EXPECT_FALSE(logged("refused", "rate limit").empty());
}

// Encrypted inference (paper 004) beside the inbox, under the same mutual TLS: the owner's features go in
// encrypted, the relay computes the scores with its head in the clear, and the owner's decryption equals
// the plaintext fixed-point sum exactly. The relay never holds the secret key.
TEST_F(Relay, EvaluatesAHeadOnEncryptedFeaturesForCertifiedClientsOnly) {
  const he::LinearHead plain{2, 5, {0.5f, -1.25f, 2.0f, 0.0f, 3.5f, -0.75f, 1.0f, -2.5f, 0.25f, 1.5f}, {0.125f, -3.0f},
                             std::string(64, '7')};
  auto head = he::quantize_head(plain);
  ASSERT_TRUE(head) << head.error().message;
  inference = std::make_shared<relay::InferenceService>(*head, 2);
  start({});
  const auto key = he::PrivateKey::generate(2048);
  ASSERT_TRUE(key) << key.error().message;
  const std::vector<float> features = {0.5f, 1.0f, -2.0f, 3.0f, 0.25f, -1.0f, 0.0f, 4.5f, 2.0f, -0.5f,
                                       7.0f, -6.0f, 1.5f, 0.75f, 2.25f};  // 3 images
  auto request = he::encrypt_features(*key, features, 3, 5, plain.model);
  ASSERT_TRUE(request) << request.error().message;
  const std::string json = he::to_json(*request);

  auto answer = client("alice").evaluate_encrypted(json);
  ASSERT_TRUE(answer) << answer.error().message;
  auto reply = he::parse_logit_reply(*answer);
  ASSERT_TRUE(reply) << reply.error().message;
  ASSERT_TRUE(he::check_reply_matches(*request, *reply));
  auto logits = he::decrypt_logits(*key, *reply);
  ASSERT_TRUE(logits) << logits.error().message;
  EXPECT_EQ(*logits, he::plain_logits(*head, *he::quantize_features(features), 3));
  EXPECT_FALSE(logged("evaluated", plain.model.substr(0, 16)).empty()) << read_text(log);

  // Without a client certificate there is no handshake, so no answer.
  ProbeOptions anonymous;
  anonymous.ca = pki.dir / "ca.crt";
  anonymous.request = "POST /v1/he/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(json.size()) +
                      "\r\n\r\n" + json;
  auto seen = tls_probe(server->port(), anonymous);
  EXPECT_EQ(seen.response.find("HTTP/1.1"), std::string::npos) << seen.response.substr(0, 200);
  EXPECT_FALSE(logged("tls_refused", "no client certificate").empty()) << read_text(log);

  // Features of another network, and a body that is no request: refused with a reason.
  auto other = he::encrypt_features(*key, features, 3, 5, std::string(64, '8'));
  auto refused = client("alice").evaluate_encrypted(he::to_json(*other));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("come from model"), std::string::npos) << refused.error().message;
  auto garbage = client("alice").evaluate_encrypted("{\"format\": 1}");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("encrypted head"), std::string::npos) << garbage.error().message;
}

// One request at a time by default (inference_jobs): a second one, while the first is still arriving,
// gets 503 and Retry-After rather than a blocking thread and its memory.
TEST_F(Relay, EvaluatesOneEncryptedRequestAtATime) {
  auto head = he::quantize_head({2, 1, {1.0f, -1.0f}, {0.0f, 0.0f}, std::string(64, '7')});
  ASSERT_TRUE(head) << head.error().message;
  inference = std::make_shared<relay::InferenceService>(*head, 1);
  start({});
  // Declares 100000 bytes, sends 10, and stalls until the probe gives up (5 s). A second request a second
  // later finds the relay busy (tried again, should a loaded machine delay the first past that second).
  net::RetryPolicy once;
  once.attempts = 1;
  bool busy = false;
  std::string seen;
  for (int attempt = 0; attempt < 3 && !busy; ++attempt) {
    ProbeResult first;
    std::thread stalled([&] {
      first = tls_probe(server->port(), probe_as("alice", "POST /v1/he/evaluate HTTP/1.1\r\nHost: x\r\n"
                                                          "Content-Length: 100000\r\n\r\n0123456789"));
    });
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto answer = client("bob", once).evaluate_encrypted("{}");
    seen = answer ? "evaluated" : answer.error().message;
    busy = seen.find("encrypted inference is busy") != std::string::npos;
    stalled.join();
    seen += "; stalled request answered '" + first.response.substr(0, 40) + "'";
  }
  EXPECT_TRUE(busy) << seen;
  // Once the stalled request is gone, requests are evaluated again (this one is refused for what it is).
  std::string last;
  bool served = wait_until([&] {
    auto after = client("bob", once).evaluate_encrypted("{}");
    last = after ? "evaluated" : after.error().message;
    return last.find("encrypted head") != std::string::npos;
  }, std::chrono::seconds(10));
  EXPECT_TRUE(served) << last;
}

TEST_F(Relay, ARelayWithoutAHeadServesNoEncryptedInference) {
  auto answer = client("alice").evaluate_encrypted("{}");
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message.find("serves no encrypted inference"), std::string::npos)
      << answer.error().message;
}

}  // namespace
}  // namespace medcrypt::test
