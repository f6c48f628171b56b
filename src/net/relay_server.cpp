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
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "container/container.hpp"
#include "crypto/identity.hpp"
#include "crypto/random.hpp"
#include "net/event_log.hpp"
#include "net/internal/asio_util.hpp"
#include "net/internal/message_files.hpp"
#include "net/internal/openssl_util.hpp"
#include "net/internal/request_rules.hpp"
#include "net/internal/stores.hpp"
#include "net/internal/tls_context.hpp"
#include "net/store.hpp"
#include "net/url.hpp"

namespace medcrypt::net {
namespace {

using namespace internal;  // NOLINT: the Asio names and helpers of this module
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Request = http::request_parser<http::buffer_body>;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Who is on the other end: what its verified certificate says.
struct Client {
  std::vector<std::string> identities;  // fingerprints (hex) from the certificate's identity URIs
  std::string id;                       // SHA-256 of the certificate (hex): quotas, rate limits, uploads
  std::string peer;                     // ADDR:PORT, for the log
  std::string name() const { return (identities.empty() ? id : identities.front()).substr(0, 16); }
};

// Counts something (a connection, a request) for as long as it lives.
template <typename T>
class Counted {
 public:
  explicit Counted(std::atomic<T>& n) : n_(n) { ++n_; }
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
  Json body;  // null: no body
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

// A refusal's status for a container that failed the relay's checks.
http::status status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return http::status::internal_server_error;
    default:
      return http::status::unprocessable_entity;
  }
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

Json message_json(const MessageRecord& m) {
  return Json{{"digest", m.digest}, {"message_id", m.message_id}, {"sender", m.sender}, {"size", m.size},
              {"uploaded", m.uploaded}};
}

}  // namespace

struct RelayServer::Impl {
  Impl(RelayOptions opts, std::shared_ptr<EventLog> event_log, std::unique_ptr<Store> st, MessageFiles fs,
       ssl::context ctx, unsigned network_threads, unsigned blocking_threads)
      : options(std::move(opts)),
        limits(options.config.limits),
        log(std::move(event_log)),
        store(std::move(st)),
        files(std::move(fs)),
        tls(std::move(ctx)),
        limiter(limits.rate_per_second, limits.rate_burst),
        ioc(static_cast<int>(network_threads)),
        work(asio::make_work_guard(ioc)),
        blocking(blocking_threads),
        acceptor(ioc) {}

  // Everything a session touches is declared before the io_context: destroying the io_context destroys
  // the sessions still waiting on it.
  RelayOptions options;
  const RelayLimits& limits;
  std::shared_ptr<EventLog> log;
  std::unique_ptr<Store> store;
  MessageFiles files;
  ssl::context tls;
  RateLimiter limiter;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::atomic<std::size_t> connections{0};
  std::mutex in_flight_mutex;
  std::unordered_map<std::string, std::uint64_t> in_flight_bytes;  // see InFlight
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
      req.body_limit(std::max<std::uint64_t>(limits.max_message_bytes, kSingleRequestUploadMax));
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
    if (!reply.body.is_null()) {
      res.set(http::field::content_type, "application/json");
      res.body() = reply.body.dump();
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

  // Bytes of single-request uploads in progress on this relay, per client: they count against the quota
  // before they have a row in the index.
  class InFlight {
   public:
    InFlight(Impl& impl, std::string client, std::uint64_t bytes)
        : impl_(&impl), client_(std::move(client)), bytes_(bytes) {}
    InFlight(InFlight&& other) noexcept
        : impl_(std::exchange(other.impl_, nullptr)), client_(std::move(other.client_)), bytes_(other.bytes_) {}
    InFlight& operator=(InFlight&&) = delete;
    ~InFlight() {
      if (impl_ == nullptr || bytes_ == 0) return;
      std::lock_guard lock(impl_->in_flight_mutex);
      auto it = impl_->in_flight_bytes.find(client_);
      if ((it->second -= bytes_) == 0) impl_->in_flight_bytes.erase(it);
    }

   private:
    Impl* impl_;
    std::string client_;
    std::uint64_t bytes_;
  };

  struct Reserved {
    std::optional<PartFile> part;  // nullopt: an upload by this id exists
    InFlight in_flight;
  };

  // Checks the quota (the index's count plus this relay's single-request uploads in flight), creates the
  // part file, and records the upload: in the index (`indexed`: it may be resumed from now on) or in flight.
  Result<Reserved> reserve(const UploadRecord& upload, bool indexed) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::uint64_t used, store->client_usage(upload.client));
    std::uint64_t counted_bytes = indexed ? 0 : upload.length;
    {
      std::lock_guard lock(in_flight_mutex);
      auto it = in_flight_bytes.find(upload.client);
      used += it == in_flight_bytes.end() ? 0 : it->second;
      if (used + upload.length > limits.quota_bytes) {
        return make_error(ErrorCode::kLimits, fmt::format("quota: {} bytes held, {} more would pass the quota of {}",
                                                          used, upload.length, limits.quota_bytes));
      }
      if (counted_bytes > 0) in_flight_bytes[upload.client] += counted_bytes;
    }
    InFlight counted(*this, upload.client, counted_bytes);
    MEDCRYPT_ASSIGN_OR_RETURN(std::optional<PartFile> part, claim_part(upload.id));
    if (part && indexed) {
      if (Status s = store->create_upload(upload); !s) {
        files.remove_part(upload.id);
        return s.error();
      }
    }
    return Reserved{std::move(part), std::move(counted)};
  }

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

  // Refuses a request before its body is read. A single-request upload's body (small) is read and dropped
  // first, so that the client reads the reason rather than a reset connection.
  asio::awaitable<Reply> refuse_unread(TlsStream& stream, beast::flat_buffer& buffer, Request& req,
                                       const Client& client, Reply refusal) {
    auto sent = req.content_length();
    if (!req.is_done() && sent && *sent <= kSingleRequestUploadMax) {
      (void)co_await receive_body(stream, buffer, req, nullptr, nullptr, *sent, client);
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
    std::string x25519 = header(req, "Medcrypt-Sender-X25519");
    std::string id = header(req, "Upload-Id");
    std::optional<Reply> refusal;
    if (client.identities.empty()) {
      refusal = refuse(http::status::forbidden, "the certificate names no identity");
    } else if (!length || *length == 0) {
      refusal = refuse(http::status::bad_request, "Upload-Length missing or zero");
    } else if (!is_hex(x25519, 64)) {
      refusal = refuse(http::status::bad_request, "Medcrypt-Sender-X25519 missing or not hex");
    } else if (!id.empty() && !is_hex(id, 32)) {
      refusal = refuse(http::status::bad_request, "Upload-Id is not 32 hex digits");
    } else if (single && (!sent || id.empty())) {
      refusal = refuse(http::status::bad_request, "an upload sent with its creation needs Content-Length and Upload-Id");
    } else if (*length > limits.max_message_bytes) {
      refusal = refuse(http::status::payload_too_large,
                       fmt::format("upload of {} bytes is over the limit of {}", *length, limits.max_message_bytes),
                       ErrorCode::kLimits);
    } else if (single && *sent > std::min<std::uint64_t>(*length, kSingleRequestUploadMax)) {
      refusal = refuse(http::status::payload_too_large,
                       fmt::format("{} bytes sent with the creation of an upload of {} (at most {})", *sent,
                                   *length, kSingleRequestUploadMax),
                       ErrorCode::kLimits);
    }
    if (refusal) co_return co_await refuse_unread(stream, buffer, req, client, std::move(*refusal));
    if (id.empty()) {
      auto id_bytes = crypto::random_bytes(16);
      if (!id_bytes) co_return refuse(http::status::internal_server_error, id_bytes.error().message);
      id = to_hex(*id_bytes);
    }
    UploadRecord upload{id, client.id, x25519, *length, now_ms()};
    auto make = [this, upload, single] { return reserve(upload, !single); };
    auto reserved = co_await blocking_call(std::move(make));
    if (!reserved) {
      Reply r = refuse(reserved.error().code == ErrorCode::kLimits ? http::status::forbidden
                                                                   : http::status::internal_server_error,
                       reserved.error().message, reserved.error().code);
      co_return co_await refuse_unread(stream, buffer, req, client, std::move(r));
    }
    if (!reserved->part) {
      // The client's earlier request with this id may still be running: it asks HEAD and tries again.
      Reply r = refuse(http::status::conflict, "an upload with this id exists", ErrorCode::kIo);
      co_return co_await refuse_unread(stream, buffer, req, client, std::move(r));
    }
    if (!single) {
      Reply r;
      r.status = http::status::created;
      r.body = Json{{"id", upload.id}, {"offset", 0}};
      r.headers.emplace_back("Location", "/v1/uploads/" + upload.id);
      co_return r;
    }
    PartFile& file = *reserved->part;  // empty: the verifier sees every byte
    container::StreamingVerifier verifier(upload.length);
    const bool whole = co_await receive_body(stream, buffer, req, &file, &verifier, *sent, client);
    if (whole && file.size() == upload.length) {
      co_return co_await finish_upload(upload, client, false, std::move(verifier), std::move(reserved->in_flight));
    }
    // Cut short, or the rest comes in PATCH requests: the upload enters the index, to be resumed.
    auto record = [this, upload] { return store->create_upload(upload); };
    Status recorded = co_await blocking_call(std::move(record));
    if (!recorded) {
      files.remove_part(upload.id);
      co_return refuse(http::status::internal_server_error, recorded.error().message);
    }
    if (!whole) co_return interrupted(upload, file, client);
    Reply r;
    r.status = http::status::created;
    r.body = Json{{"id", upload.id}, {"offset", file.size()}};
    r.headers.emplace_back("Location", "/v1/uploads/" + upload.id);
    r.headers.emplace_back("Upload-Offset", std::to_string(file.size()));
    co_return r;
  }

  // The bytes so far stay: the client asks HEAD for the offset and resumes.
  Reply interrupted(const UploadRecord& upload, const PartFile& file, const Client& client) {
    log->info("upload_interrupted", {{"client", client.name()}, {"upload", upload.id}, {"offset", file.size()},
                                     {"length", upload.length}});
    return refuse(http::status::request_timeout, "upload interrupted");
  }

  static Reply busy() {
    Reply r = refuse(http::status::service_unavailable, "the upload is busy in another request");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  // The caller's own open upload, or nullopt.
  asio::awaitable<std::optional<UploadRecord>> own_upload(const std::string& id, const Client& client) {
    if (!is_hex(id, 32)) co_return std::nullopt;
    auto find = [this, id] { return store->find_upload(id); };
    auto found = co_await blocking_call(std::move(find));
    if (!found || !*found || (*found)->client != client.id) co_return std::nullopt;
    co_return std::move(**found);
  }

  asio::awaitable<Reply> upload_offset(const std::string& id, const Client& client) {
    if (!is_hex(id, 32)) co_return refuse(http::status::not_found, "no such upload");
    struct Found {
      std::optional<UploadRecord> upload;  // the client's own
      std::optional<std::uint64_t> size;   // of its part
      bool busy = false;
    };
    auto look = [this, id, owner = client.id] {
      Found f;
      auto row = store->find_upload(id);
      if (row && *row && (*row)->client == owner) {
        f.upload = std::move(**row);
        f.size = files.part_size(id);
      } else if (row && !*row) {
        // A single-request upload still in its first request (the client saw the cut before the relay):
        // it has no row until that request ends.
        auto part = files.open_part(id);
        f.busy = part && !*part;
      }
      return f;
    };
    Found found = co_await blocking_call(std::move(look));
    if (found.busy) co_return busy();
    if (!found.size) co_return refuse(http::status::not_found, "no such upload");
    Reply r;
    r.headers = {{"Upload-Offset", std::to_string(*found.size)},
                 {"Upload-Length", std::to_string(found.upload->length)}, {"Cache-Control", "no-store"}};
    co_return r;
  }

  asio::awaitable<Reply> append_upload(TlsStream& stream, beast::flat_buffer& buffer, Request& req,
                                       const std::string& id, const Client& client) {
    auto upload = co_await own_upload(id, client);
    if (!upload) co_return refuse(http::status::not_found, "no such upload");
    auto offset = header_number(req, "Upload-Offset");
    auto length = req.content_length();
    if (!offset || !length) co_return refuse(http::status::bad_request, "Upload-Offset and Content-Length required");
    auto part = files.open_part(id);
    if (!part) co_return refuse(http::status::not_found, "no such upload");
    // An earlier connection may still be writing (the client noticed the cut before the relay did).
    if (!*part) co_return busy();
    PartFile& file = **part;
    if (file.size() != *offset) {
      Reply r = refuse(http::status::conflict, fmt::format("offset {} but {} bytes received", *offset, file.size()));
      r.headers.emplace_back("Upload-Offset", std::to_string(file.size()));
      co_return r;
    }
    if (*offset + *length > upload->length) {
      co_return refuse(http::status::payload_too_large,
                       fmt::format("{} more bytes would pass the declared length of {}", *length, upload->length),
                       ErrorCode::kLimits);
    }
    std::optional<container::StreamingVerifier> verifier;  // if this request brings every byte
    if (*offset == 0) verifier.emplace(upload->length);
    const bool whole = co_await receive_body(stream, buffer, req, &file, verifier ? &*verifier : nullptr, *length, client);
    if (!whole) co_return interrupted(*upload, file, client);
    if (file.size() < upload->length) {
      Reply r;
      r.status = http::status::no_content;
      r.headers.emplace_back("Upload-Offset", std::to_string(file.size()));
      co_return r;
    }
    co_return co_await finish_upload(*upload, client, true, std::move(verifier), std::nullopt);
  }

  // Reads a request body into the part file (or drops it: null) in bounded chunks, holding the client to
  // the minimum rate. `verifier`, if given, hashes each chunk as it is written.
  asio::awaitable<bool> receive_body(TlsStream& stream, beast::flat_buffer& buffer, Request& req, PartFile* file,
                                     container::StreamingVerifier* verifier, std::uint64_t length,
                                     const Client& client) {
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
      if (got > 0 && file != nullptr) {
        if (Status s = file->append(ByteView(chunk.data(), got)); !s) {
          log->warn("storage_error", {{"reason", s.error().message}});
          co_return false;
        }
        if (verifier != nullptr) verifier->update(ByteView(chunk.data(), got));
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

  // The upload's header and digest: from the hashes taken as its bytes arrived, if one request brought
  // them all (`streamed`), else read back from the part file. Either way the part is fsynced.
  Result<VerifiedUpload> verify_upload(const std::string& id, std::optional<container::StreamingVerifier>& streamed) {
    if (!streamed) return files.verify_part(id);
    MEDCRYPT_ASSIGN_OR_RETURN(container::VerifiedContainer verified, streamed->finish());
    MEDCRYPT_TRY(files.sync_part(id));
    return VerifiedUpload{std::move(verified.header), to_hex(verified.sha256)};
  }

  // The last byte is in: fsync, verify, refuse replays, publish, index; only then answer 201. `indexed`:
  // the upload has a row in the index (it was created empty, or resumed); `counted`: its bytes in flight,
  // which stop counting once the index holds them.
  asio::awaitable<Reply> finish_upload(const UploadRecord& upload, const Client& client, bool indexed,
                                       std::optional<container::StreamingVerifier> streamed,
                                       std::optional<InFlight> counted) {
    auto finish = [this, upload, client, indexed, streamed = std::move(streamed),
                   counted = std::move(counted)]() mutable -> Reply {
      auto drop = [&](Reply r) {
        files.remove_part(upload.id);
        if (indexed) (void)store->delete_upload(upload.id);
        return r;
      };
      auto verified = verify_upload(upload.id, streamed);
      if (!verified) {
        return drop(refuse(status_for(verified.error().code), verified.error().message, verified.error().code));
      }
      const container::Header& h = verified->header;
      if (h.key_mode != container::KeyMode::kRecipients) {
        return drop(refuse(http::status::unprocessable_entity, "the container is not addressed to identities",
                           ErrorCode::kWrongKey));
      }
      crypto::PublicIdentity signer;
      auto x25519 = from_hex(upload.sender_x25519);
      if (x25519 && x25519->size() == signer.x25519.size()) {
        std::copy(x25519->begin(), x25519->end(), signer.x25519.begin());
      }
      signer.ed25519 = h.signer;
      const std::string sender = to_hex(signer.fingerprint());
      if (std::find(client.identities.begin(), client.identities.end(), sender) == client.identities.end()) {
        return drop(refuse(http::status::forbidden, "the signer is not an identity of this client's certificate",
                           ErrorCode::kSignature));
      }
      MessageRecord m;
      m.digest = verified->digest;
      m.message_id = to_hex(h.message_id);
      m.sender = sender;
      m.client = client.id;
      for (const auto& r : h.recipients) m.recipients.push_back(to_hex(r.fingerprint));
      m.size = upload.length;
      m.uploaded = now_ms();
      auto earlier = store->find_stored(m.digest, m.message_id, m.sender);
      if (!earlier) return drop(refuse(http::status::internal_server_error, earlier.error().message));
      if (*earlier) return drop(replay(**earlier, m, client));
      if (Status s = files.publish(upload.id, m.digest); !s) {
        return drop(refuse(http::status::internal_server_error, s.error().message));
      }
      auto committed = store->commit_message(m, upload.id);
      counted.reset();
      if (!committed) return refuse(http::status::internal_server_error, committed.error().message);
      if (*committed == CommitOutcome::kDuplicate) {
        if (indexed) (void)store->delete_upload(upload.id);
        return refuse(http::status::conflict, "replay: this message was stored before");
      }
      log->info("stored", {{"client", client.name()}, {"digest", m.digest}, {"sender", m.sender.substr(0, 16)},
                           {"recipients", static_cast<std::int64_t>(m.recipients.size())}, {"size", m.size}});
      Reply r;
      r.status = http::status::created;
      r.body = Json{{"digest", m.digest}, {"message_id", m.message_id}, {"size", m.size}};
      r.headers.emplace_back("Location", "/v1/messages/" + m.digest);
      return r;
    };
    co_return co_await blocking_call(std::move(finish));
  }

  // A message stored before is refused. Its uploader alone is told the digest: a client that lost the
  // answer to its own upload (a cut connection, a relay restart) learns that it did arrive.
  static Reply replay(const MessageRecord& earlier, const MessageRecord& now, const Client& client) {
    Reply r = refuse(http::status::conflict, "replay: this message was stored before");
    if (earlier.client == client.id && earlier.digest == now.digest) r.body["digest"] = earlier.digest;
    return r;
  }

  // ---- inbox, download, acknowledge ---------------------------------------------------------------

  asio::awaitable<Reply> inbox(const std::string& query, const Client& client) {
    auto parsed = parse_inbox_query(query);
    if (!parsed) co_return refuse(http::status::bad_request, parsed.error().message, ErrorCode::kUsage);
    std::vector<std::string> who = client.identities;
    if (const std::string& only = parsed->for_identity; !only.empty()) {
      if (std::find(who.begin(), who.end(), only) == who.end()) {
        co_return refuse(http::status::forbidden, fmt::format("identity {} is not bound to this certificate",
                                                              only.substr(0, 16)));
      }
      who = {only};
    }
    // after= and from=: a receiver pages through the whole inbox, and one that takes a single sender's
    // messages never sees the others.
    const std::size_t limit = parsed->limit;
    const InboxCursor after = parsed->after;
    const std::string sender = parsed->from;
    auto list = [this, who, limit, after, sender] { return store->inbox(who, limit, after, sender); };
    auto messages = co_await blocking_call(std::move(list));
    if (!messages) co_return refuse(http::status::internal_server_error, messages.error().message);
    Reply r;
    r.body = Json{{"messages", Json::array()}};
    for (const MessageRecord& m : *messages) r.body["messages"].push_back(message_json(m));
    r.headers.emplace_back("Cache-Control", "no-store");
    co_return r;
  }

  // Streams a message file; nullopt when there is nothing to send (the caller answers 404).
  asio::awaitable<std::optional<bool>> download(TlsStream& stream, Request& req, const std::string& digest,
                                                const Client& client, Clock::time_point start) {
    if (!is_hex(digest, 64)) co_return std::nullopt;
    auto find = [this, digest, ids = client.identities] { return store->find_message(digest, ids); };
    auto found = co_await blocking_call(std::move(find));
    if (!found) log->warn("storage_error", {{"reason", found.error().message}});
    if (!found || !*found) co_return std::nullopt;
    int fd = ::open(files.object_path(digest).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) co_return std::nullopt;
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::server, "medcrypt-relay");
    res.set(http::field::content_type, "application/octet-stream");
    res.set("Medcrypt-Digest", digest);
    res.content_length((*found)->size);
    bool keep = req.is_done() && req.get().keep_alive() && !stopping;
    res.keep_alive(keep);
    http::response_serializer<http::empty_body> sr(res);
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
    co_await http::async_write_header(stream, sr, into(ec));
    ChunkBytes chunk(kBodyChunk);
    std::uint64_t sent = 0;
    while (!ec && sent < (*found)->size) {
      ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(sent));
      if (n <= 0) co_return false;  // the file shrank under us: cut the response short
      beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
      co_await asio::async_write(stream, asio::buffer(chunk.data(), static_cast<std::size_t>(n)), into(ec));
      sent += static_cast<std::uint64_t>(n);
    }
    log_request(client, req, 200, sent, start);
    if (ec) co_return false;
    AuditRecord a{now_ms(), "downloaded", client.id, digest, (*found)->sender, join_fingerprints(client.identities), sent};
    auto record = [this, a] { return store->audit(a); };
    Status audited = co_await blocking_call(std::move(record));
    if (!audited) log->warn("storage_error", {{"reason", audited.error().message}});
    co_return keep;
  }

  asio::awaitable<Reply> acknowledge(const std::string& digest, const Client& client) {
    if (!is_hex(digest, 64)) co_return refuse(http::status::not_found, "no such message for this client");
    auto mark = [this, digest, client]() -> Result<AckOutcome> {
      MEDCRYPT_ASSIGN_OR_RETURN(AckOutcome outcome, store->acknowledge(digest, client.identities, client.id, now_ms()));
      if (outcome.all_delivered) files.remove_object(digest);
      return outcome;
    };
    auto acked = co_await blocking_call(std::move(mark));
    if (!acked) co_return refuse(http::status::internal_server_error, acked.error().message);
    if (!acked->found) co_return refuse(http::status::not_found, "no such message for this client");
    log->info("acknowledged", {{"client", client.name()}, {"digest", digest}, {"delivered", acked->all_delivered}});
    Reply r;
    r.status = http::status::no_content;
    co_return r;
  }

  // ---- housekeeping -------------------------------------------------------------------------------

  // Drops uploads abandoned for longer than upload_expiry, at start and every hour.
  asio::awaitable<void> expire_uploads() {
    asio::steady_timer timer(ioc);
    while (!stopping) {
      auto expire = [this]() -> Result<std::size_t> {
        auto before = now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(limits.upload_expiry).count();
        MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::string> ids, store->expired_uploads(before));
        for (const std::string& id : ids) {
          // Under the part's lock: a request still writing it (a slow PATCH) keeps it, and a part removed
          // here cannot be replaced under a request that has already checked its bytes.
          auto part = files.open_part(id);
          if (part && !*part) continue;
          files.remove_part(id);
          MEDCRYPT_TRY(store->delete_upload(id));
        }
        // Parts with no row: single-request uploads cut by a crash (the client starts them again).
        MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::string> stale, files.stale_parts(before));
        std::size_t orphans = 0;
        for (const std::string& id : stale) {
          MEDCRYPT_ASSIGN_OR_RETURN(std::optional<PartFile> orphan, orphaned_part(id));
          if (!orphan) continue;
          files.remove_part(id);  // while still locked
          ++orphans;
        }
        return ids.size() + orphans;
      };
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
  MEDCRYPT_ASSIGN_OR_RETURN(MessageFiles files, MessageFiles::open(options.data_dir));
  MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, open_store(options.config.store, options.data_dir));
  MEDCRYPT_ASSIGN_OR_RETURN(ssl::context tls, server_tls_context(options.tls));
  unsigned threads = options.config.threads != 0 ? options.config.threads
                                                  : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  unsigned blocking = options.config.blocking_threads != 0 ? options.config.blocking_threads : 4 * threads;
  auto impl = std::make_unique<Impl>(options, std::move(log), std::move(store), std::move(files), std::move(tls),
                                     threads, blocking);
  beast::error_code ec;
  auto address = asio::ip::make_address(listen.host, ec);
  if (ec) return make_error(ErrorCode::kUsage, fmt::format("--listen: '{}' is not an IP address", listen.host));
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
