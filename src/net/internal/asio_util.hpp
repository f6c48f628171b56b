// What the relay server and client share on top of Boost.Asio and Beast: names, TLS streams, and
// running blocking work (fsync, database, verification) off the network threads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"

namespace medcrypt::net::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Completion token: errors come back in `ec` instead of as exceptions.
inline auto into(beast::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// Runs fn() on `pool` and resumes the awaiting coroutine on its own executor with the result.
template <typename Fn>
asio::awaitable<std::invoke_result_t<Fn&>> run_blocking(asio::thread_pool& pool, Fn fn) {
  using R = std::invoke_result_t<Fn&>;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [&pool](auto handler, Fn work) {
        asio::post(pool, [handler = std::move(handler), work = std::move(work)]() mutable {
          R result = work();
          auto ex = asio::get_associated_executor(handler);
          asio::dispatch(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
            handler(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(fn));
}

// Up to 256 KiB per read or write of a body: large enough for full TLS records, small enough that a
// multi-gigabyte container passes through a fixed window.
inline constexpr std::size_t kBodyChunk = 256 * 1024;
// A body chunk's buffer: every byte is read into before it is used, so it is not zeroed first.
using ChunkBytes = std::vector<std::uint8_t, DefaultInitAllocator<std::uint8_t>>;

// Free space in the read buffer while a body streams in. Beast reads at most the buffer's free capacity
// (512 bytes in a fresh buffer, and a buffer that is consumed as it fills never grows), so a body read
// through a small buffer takes one SSL_read per 512 bytes. 64 KiB is Beast's own cap on one read.
inline constexpr std::size_t kBodyReadBuffer = 64 * 1024;

// An upload up to this size is created and sent in one request (POST with the bytes): a refusal comes
// after the relay has read (and dropped) the body, which costs little at this size. Larger uploads are
// created first (an empty POST), so a refusal costs nothing, and then sent (PATCH).
inline constexpr std::uint64_t kSingleRequestUploadMax = 4 << 20;

}  // namespace medcrypt::net::internal
