// The relay: one coroutine per connection on a few network threads; fsync, verification and database
// calls run on a separate pool (run_blocking) so that a slow disk never stalls the network.
// GCC 12 destroys a lambda twice when it is a temporary inside a co_await expression, and miscompiles
// co_await inside ?: : here lambdas are named before they are awaited, and no co_await sits in a condition.
#include "net/relay_server.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/internal/asio_util.hpp"
#include "net/internal/openssl_util.hpp"
#include "net/internal/request_rules.hpp"
#include "net/internal/tls_context.hpp"
#include "net/url.hpp"
#include "relay/event_log.hpp"
#include "relay/inference.hpp"
#include "relay/mailbox.hpp"

namespace medcrypt::net {
namespace {

using namespace internal;  // NOLINT: the Asio names and helpers of this module
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Request = http::request_parser<http::buffer_body>;
using BodySink = std::function<Status(ByteView)>;  // where a request body goes, a chunk at a time

using relay::EventLog;
using relay::LogLevel;

// Who is on the other end: what its verified certificate says (identities from its identity URIs, id its
// SHA-256, also the key of rate limits) and where it connects from.
struct Client : relay::Client {
  std::string peer;  // ADDR:PORT, for the log
  std::string name() const { return (identities.empty() ? id : identities.front()).substr(0, 16); }
};

// Counts something (a connection, a request) for as long as it lives.
template <typename T>
class Counted {
 public:
  // `count`: false when the caller has counted already.
  explicit Counted(std::atomic<T>& n, bool count = true) : n_(n) {
    if (count) ++n_;
  }
  ~Counted() { --n_; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;

 private:
  std::atomic<T>& n_;
};

// A token bucket per client certificate, refilled continuously.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  bool allow(const std::string& client) {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(burst_, b.tokens + rate_ * std::chrono::duration<double>(now - b.last).count());
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  double rate_, burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// What a handler answers; `reason` is logged for refusals (4xx) and never sent with patient data.
struct Reply {
  http::status status = http::status::ok;
  Json body;  // null: no body, or json_text
  std::string json_text;  // a JSON body made elsewhere
  std::vector<std::pair<std::string, std::string>> headers;
  std::string reason;
};

// The JSON names the reason and the medcrypt error code (README's exit codes) the client reports.
Reply refuse(http::status status, std::string reason, ErrorCode code = ErrorCode::kUsage) {
  Reply r;
  r.status = status;
  r.body = Json{{"error", reason}, {"code", static_cast<int>(code)}};
  r.reason = std::move(reason);
  return r;
}

http::status status_of(relay::Refusal why) {
  switch (why) {
    case relay::Refusal::kMalformed: return http::status::bad_request;
    case relay::Refusal::kNotAllowed: return http::status::forbidden;
    case relay::Refusal::kNotFound: return http::status::not_found;
    case relay::Refusal::kExists:
    case relay::Refusal::kWrongOffset: return http::status::conflict;
    case relay::Refusal::kTooLarge: return http::status::payload_too_large;
    case relay::Refusal::kRejected: return http::status::unprocessable_entity;
    case relay::Refusal::kBusy: return http::status::service_unavailable;
    case relay::Refusal::kFailed: break;
  }
  return http::status::internal_server_error;
}

// The answer to what the mailbox refused.
Reply reply_for(const relay::Refused& refused) {
  Reply r = refuse(status_of(refused.why), refused.error.message, refused.error.code);
  if (refused.why == relay::Refusal::kWrongOffset) r.headers.emplace_back("Upload-Offset", std::to_string(refused.offset));
  if (refused.why == relay::Refusal::kBusy) r.headers.emplace_back("Retry-After", "1");
  if (!refused.own_digest.empty()) r.body["digest"] = refused.own_digest;
  return r;
}

std::string header(const Request& req, std::string_view name) {
  auto it = req.get().find(beast::string_view(name.data(), name.size()));
  return it == req.get().end() ? std::string() : std::string(it->value());
}

std::optional<std::uint64_t> header_number(const Request& req, std::string_view name) {
  std::string v = header(req, name);
  if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoull(v);
}

Json message_json(const relay::MessageRecord& m) {
  return Json{{"digest", m.digest}, {"message_id", m.message_id}, {"sender", m.sender}, {"size", m.size},
              {"uploaded", m.uploaded}};
}

}  // namespace

struct RelayServer::Impl {
  Impl(RelayOptions opts, std::shared_ptr<EventLog> event_log, std::unique_ptr<relay::Mailbox> box,
       ssl::context ctx, unsigned network_threads, unsigned blocking_threads)
      : options(std::move(opts)),
        limits(options.config.limits),
        log(std::move(event_log)),
        mailbox(std::move(box)),
        tls(std::move(ctx)),
        limiter(limits.rate_per_second, limits.rate_burst),
        ioc(static_cast<int>(network_threads)),
        work(asio::make_work_guard(ioc)),
        blocking(blocking_threads),
        acceptor(ioc) {}

  // Everything a session touches is declared before the io_context: destroying the io_context destroys
  // the sessions still waiting on it.
  RelayOptions options;
  const relay::RelayLimits& limits;
  std::shared_ptr<EventLog> log;
  std::unique_ptr<relay::Mailbox> mailbox;
  ssl::context tls;
  RateLimiter limiter;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::atomic<unsigned> evaluations{0};  // encrypted-inference requests being read or evaluated
  std::atomic<std::size_t> connections{0};
  std::mutex shutdown_mutex;
  bool stopped = false;
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  asio::thread_pool blocking;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;

  template <typename Fn>
  asio::awaitable<std::invoke_result_t<Fn&>> blocking_call(Fn fn) {
    return run_blocking(blocking, std::move(fn));
  }

  void refused(const Client& client, std::string_view what, const std::string& reason) {
    log->warn("refused", {{"client", client.name()}, {"peer", client.peer}, {"request", what}, {"reason", reason}});
  }

  // ---- connections ------------------------------------------------------------------------------

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(ioc), into(ec));
      if (ec) {
        if (stopping) co_return;
        log->warn("accept_failed", {{"reason", ec.message()}});
        continue;
      }
      if (connections >= limits.max_connections) {
        log->warn("refused", {{"peer", endpoint(socket)}, {"reason", "too many connections"}});
        continue;  // the socket closes as it goes out of scope
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, session(std::move(socket)), asio::detached);
    }
  }

  static std::string endpoint(const tcp::socket& socket) {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    return ec ? "?" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }

  asio::awaitable<void> session(tcp::socket socket) {
    Counted<std::size_t> open(connections);
    Client client;
    client.peer = endpoint(socket);
    TlsStream stream(std::move(socket), tls);
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(limits.handshake_timeout);
    co_await stream.async_handshake(ssl::stream_base::server, into(ec));
    if (ec) {
      log->warn("tls_refused", {{"peer", client.peer}, {"reason", handshake_failure_reason(ec, stream.native_handle())}});
      co_return;
    }
    X509* cert = SSL_get0_peer_certificate(stream.native_handle());
    client.identities = certificate_identities(cert);
    client.id = certificate_digest(cert);
    log->log(LogLevel::kDebug, "connected", {{"client", client.name()}, {"peer", client.peer}});

    beast::flat_buffer buffer;
    while (!stopping) {
      Request req;
      req.header_limit(limits.max_header_bytes);
      // A handler lowers it before it reads a body. A refused single-request upload is read whole (to
      // answer it), which may be more than the relay's maximum message.
      req.body_limit(std::max({limits.max_message_bytes, kSingleRequestUploadMax, limits.max_inference_request_bytes}));
      beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
      co_await http::async_read_header(stream, buffer, req, into(ec));
      if (ec == http::error::header_limit || ec == http::error::body_limit) {
        bool header = ec == http::error::header_limit;
        std::string reason = header ? fmt::format("header over {} bytes", limits.max_header_bytes)
                                    : fmt::format("body over the limit of {} bytes", limits.max_message_bytes);
        refused(client, "request", reason);
        co_await send(stream, client, req,
                      refuse(header ? http::status::request_header_fields_too_large : http::status::payload_too_large,
                             reason, ErrorCode::kLimits),
                      false, Clock::now());
        break;
      }
      // A request line or header HTTP cannot parse (bytes that are not a token, a bad version) gets an
      // answer before the connection closes; a closed or idle connection does not.
      if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        refused(client, "request", "malformed request: " + ec.message());
        co_await send(stream, client, req, refuse(http::status::bad_request, "malformed request: " + ec.message()),
                      false, Clock::now());
        break;
      }
      if (ec) break;  // closed, idle too long, or not HTTP
      Counted<int> busy(in_flight);
      if (!co_await handle(stream, buffer, req, client)) break;
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(into(ec));
  }

  // Answers one request; false closes the connection.
  asio::awaitable<bool> handle(TlsStream& stream, beast::flat_buffer& buffer, Request& req, const Client& client) {
    auto start = Clock::now();
    const std::string what = fmt::format("{} {}", std::string(req.get().method_string()),
                                         std::string(req.get().target()));
    if (!limiter.allow(client.id)) {
      Reply r = refuse(http::status::too_many_requests, "rate limit", ErrorCode::kLimits);
      r.headers.emplace_back("Retry-After", "1");
      refused(client, what, r.reason);
      co_return co_await send(stream, client, req, std::move(r), req.is_done(), start);
    }
    const auto raw_target = req.get().target();
    Target t = split_target(std::string_view(raw_target.data(), raw_target.size()));
    const auto method = req.get().method();
    const auto& s = t.segments;
    Reply reply;
    bool body_read = req.is_done();
    if (method == http::verb::get && s.size() == 1 && s[0] == "healthz") {
      reply.body = Json{{"status", "ok"}};
    } else if (s.size() >= 2 && s[0] == "v1" && s[1] == "uploads") {
      if (method == http::verb::post && s.size() == 2) {
        reply = co_await create_upload(stream, buffer, req, client);
        body_read = req.is_done();
      } else if (method == http::verb::head && s.size() == 3) {
        reply = co_await upload_offset(s[2], client);
      } else if (method == http::verb::patch && s.size() == 3) {
        reply = co_await append_upload(stream, buffer, req, s[2], client);
        body_read = req.is_done();
      } else {
        reply = refuse(http::status::method_not_allowed, "method not allowed");
      }
    } else if (s.size() == 3 && s[0] == "v1" && s[1] == "he" && s[2] == "evaluate") {
      if (method == http::verb::post) {
        reply = co_await evaluate_encrypted(stream, buffer, req, client);
        body_read = req.is_done();
      } else {
        reply = refuse(http::status::method_not_allowed, "method not allowed");
      }
    } else if (method == http::verb::get && s.size() == 2 && s[0] == "v1" && s[1] == "inbox") {
      reply = co_await inbox(t.query, client);
    } else if (s.size() >= 3 && s[0] == "v1" && s[1] == "messages") {
      if (method == http::verb::get && s.size() == 3) {
        auto sent = co_await download(stream, req, s[2], client, start);
        if (sent) co_return *sent;
        reply = refuse(http::status::not_found, "no such message for this client");
      } else if (method == http::verb::post && s.size() == 4 && s[3] == "ack") {
        reply = co_await acknowledge(s[2], client);
      } else {
        reply = refuse(http::status::method_not_allowed, "method not allowed");
      }
    } else {
      reply = refuse(http::status::not_found, "no such resource");
    }
    if (!reply.reason.empty()) refused(client, what, reply.reason);
    co_return co_await send(stream, client, req, std::move(reply), body_read, start);
  }

  // Writes a reply; keeps the connection only if the request was read whole and the client wants it.
  asio::awaitable<bool> send(TlsStream& stream, const Client& client, Request& req, Reply reply, bool body_read,
                             Clock::time_point start) {
    http::response<http::string_body> res{reply.status, 11};
    res.set(http::field::server, "medcrypt-relay");
    for (auto& [k, v] : reply.headers) res.set(k, v);
    if (!reply.body.is_null() || !reply.json_text.empty()) {
      res.set(http::field::content_type, "application/json");
      res.body() = reply.body.is_null() ? std::move(reply.json_text) : reply.body.dump();
    }
    bool keep = body_read && req.get().keep_alive() && !stopping;
    res.keep_alive(keep);
    res.prepare_payload();
    if (req.get().method() == http::verb::head) {  // headers only: a body would be read as the next response
      res.body().clear();
      res.content_length(0);
    }
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
    co_await http::async_write(stream, res, into(ec));
    log_request(client, req, static_cast<int>(reply.status), 0, start);
    co_return keep && !ec;
  }

  void log_request(const Client& client, const Request& req, int status, std::uint64_t bytes, Clock::time_point start) {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    log->info("request", {{"client", client.name()}, {"method", std::string(req.get().method_string())},
                          {"path", std::string(req.get().target())}, {"status", status}, {"bytes", bytes}, {"ms", ms}});
  }

  // ---- uploads ----------------------------------------------------------------------------------

  // Refuses a request before its body is read. A single-request upload's body (small) is read and dropped
  // first, so that the client reads the reason rather than a reset connection.
  asio::awaitable<Reply> refuse_unread(TlsStream& stream, beast::flat_buffer& buffer, Request& req,
                                       const Client& client, Reply refusal) {
    auto sent = req.content_length();
    if (!req.is_done() && sent && *sent <= kSingleRequestUploadMax) {
      (void)co_await receive_body(stream, buffer, req, {}, *sent, client);
    }
    co_return refusal;
  }

  // POST /v1/uploads. An empty body creates an upload that PATCH requests then send. A body (up to
  // kSingleRequestUploadMax) sends it at once, under an id the client chose (Upload-Id) so that it can
  // resume after a cut: such an upload enters the index only if it does not finish in this request.
  asio::awaitable<Reply> create_upload(TlsStream& stream, beast::flat_buffer& buffer, Request& req,
                                       const Client& client) {
    const bool single = !req.is_done();
    auto length = header_number(req, "Upload-Length");
    auto sent = req.content_length();
    relay::NewUpload upload{header(req, "Upload-Id"), length.value_or(0), !single};
    std::optional<Reply> refusal;
    if (!length || *length == 0) {
      refusal = refuse(http::status::bad_request, "Upload-Length missing or zero");
    } else if (single && (!sent || upload.id.empty())) {
      refusal = refuse(http::status::bad_request, "an upload sent with its creation needs Content-Length and Upload-Id");
    } else if (single && *sent > std::min<std::uint64_t>(*length, kSingleRequestUploadMax)) {
      refusal = refuse(http::status::payload_too_large,
                       fmt::format("{} bytes sent with the creation of an upload of {} (at most {})", *sent,
                                   *length, kSingleRequestUploadMax),
                       ErrorCode::kLimits);
    }
    if (refusal) co_return co_await refuse_unread(stream, buffer, req, client, std::move(*refusal));
    auto begin = [this, c = relay::Client(client), upload] { return mailbox->begin_upload(c, upload); };
    relay::Outcome<relay::Slot> begun = co_await blocking_call(std::move(begin));
    if (auto* r = std::get_if<relay::Refused>(&begun)) {
      co_return co_await refuse_unread(stream, buffer, req, client, reply_for(*r));
    }
    relay::Slot& slot = std::get<relay::Slot>(begun);
    if (!single) co_return created_upload(slot, false);
    const bool whole = co_await receive_body(stream, buffer, req, into_slot(slot), *sent, client);
    if (whole && slot.complete()) co_return co_await finish_upload(std::move(slot), client);
    // Cut short, or the rest comes in PATCH requests: the upload enters the index, to be resumed.
    auto keep = [this, &slot] { return mailbox->keep_for_resume(slot); };
    Status kept = co_await blocking_call(std::move(keep));
    if (!kept) co_return refuse(http::status::internal_server_error, kept.error().message, kept.error().code);
    if (!whole) co_return interrupted(slot, client);
    co_return created_upload(slot, true);
  }

  static BodySink into_slot(relay::Slot& slot) {
    return [&slot](ByteView bytes) { return slot.append(bytes); };
  }

  static Reply created_upload(const relay::Slot& slot, bool with_offset) {
    Reply r;
    r.status = http::status::created;
    r.body = Json{{"id", slot.upload().id}, {"offset", slot.size()}};
    r.headers.emplace_back("Location", "/v1/uploads/" + slot.upload().id);
    if (with_offset) r.headers.emplace_back("Upload-Offset", std::to_string(slot.size()));
    return r;
  }

  // The bytes so far stay: the client asks HEAD for the offset and resumes.
  Reply interrupted(const relay::Slot& slot, const Client& client) {
    log->info("upload_interrupted", {{"client", client.name()}, {"upload", slot.upload().id},
                                     {"offset", slot.size()}, {"length", slot.upload().length}});
    return refuse(http::status::request_timeout, "upload interrupted");
  }

  asio::awaitable<Reply> upload_offset(const std::string& id, const Client& client) {
    auto look = [this, id, c = relay::Client(client)] { return mailbox->upload_progress(id, c); };
    relay::Outcome<relay::UploadProgress> found = co_await blocking_call(std::move(look));
    if (auto* r = std::get_if<relay::Refused>(&found)) co_return reply_for(*r);
    const auto& progress = std::get<relay::UploadProgress>(found);
    Reply r;
    r.headers = {{"Upload-Offset", std::to_string(progress.offset)},
                 {"Upload-Length", std::to_string(progress.length)}, {"Cache-Control", "no-store"}};
    co_return r;
  }

  asio::awaitable<Reply> append_upload(TlsStream& stream, beast::flat_buffer& buffer, Request& req,
                                       const std::string& id, const Client& client) {
    auto offset = header_number(req, "Upload-Offset");
    auto length = req.content_length();
    if (!offset || !length) co_return refuse(http::status::bad_request, "Upload-Offset and Content-Length required");
    auto resume = [this, id, c = relay::Client(client), o = *offset, n = *length] {
      return mailbox->resume_upload(id, c, o, n);
    };
    relay::Outcome<relay::Slot> resumed = co_await blocking_call(std::move(resume));
    if (auto* r = std::get_if<relay::Refused>(&resumed)) co_return reply_for(*r);
    relay::Slot& slot = std::get<relay::Slot>(resumed);
    const bool whole = co_await receive_body(stream, buffer, req, into_slot(slot), *length, client);
    if (!whole) co_return interrupted(slot, client);
    if (!slot.complete()) {
      Reply r;
      r.status = http::status::no_content;
      r.headers.emplace_back("Upload-Offset", std::to_string(slot.size()));
      co_return r;
    }
    co_return co_await finish_upload(std::move(slot), client);
  }

  // Reads a request body into `sink` (or drops it: empty) in bounded chunks, holding the client to the
  // minimum rate.
  asio::awaitable<bool> receive_body(TlsStream& stream, beast::flat_buffer& buffer, Request& req, const BodySink& sink,
                                     std::uint64_t length, const Client& client) {
    req.body_limit(length);
    auto deadline = Clock::now() + limits.idle_timeout +
                    std::chrono::seconds(length / std::max<std::uint64_t>(limits.min_upload_bytes_per_second, 1));
    ChunkBytes chunk(static_cast<std::size_t>(std::clamp<std::uint64_t>(length, 1, kBodyChunk)));
    buffer.reserve(kBodyReadBuffer);
    struct Shrink {  // an idle connection keeps a small buffer
      beast::flat_buffer& b;
      ~Shrink() { b.shrink_to_fit(); }
    } shrink{buffer};
    while (!req.is_done()) {
      req.get().body().data = chunk.data();
      req.get().body().size = chunk.size();
      beast::get_lowest_layer(stream).expires_at(std::min(Clock::now() + limits.idle_timeout, deadline));
      beast::error_code ec;
      co_await http::async_read(stream, buffer, req, into(ec));
      if (ec == http::error::need_buffer) ec = {};
      std::size_t got = chunk.size() - req.get().body().size;
      if (got > 0 && sink) {
        if (Status s = sink(ByteView(chunk.data(), got)); !s) {
          log->warn("storage_error", {{"reason", s.error().message}});
          co_return false;
        }
      }
      if (ec) {
        if (ec == beast::error::timeout && Clock::now() >= deadline) {
          refused(client, "upload body", "slow client: below the minimum upload rate");
        }
        co_return false;
      }
    }
    co_return true;
  }


  // The last byte is in: the mailbox verifies, checks, publishes and indexes it; only then the answer 201.
  asio::awaitable<Reply> finish_upload(relay::Slot slot, const Client& client) {
    auto accept = [this, slot = std::move(slot), c = relay::Client(client)]() mutable {
      return mailbox->accept(std::move(slot), c);
    };
    relay::Outcome<relay::MessageRecord> accepted = co_await blocking_call(std::move(accept));
    if (auto* r = std::get_if<relay::Refused>(&accepted)) co_return reply_for(*r);
    const auto& m = std::get<relay::MessageRecord>(accepted);
    log->info("stored", {{"client", client.name()}, {"digest", m.digest}, {"sender", m.sender.substr(0, 16)},
                         {"recipients", static_cast<std::int64_t>(m.recipients.size())}, {"size", m.size}});
    Reply r;
    r.status = http::status::created;
    r.body = Json{{"digest", m.digest}, {"message_id", m.message_id}, {"size", m.size}};
    r.headers.emplace_back("Location", "/v1/messages/" + m.digest);
    co_return r;
  }

  // ---- inbox, download, acknowledge ---------------------------------------------------------------

  asio::awaitable<Reply> inbox(const std::string& query, const Client& client) {
    auto parsed = parse_inbox_query(query);
    if (!parsed) co_return refuse(http::status::bad_request, parsed.error().message, ErrorCode::kUsage);
    auto list = [this, c = relay::Client(client), q = *parsed] { return mailbox->inbox(c, q); };
    relay::Outcome<std::vector<relay::MessageRecord>> messages = co_await blocking_call(std::move(list));
    if (auto* refused = std::get_if<relay::Refused>(&messages)) co_return reply_for(*refused);
    Reply r;
    r.body = Json{{"messages", Json::array()}};
    for (const relay::MessageRecord& m : std::get<0>(messages)) r.body["messages"].push_back(message_json(m));
    r.headers.emplace_back("Cache-Control", "no-store");
    co_return r;
  }

  // Streams a message file; nullopt when there is nothing to send (the caller answers 404).
  asio::awaitable<std::optional<bool>> download(TlsStream& stream, Request& req, const std::string& digest,
                                                const Client& client, Clock::time_point start) {
    auto find = [this, digest, c = relay::Client(client)] { return mailbox->find(digest, c); };
    auto found = co_await blocking_call(std::move(find));
    if (!found) log->warn("storage_error", {{"reason", found.error().message}});
    if (!found || !*found) co_return std::nullopt;
    const relay::MessageRecord& message = (*found)->message;
    int fd = ::open((*found)->file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) co_return std::nullopt;
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::server, "medcrypt-relay");
    res.set(http::field::content_type, "application/octet-stream");
    res.set("Medcrypt-Digest", digest);
    res.content_length(message.size);
    bool keep = req.is_done() && req.get().keep_alive() && !stopping;
    res.keep_alive(keep);
    http::response_serializer<http::empty_body> sr(res);
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
    co_await http::async_write_header(stream, sr, into(ec));
    ChunkBytes chunk(kBodyChunk);
    std::uint64_t sent = 0;
    while (!ec && sent < message.size) {
      ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(sent));
      if (n <= 0) co_return false;  // the file shrank under us: cut the response short
      beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
      co_await asio::async_write(stream, asio::buffer(chunk.data(), static_cast<std::size_t>(n)), into(ec));
      sent += static_cast<std::uint64_t>(n);
    }
    log_request(client, req, 200, sent, start);
    if (ec) co_return false;
    auto record = [this, c = relay::Client(client), message, sent] { return mailbox->record_download(c, message, sent); };
    Status audited = co_await blocking_call(std::move(record));
    if (!audited) log->warn("storage_error", {{"reason", audited.error().message}});
    co_return keep;
  }

  asio::awaitable<Reply> acknowledge(const std::string& digest, const Client& client) {
    auto mark = [this, digest, c = relay::Client(client)] { return mailbox->acknowledge(digest, c); };
    relay::Outcome<bool> acked = co_await blocking_call(std::move(mark));
    if (auto* r = std::get_if<relay::Refused>(&acked)) co_return reply_for(*r);
    log->info("acknowledged", {{"client", client.name()}, {"digest", digest}, {"delivered", std::get<bool>(acked)}});
    Reply r;
    r.status = http::status::no_content;
    co_return r;
  }

  // ---- encrypted inference ------------------------------------------------------------------------

  // POST /v1/he/evaluate: encrypted features in, encrypted scores out (relay::InferenceService). The body
  // is held in memory, up to max_inference_request_bytes.
  asio::awaitable<Reply> evaluate_encrypted(TlsStream& stream, beast::flat_buffer& buffer, Request& req,
                                            const Client& client) {
    if (!options.inference) {
      co_return co_await refuse_unread(stream, buffer, req, client,
                                       refuse(http::status::not_found, "this relay serves no encrypted inference"));
    }
    auto length = req.content_length();
    if (!length || *length == 0) co_return refuse(http::status::bad_request, "Content-Length missing or zero");
    if (*length > limits.max_inference_request_bytes) {
      co_return refuse(http::status::payload_too_large,
                       fmt::format("request of {} bytes is over the limit of {}", *length,
                                   limits.max_inference_request_bytes),
                       ErrorCode::kLimits);
    }
    // At most inference_jobs requests are held in memory and evaluated at once, so that they never take
    // the blocking pool (and its fsyncs and database calls) from the mailbox, nor more memory than
    // inference_jobs x max_inference_request_bytes.
    if (++evaluations > limits.inference_jobs) {
      --evaluations;
      Reply r = refuse(http::status::service_unavailable, "encrypted inference is busy", ErrorCode::kLimits);
      r.headers.emplace_back("Retry-After", "1");
      co_return r;
    }
    Counted<unsigned> evaluating(evaluations, false);
    std::string body;
    auto append = [&body](ByteView bytes) -> Status {
      body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return {};
    };
    if (!co_await receive_body(stream, buffer, req, append, *length, client)) {
      co_return refuse(http::status::request_timeout, "request interrupted");
    }
    auto evaluate = [service = options.inference, body = std::move(body)] { return service->evaluate(body); };
    relay::Outcome<std::string> scores = co_await blocking_call(std::move(evaluate));
    if (auto* r = std::get_if<relay::Refused>(&scores)) co_return reply_for(*r);
    log->info("evaluated", {{"client", client.name()}, {"model", options.inference->model().substr(0, 16)},
                            {"bytes", *length}});
    Reply r;
    r.json_text = std::move(std::get<std::string>(scores));
    r.headers.emplace_back("Cache-Control", "no-store");
    co_return r;
  }

  // ---- housekeeping -------------------------------------------------------------------------------

  // Drops uploads abandoned for longer than upload_expiry, at start and every hour.
  asio::awaitable<void> expire_uploads() {
    asio::steady_timer timer(ioc);
    while (!stopping) {
      auto expire = [this] { return mailbox->expire(); };
      auto removed = co_await blocking_call(std::move(expire));
      if (!removed) log->warn("expiry_failed", {{"reason", removed.error().message}});
      else if (*removed > 0) log->info("uploads_expired", {{"count", *removed}});
      timer.expires_after(std::chrono::hours(1));
      beast::error_code ec;
      co_await timer.async_wait(into(ec));
    }
  }
};

RelayServer::RelayServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RelayServer::~RelayServer() { shutdown(); }

std::uint16_t RelayServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

Result<std::unique_ptr<RelayServer>> RelayServer::start(const RelayOptions& options) {
  MEDCRYPT_ASSIGN_OR_RETURN(HostPort listen, parse_host_port(options.listen));
  MEDCRYPT_ASSIGN_OR_RETURN(std::shared_ptr<EventLog> log, EventLog::create(options.log_file));
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<relay::Mailbox> mailbox,
                            relay::Mailbox::open(options.data_dir, options.config.store, options.config.limits));
  MEDCRYPT_ASSIGN_OR_RETURN(ssl::context tls, server_tls_context(options.tls));
  unsigned threads = options.config.threads != 0 ? options.config.threads
                                                  : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  unsigned blocking = options.config.blocking_threads != 0 ? options.config.blocking_threads : 4 * threads;
  auto impl = std::make_unique<Impl>(options, std::move(log), std::move(mailbox), std::move(tls),
                                     threads, blocking);
  beast::error_code ec;
  auto address = asio::ip::make_address(listen.host, ec);
  if (ec) return make_error(ErrorCode::kUsage, fmt::format("listen address '{}' is not an IP address", listen.host));
  tcp::endpoint endpoint(address, listen.port);
  tcp::acceptor& acceptor = impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("cannot listen on {}: {}", options.listen, ec.message()));

  Impl* p = impl.get();
  asio::co_spawn(p->ioc, p->accept_loop(), asio::detached);
  asio::co_spawn(p->ioc, p->expire_uploads(), asio::detached);
  for (unsigned i = 0; i < threads; ++i) p->threads.emplace_back([p] { p->ioc.run(); });
  p->log->info("listening", {{"address", fmt::format("{}:{}", listen.host, acceptor.local_endpoint(ec).port())},
                             {"store", options.config.store.starts_with("postgres") ? "postgresql" : "sqlite"},
                             {"threads", threads}});
  return std::unique_ptr<RelayServer>(new RelayServer(std::move(impl)));
}

void RelayServer::shutdown() {
  Impl& i = *impl_;
  std::lock_guard lock(i.shutdown_mutex);
  if (i.stopped) return;
  i.stopped = true;
  i.stopping = true;
  i.log->info("shutting_down", {{"in_flight", i.in_flight.load()}});
  asio::post(i.ioc, [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);
  });
  auto deadline = Clock::now() + i.options.config.shutdown_grace;
  while (i.in_flight > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  i.work.reset();
  i.ioc.stop();
  for (auto& t : i.threads) t.join();
  i.blocking.join();
  i.log->info("stopped", {{"unfinished", i.in_flight.load()}});
}

}  // namespace medcrypt::net
