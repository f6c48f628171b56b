#include "net/http_post.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <optional>

#include <fmt/format.h>

#include "crypto/base64.hpp"
#include "net/internal/http_client.hpp"
#include "net/internal/tls_context.hpp"

namespace medcrypt::net {
namespace {

using namespace internal;  // NOLINT: the Asio names and helpers of this module

// What one POST sends.
struct Post {
  const Url& to;
  const std::string& target;
  std::string_view content_type;
  std::chrono::seconds timeout;
  int fd;
  std::uint64_t size;
};

template <typename Stream>
asio::awaitable<beast::error_code> send(Stream& stream, const Post& post, HttpResponse& res) {
  http::request<http::empty_body> req{http::verb::post, post.target, 11};
  req.set(http::field::host, post.to.host);
  req.set(http::field::user_agent, "medcrypt");
  req.set(http::field::content_type, beast::string_view(post.content_type.data(), post.content_type.size()));
  if (!post.to.user.empty()) {
    req.set(http::field::authorization, "Basic " + crypto::base64(as_bytes(std::string_view(post.to.user))));
  }
  req.keep_alive(false);
  auto no_progress = [](std::uint64_t) {};
  beast::error_code ec = co_await write_file_request(stream, req, post.fd, 0, post.size, post.timeout, no_progress);
  beast::flat_buffer buffer;
  if (!ec) ec = co_await read_response(stream, buffer, res, false, post.timeout);
  co_return ec;
}

asio::awaitable<beast::error_code> connect_and_send(asio::io_context& ioc, ssl::context* tls, const Post& post,
                                                    HttpResponse& res) {
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = co_await resolver.async_resolve(post.to.host, std::to_string(post.to.port), into(ec));
  if (ec) co_return ec;
  if (tls == nullptr) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(post.timeout);
    co_await stream.async_connect(endpoints, into(ec));
    if (!ec) ec = co_await send(stream, post, res);
    co_return ec;
  }
  TlsStream stream(ioc, *tls);
  if (!expect_peer_name(stream.native_handle(), post.to.host)) co_return asio::error::invalid_argument;
  stream.next_layer().expires_after(post.timeout);
  co_await stream.next_layer().async_connect(endpoints, into(ec));
  if (!ec) {
    stream.next_layer().expires_after(post.timeout);
    co_await stream.async_handshake(ssl::stream_base::client, into(ec));
  }
  if (!ec) ec = co_await send(stream, post, res);
  co_return ec;
}

}  // namespace

Result<HttpAnswer> post_file(const Url& to, const std::string& target, const std::filesystem::path& file,
                             std::string_view content_type, std::chrono::seconds timeout) {
  std::optional<ssl::context> tls;
  if (to.scheme == "https") {
    MEDCRYPT_ASSIGN_OR_RETURN(ssl::context ctx, web_tls_context());
    tls.emplace(std::move(ctx));
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kIo, fmt::format("{}: cannot open", file.string()));
  struct stat st {};
  ::fstat(fd, &st);
  const Post post{to, target, content_type, timeout, fd, static_cast<std::uint64_t>(st.st_size)};
  asio::io_context ioc;
  HttpResponse res;
  beast::error_code ec;
  asio::co_spawn(ioc, connect_and_send(ioc, tls ? &*tls : nullptr, post, res),
                 [&ec](std::exception_ptr e, beast::error_code result) { ec = e ? asio::error::fault : result; });
  ioc.run();
  ::close(fd);
  if (ec) return make_error(ErrorCode::kIo, ec.message());
  return HttpAnswer{res.status, std::move(res.body)};
}

}  // namespace medcrypt::net
