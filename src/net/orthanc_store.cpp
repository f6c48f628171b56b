// Orthanc's REST API: POST /instances with the DICOM file as the body.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <optional>

#include <fmt/format.h>

#include "net/internal/http_client.hpp"
#include "net/internal/tls_context.hpp"
#include "net/internal/pacs_stores.hpp"

namespace medcrypt::net::internal {
namespace {

constexpr std::chrono::seconds kTimeout{60};

std::string base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

template <typename Stream>
asio::awaitable<beast::error_code> post_file(Stream& stream, const Url& to, int fd, std::uint64_t size,
                                             HttpResponse& res) {
  http::request<http::empty_body> req{http::verb::post, to.path + "/instances", 11};
  req.set(http::field::host, to.host);
  req.set(http::field::user_agent, "medcrypt");
  req.set(http::field::content_type, "application/dicom");
  if (!to.user.empty()) req.set(http::field::authorization, "Basic " + base64(to.user));
  req.keep_alive(false);
  auto no_progress = [](std::uint64_t) {};
  beast::error_code ec = co_await write_file_request(stream, req, fd, 0, size, kTimeout, no_progress);
  beast::flat_buffer buffer;
  if (!ec) ec = co_await read_response(stream, buffer, res, false, kTimeout);
  co_return ec;
}

asio::awaitable<beast::error_code> deliver(asio::io_context& ioc, const Url& to, ssl::context* tls, int fd,
                                           std::uint64_t size, HttpResponse& res) {
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = co_await resolver.async_resolve(to.host, std::to_string(to.port), into(ec));
  if (ec) co_return ec;
  if (tls == nullptr) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(kTimeout);
    co_await stream.async_connect(endpoints, into(ec));
    if (!ec) ec = co_await post_file(stream, to, fd, size, res);
    co_return ec;
  }
  TlsStream stream(ioc, *tls);
  if (!expect_peer_name(stream.native_handle(), to.host)) co_return asio::error::invalid_argument;
  stream.next_layer().expires_after(kTimeout);
  co_await stream.next_layer().async_connect(endpoints, into(ec));
  if (!ec) {
    stream.next_layer().expires_after(kTimeout);
    co_await stream.async_handshake(ssl::stream_base::client, into(ec));
  }
  if (!ec) ec = co_await post_file(stream, to, fd, size, res);
  co_return ec;
}

}  // namespace

Status orthanc_store(const Url& to, const std::filesystem::path& dicom_file) {
  std::optional<ssl::context> tls;
  if (to.scheme == "https") {
    MEDCRYPT_ASSIGN_OR_RETURN(ssl::context ctx, web_tls_context());
    tls.emplace(std::move(ctx));
  }
  int fd = ::open(dicom_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kIo, fmt::format("{}: cannot open", dicom_file.string()));
  struct stat st {};
  ::fstat(fd, &st);
  asio::io_context ioc;
  HttpResponse res;
  beast::error_code ec;
  asio::co_spawn(ioc, deliver(ioc, to, tls ? &*tls : nullptr, fd, static_cast<std::uint64_t>(st.st_size), res),
                 [&ec](std::exception_ptr e, beast::error_code result) {
                   ec = e ? asio::error::fault : result;
                 });
  ioc.run();
  ::close(fd);
  const std::string where = fmt::format("Orthanc {}://{}:{}{}", to.scheme, to.host, to.port, to.path);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: {}", where, ec.message()));
  if (res.status != 200) {
    return make_error(ErrorCode::kIo, fmt::format("{}: HTTP {}: {}", where, res.status, res.body.substr(0, 200)));
  }
  return {};
}

}  // namespace medcrypt::net::internal
