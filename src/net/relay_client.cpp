#include "net/relay_client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <random>
#include <tuple>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "net/internal/http_client.hpp"
#include "net/internal/tls_context.hpp"
#include "net/url.hpp"

namespace medcrypt::net {
namespace {

using namespace internal;  // NOLINT: the Asio names and helpers of this module
using Json = nlohmann::json;

// Network trouble is kIo and is retried; a TLS failure (a refused or untrusted certificate) is kBadKey
// and is not: trying again would not change the answer.
Error network_error(const beast::error_code& ec, const Url& url) {
  if (ec.category() == asio::error::get_ssl_category() && ec != ssl::error::stream_truncated) {
    return make_error(ErrorCode::kBadKey, fmt::format("TLS with {}:{} failed: {} (is the certificate from the "
                                                      "relay's CA, and the CA the relay's?)",
                                                      url.host, url.port, ec.message()));
  }
  return make_error(ErrorCode::kIo, fmt::format("relay {}:{}: {}", url.host, url.port, ec.message()));
}

bool retryable(const Error& e) { return e.code == ErrorCode::kIo; }

std::uint64_t parse_offset(const std::string& text) {
  std::uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// A relay's refusal: its JSON names the reason and a medcrypt error code; overload and server trouble
// (429, 5xx) are kIo, so they are retried.
Error refusal(const HttpResponse& r) {
  Json body = Json::parse(r.body, nullptr, false);
  std::string reason = body.is_object() && body.contains("error") && body["error"].is_string()
                           ? body["error"].get<std::string>()
                           : fmt::format("HTTP {}", r.status);
  ErrorCode code = ErrorCode::kIo;
  if (r.status != 429 && r.status < 500) {
    int n = body.is_object() && body.contains("code") && body["code"].is_number_integer() ? body["code"].get<int>() : 0;
    code = n >= 1 && n <= static_cast<int>(ErrorCode::kBadKey) ? static_cast<ErrorCode>(n) : ErrorCode::kUsage;
  }
  return make_error(code, fmt::format("relay refused ({}): {}", r.status, reason));
}

}  // namespace

struct RelayClient::Impl {
  Impl(Url u, ssl::context ctx, RetryPolicy r) : url(std::move(u)), retry(r), tls(std::move(ctx)) {}

  Url url;
  RetryPolicy retry;
  asio::io_context ioc;
  ssl::context tls;
  std::unique_ptr<TlsStream> stream;
  beast::flat_buffer buffer;

  // Runs one client operation to completion on this client's own io_context.
  template <typename T>
  Result<T> block_on(asio::awaitable<Result<T>> op) {
    std::optional<Result<T>> out;
    asio::co_spawn(
        ioc, [&out, op = std::move(op)]() mutable -> asio::awaitable<void> { out.emplace(co_await std::move(op)); },
        [&out](std::exception_ptr e) {
          if (e && !out) out.emplace(make_error(ErrorCode::kInternal, "relay client: unexpected failure"));
        });
    ioc.restart();
    ioc.run();
    if (!out) return make_error(ErrorCode::kInternal, "relay client: the operation did not finish");
    return std::move(*out);
  }

  asio::awaitable<Status> connect() {
    if (stream) co_return Status{};
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port), into(ec));
    if (ec) co_return network_error(ec, url);
    auto s = std::make_unique<TlsStream>(ioc, tls);
    if (Status named = expect_peer_name(s->native_handle(), url.host); !named) co_return named;
    set_deadline(*s, retry.timeout);
    co_await beast::get_lowest_layer(*s).async_connect(endpoints, into(ec));
    if (ec) co_return network_error(ec, url);
    set_deadline(*s, retry.timeout);
    co_await s->async_handshake(ssl::stream_base::client, into(ec));
    if (ec) co_return network_error(ec, url);
    stream = std::move(s);
    buffer.clear();
    co_return Status{};
  }

  http::request<http::empty_body> request(http::verb verb, const std::string& target) const {
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "medcrypt");
    req.keep_alive(true);
    return req;
  }

  // One request with an empty body or a small one in memory (JSON), and its response; a failure drops the
  // connection.
  template <typename Body>
  asio::awaitable<Result<HttpResponse>> exchange(http::request<Body> req) {
    if (Status c = co_await connect(); !c) co_return c.error();
    beast::error_code ec;
    set_deadline(*stream, retry.timeout);
    co_await http::async_write(*stream, req, into(ec));
    HttpResponse res;
    if (!ec) ec = co_await read_response(*stream, buffer, res, req.method() == http::verb::head, retry.timeout);
    co_return finish(ec, std::move(res));
  }

  Result<HttpResponse> finish(const beast::error_code& ec, HttpResponse res) {
    if (ec || !res.keep_alive) stream.reset();
    if (ec) return network_error(ec, url);
    return res;
  }

  asio::awaitable<void> backoff(int failures) {
    auto delay = std::min(retry.max_delay, retry.first_delay * (1 << std::min(failures - 1, 16)));
    std::uniform_int_distribution<long> jitter(0, delay.count() / 4);
    std::random_device rd;
    asio::steady_timer timer(ioc, delay + std::chrono::milliseconds(jitter(rd)));
    beast::error_code ec;
    co_await timer.async_wait(into(ec));
  }

  // Retries `attempt` after network errors, with exponential backoff, up to retry.attempts times.
  template <typename T, typename Attempt>
  asio::awaitable<Result<T>> with_retries(Attempt attempt) {
    for (int failures = 1;; ++failures) {
      Result<T> r = co_await attempt();
      if (r || !retryable(r.error()) || failures >= retry.attempts) co_return r;
      co_await backoff(failures);
    }
  }

  // ---- upload -----------------------------------------------------------------------------------

  struct UploadState {
    int fd = -1;
    std::uint64_t size = 0;
    bool single = false;       // sent in one request (small uploads), under an id this client chose
    std::string id;            // the upload's id: chosen here (single) or by the relay (empty until then)
    bool resume = false;       // the relay may hold part of it: ask HEAD for the offset first
    std::uint64_t offset = 0;  // bytes the relay has
    bool interrupted = false;  // an attempt failed: the relay may have stored an earlier one
    // The last answer: an earlier request of ours still holds the upload; ask again after this long.
    std::optional<std::chrono::seconds> busy;
  };

  // 503 with Retry-After: the relay still runs an earlier request for this upload (it has not yet seen
  // that request's connection cut), and will let go of it within its idle timeout.
  // The wait it asks for, in seconds (1 to 30; 1 if it names a date instead), or nullopt if not busy.
  static std::optional<std::chrono::seconds> busy_wait(const HttpResponse& res) {
    std::string after = res.header("Retry-After");
    if (res.status != 503 || after.empty()) return std::nullopt;
    bool seconds = after.size() <= 4 && std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; });
    return std::chrono::seconds(seconds ? std::clamp(std::stoi(after), 1, 30) : 1);
  }

  // Asks the relay how much of the upload it has; false if it has none of it (never created, expired,
  // lost in a crash, or stored and closed: a new attempt finds out which).
  asio::awaitable<Result<bool>> ask_offset(UploadState& u) {
    auto res = co_await exchange(request(http::verb::head, "/v1/uploads/" + u.id));
    if (!res) co_return res.error();
    if (res->status == 404) co_return false;
    u.busy = busy_wait(*res);
    if (res->status != 200) co_return refusal(*res);
    u.offset = parse_offset(res->header("Upload-Offset"));
    co_return true;
  }

  // Creates the upload with an empty body; PATCH requests send it.
  asio::awaitable<Status> create(UploadState& u) {
    auto req = request(http::verb::post, "/v1/uploads");
    req.set("Upload-Length", std::to_string(u.size));
    auto res = co_await exchange(std::move(req));
    if (!res) co_return res.error();
    if (res->status != 201) co_return refusal(*res);
    Json body = Json::parse(res->body, nullptr, false);
    if (!body.is_object() || !body.contains("id") || !body["id"].is_string()) {
      co_return make_error(ErrorCode::kIo, "relay: malformed answer to an upload");
    }
    u.id = body["id"].get<std::string>();
    u.offset = 0;
    co_return Status{};
  }

  // Sends the file from u.offset: the whole of a single-request upload with its creation (POST), or the
  // rest of a created one (PATCH). A receipt once the relay has stored it; nullopt while bytes remain.
  asio::awaitable<Result<std::optional<UploadReceipt>>> send(UploadState& u, bool creating,
                                                              const TransferProgress& progress) {
    if (Status c = co_await connect(); !c) co_return c.error();
    auto req = request(creating ? http::verb::post : http::verb::patch, creating ? "/v1/uploads" : "/v1/uploads/" + u.id);
    req.set(http::field::content_type, "application/offset+octet-stream");
    if (creating) {
      req.set("Upload-Id", u.id);
      req.set("Upload-Length", std::to_string(u.size));
    } else {
      req.set("Upload-Offset", std::to_string(u.offset));
    }
    auto report = [&](std::uint64_t done) {
      if (progress) progress(done, u.size);
    };
    u.resume = true;  // from the first byte on, the relay may keep what it got
    beast::error_code ec =
        co_await write_file_request(*stream, req, u.fd, u.offset, u.size - u.offset, retry.timeout, report);
    HttpResponse res;
    if (!ec) ec = co_await read_response(*stream, buffer, res, false, retry.timeout);
    auto done = finish(ec, std::move(res));
    if (!done) co_return done.error();
    u.busy = busy_wait(*done);
    if (done->status == 204 || (done->status == 201 && !done->header("Upload-Offset").empty())) {
      u.offset = parse_offset(done->header("Upload-Offset"));
      co_return std::optional<UploadReceipt>();
    }
    if (done->status == 409 && !done->header("Upload-Offset").empty()) {
      co_return make_error(ErrorCode::kIo, "relay: the upload's offset moved; asking again");
    }
    Json body = Json::parse(done->body, nullptr, false);
    // After an interruption, "stored before" with our digest means the earlier attempt arrived.
    if (done->status == 409 && u.interrupted && body.is_object() && body.contains("digest")) done->status = 201;
    if (done->status != 201) co_return refusal(*done);
    if (!body.is_object() || !body.contains("digest") || !body["digest"].is_string()) {
      co_return make_error(ErrorCode::kIo, "relay: malformed answer to an upload");
    }
    co_return std::optional<UploadReceipt>(
        UploadReceipt{body["digest"].get<std::string>(), body.value("message_id", ""), u.size});
  }

  // One attempt: find out where the upload stands, then send what the relay lacks.
  asio::awaitable<Result<std::optional<UploadReceipt>>> attempt(UploadState& u, const TransferProgress& progress) {
    if (u.resume) {
      auto held = co_await ask_offset(u);
      if (!held) co_return held.error();
      if (*held) co_return co_await send(u, false, progress);
      u.resume = false;
      u.offset = 0;
      if (!u.single) u.id.clear();
    }
    if (u.single) co_return co_await send(u, true, progress);
    if (Status made = co_await create(u); !made) co_return made.error();
    co_return co_await send(u, false, progress);
  }

  asio::awaitable<Result<UploadReceipt>> upload(UploadState& u, const TransferProgress& progress) {
    int failures = 0;
    std::uint64_t best = 0;  // the furthest the relay got: progress resets the failure count
    std::chrono::milliseconds busy_for{0};
    for (;;) {
      u.busy.reset();
      Result<std::optional<UploadReceipt>> step = co_await attempt(u, progress);
      if (step && *step) co_return std::move(**step);
      if (step) continue;
      if (u.offset > best) {
        best = u.offset;
        failures = 0;
      }
      if (!retryable(step.error())) co_return step.error();
      u.interrupted = true;
      if (u.busy && busy_for < retry.timeout) {  // waiting on the relay is not a failure, for a while
        const auto wait = std::min<std::chrono::milliseconds>(*u.busy, retry.timeout - busy_for);
        busy_for += wait;
        asio::steady_timer timer(ioc, wait);
        beast::error_code ec;
        co_await timer.async_wait(into(ec));
        continue;
      }
      if (++failures >= retry.attempts) co_return step.error();
      co_await backoff(failures);
    }
  }

  // ---- download -----------------------------------------------------------------------------------

  asio::awaitable<Status> download_once(const std::string& digest, const std::filesystem::path& output,
                                        const TransferProgress& progress) {
    if (Status c = co_await connect(); !c) co_return c.error();
    auto req = request(http::verb::get, "/v1/messages/" + digest);
    beast::error_code ec;
    set_deadline(*stream, retry.timeout);
    co_await http::async_write(*stream, req, into(ec));
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // boost::none means 0 in Beast 1.74
    if (!ec) {
      set_deadline(*stream, retry.timeout);
      co_await http::async_read_header(*stream, buffer, parser, into(ec));
    }
    if (ec) {
      stream.reset();
      co_return network_error(ec, url);
    }
    if (parser.get().result_int() != 200) {
      http::response_parser<http::string_body> rest(std::move(parser));
      HttpResponse res;
      res.status = rest.get().result_int();
      set_deadline(*stream, retry.timeout);
      co_await http::async_read(*stream, buffer, rest, into(ec));
      res.body = rest.get().body();
      stream.reset();
      co_return refusal(res);
    }
    std::uint64_t total = parser.content_length().value_or(0);
    auto file = AtomicFile::create(output, 0600);
    if (!file) co_return file.error();
    crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
    ChunkBytes chunk(kBodyChunk);
    buffer.reserve(kBodyReadBuffer);
    std::uint64_t done = 0;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      set_deadline(*stream, retry.timeout);
      co_await http::async_read(*stream, buffer, parser, into(ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        stream.reset();
        co_return network_error(ec, url);
      }
      ByteView got(chunk.data(), chunk.size() - parser.get().body().size);
      hasher.update(got);
      if (Status w = file->write(got); !w) co_return w.error();
      done += got.size();
      if (progress) progress(done, total);
    }
    if (!parser.get().keep_alive()) stream.reset();
    if (to_hex(hasher.finish()) != digest) {
      co_return make_error(ErrorCode::kAuthentication, fmt::format("message {}: the bytes received do not have "
                                                                   "this digest",
                                                                   digest.substr(0, 16)));
    }
    co_return file->commit();
  }
};

RelayClient::RelayClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RelayClient::RelayClient(RelayClient&&) noexcept = default;
RelayClient& RelayClient::operator=(RelayClient&&) noexcept = default;
RelayClient::~RelayClient() = default;

Result<RelayClient> RelayClient::create(const std::string& url, const TlsFiles& tls, RetryPolicy retry) {
  MEDCRYPT_ASSIGN_OR_RETURN(Url parsed, parse_url(url));
  if (parsed.scheme != "https") return make_error(ErrorCode::kUsage, fmt::format("relay URL {}: expected https://", url));
  MEDCRYPT_ASSIGN_OR_RETURN(ssl::context ctx, client_tls_context(tls));
  return RelayClient(std::make_unique<Impl>(std::move(parsed), std::move(ctx), retry));
}

Result<UploadReceipt> RelayClient::upload(const std::filesystem::path& container,
                                          const TransferProgress& progress) {
  Impl::UploadState u;
  u.fd = ::open(container.c_str(), O_RDONLY | O_CLOEXEC);
  if (u.fd < 0) return make_error(ErrorCode::kIo, fmt::format("{}: cannot open", container.string()));
  struct stat st {};
  ::fstat(u.fd, &st);
  u.size = static_cast<std::uint64_t>(st.st_size);
  u.single = u.size <= kSingleRequestUploadMax;
  if (u.single) {
    auto id = crypto::random_bytes(16);
    if (!id) {
      ::close(u.fd);
      return id.error();
    }
    u.id = to_hex(*id);
  }
  auto receipt = impl_->block_on(impl_->upload(u, progress));
  ::close(u.fd);
  return receipt;
}

Result<std::vector<InboxMessage>> RelayClient::inbox(std::size_t limit, const InboxMessage* after,
                                                    const std::string& from, const std::string& for_identity) {
  Impl& i = *impl_;
  std::string target = fmt::format("/v1/inbox?limit={}", limit);
  if (after) target += fmt::format("&after={}.{}", after->uploaded, after->digest);
  if (!from.empty()) target += "&from=" + from;
  if (!for_identity.empty()) target += "&for=" + for_identity;
  return i.block_on(i.with_retries<std::vector<InboxMessage>>([&]() -> asio::awaitable<Result<std::vector<InboxMessage>>> {
    auto res = co_await i.exchange(i.request(http::verb::get, target));
    if (!res) co_return res.error();
    if (res->status != 200) co_return refusal(*res);
    Json body = Json::parse(res->body, nullptr, false);
    std::vector<InboxMessage> out;
    if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array()) {
      co_return make_error(ErrorCode::kIo, "relay: malformed inbox");
    }
    for (const Json& m : body["messages"]) {
      if (!m.is_object()) continue;
      out.push_back(InboxMessage{m.value("digest", ""), m.value("message_id", ""), m.value("sender", ""),
                                 m.value("size", std::uint64_t{0}), m.value("uploaded", std::int64_t{0})});
      // A relay that ignored the position would hand out the same page for ever.
      const InboxMessage& got = out.back();
      if (after && std::tie(got.uploaded, got.digest) <= std::tie(after->uploaded, after->digest)) {
        co_return make_error(ErrorCode::kIo, "relay: inbox page does not follow the position asked for");
      }
    }
    co_return out;
  }));
}

Status RelayClient::download(const std::string& digest, const std::filesystem::path& output,
                             const TransferProgress& progress) {
  Impl& i = *impl_;
  auto done = i.block_on(i.with_retries<bool>([&]() -> asio::awaitable<Result<bool>> {
    Status s = co_await i.download_once(digest, output, progress);
    if (!s) co_return s.error();
    co_return true;
  }));
  if (!done) return done.error();
  return {};
}

Status RelayClient::acknowledge(const std::string& digest) {
  Impl& i = *impl_;
  auto done = i.block_on(i.with_retries<bool>([&]() -> asio::awaitable<Result<bool>> {
    auto res = co_await i.exchange(i.request(http::verb::post, "/v1/messages/" + digest + "/ack"));
    if (!res) co_return res.error();
    if (res->status != 204) co_return refusal(*res);
    co_return true;
  }));
  if (!done) return done.error();
  return {};
}

Result<std::string> RelayClient::evaluate_encrypted(const std::string& request_json) {
  Impl& i = *impl_;
  return i.block_on(i.with_retries<std::string>([&]() -> asio::awaitable<Result<std::string>> {
    http::request<http::string_body> req{http::verb::post, "/v1/he/evaluate", 11};
    req.set(http::field::host, i.url.host);
    req.set(http::field::user_agent, "medcrypt");
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = request_json;
    req.prepare_payload();
    auto res = co_await i.exchange(std::move(req));
    if (!res) co_return res.error();
    if (res->status != 200) co_return refusal(*res);
    co_return std::move(res->body);
  }));
}

Status RelayClient::health() {
  Impl& i = *impl_;
  auto done = i.block_on(i.with_retries<bool>([&]() -> asio::awaitable<Result<bool>> {
    auto res = co_await i.exchange(i.request(http::verb::get, "/healthz"));
    if (!res) co_return res.error();
    if (res->status != 200) co_return refusal(*res);
    co_return true;
  }));
  if (!done) return done.error();
  return {};
}

}  // namespace medcrypt::net
