// libFuzzer target for what the relay reads of a request before any handler runs: Beast's parser under the
// relay's header limit, then the target's path segments, query values and the inbox's paging rules
// (net/internal/request_rules.hpp). Whatever they accept must hold what their callers rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <boost/beast/http.hpp>

#include "core/text.hpp"
#include "net/internal/request_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  using namespace medcrypt::net::internal;  // NOLINT: the rules under test
  using medcrypt::is_lower_hex;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);  // the relay's default max_header_bytes
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!parser.is_header_done()) return 0;
  const auto raw = parser.get().target();
  const Target target = split_target(std::string_view(raw.data(), raw.size()));
  for (const auto& segment : target.segments) {
    if (segment.empty() || segment.find('/') != std::string::npos || segment.find('?') != std::string::npos) {
      std::abort();
    }
  }
  auto query = parse_inbox_query(target.query);
  if (query) {
    if (query->limit < 1 || query->limit > 1000) std::abort();
    if (!query->from.empty() && !is_lower_hex(query->from, 64)) std::abort();
    if (query->after.uploaded >= 0 && !is_lower_hex(query->after.digest, 64)) std::abort();
  }
  return 0;
}
