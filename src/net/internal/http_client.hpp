// HTTP/1.1 exchanges on a connected stream (TLS or plain TCP), with a deadline on every operation and
// bodies streamed from a file in bounded chunks. Shared by the relay client and the Orthanc forwarder.
#pragma once

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "net/internal/asio_util.hpp"

namespace medcrypt::net::internal {

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = false;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, beast::string_view(name.data(), name.size()))) return v;
    }
    return {};
  }
};

// The lowest layer's timer bounds every operation that follows until it is set again.
template <typename Stream>
void set_deadline(Stream& stream, std::chrono::seconds timeout) {
  beast::get_lowest_layer(stream).expires_after(timeout);
}

// Reads one response with a small body (JSON, an error); `head`: the answer to a HEAD has no body.
template <typename Stream>
asio::awaitable<beast::error_code> read_response(Stream& stream, beast::flat_buffer& buffer, HttpResponse& out,
                                                 bool head, std::chrono::seconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 << 20);
  parser.skip(head);
  beast::error_code ec;
  set_deadline(stream, timeout);
  co_await http::async_read(stream, buffer, parser, into(ec));
  if (ec) co_return ec;
  auto& res = parser.get();
  out.status = res.result_int();
  out.keep_alive = res.keep_alive();
  out.body = std::move(res.body());
  out.headers.clear();
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  co_return ec;
}

// Writes a request whose body is `length` bytes of the file `fd` from `offset`, in bounded chunks.
template <typename Stream, typename Progress>
asio::awaitable<beast::error_code> write_file_request(Stream& stream, http::request<http::empty_body>& req, int fd,
                                                      std::uint64_t offset, std::uint64_t length,
                                                      std::chrono::seconds timeout, const Progress& progress) {
  req.content_length(length);
  http::request_serializer<http::empty_body> sr(req);
  beast::error_code ec;
  set_deadline(stream, timeout);
  co_await http::async_write_header(stream, sr, into(ec));
  ChunkBytes chunk(kBodyChunk);
  std::uint64_t done = 0;
  while (!ec && done < length) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), length - done));
    ssize_t n = ::pread(fd, chunk.data(), want, static_cast<off_t>(offset + done));
    if (n <= 0) co_return beast::error_code(errno != 0 ? errno : EIO, boost::system::generic_category());
    set_deadline(stream, timeout);
    co_await asio::async_write(stream, asio::buffer(chunk.data(), static_cast<std::size_t>(n)), into(ec));
    done += static_cast<std::uint64_t>(n);
    if (!ec) progress(offset + done);
  }
  co_return ec;
}

}  // namespace medcrypt::net::internal
