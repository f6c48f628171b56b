// How the relay reads a request's target: path segments, query values and the inbox's paging rules. Pure
// functions of the request's text, apart from the HTTP layer, so that they are fuzzed on hostile input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "relay/store.hpp"

namespace medcrypt::net::internal {

// "/a/b?x=1": the path's non-empty segments and the query string.
struct Target {
  std::vector<std::string> segments;
  std::string query;
};
Target split_target(std::string_view target);

// The value of `key` in "k=v&k2=v2" (the first one), or empty.
std::string query_value(std::string_view query, std::string_view key);

// GET /v1/inbox's query: limit (1-1000, default 100), after=UPLOADED.DIGEST (the last message of the previous
// page), from=FINGERPRINT (one sender), for=FINGERPRINT (one of the certificate's identities; checked by
// the caller). kUsage with a one-line reason for a malformed value.
Result<relay::InboxQuery> parse_inbox_query(std::string_view query);

}  // namespace medcrypt::net::internal
