#include "net/internal/request_rules.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace medcrypt::net::internal {
namespace {

bool digits(std::string_view v, std::size_t max) {
  return !v.empty() && v.size() <= max && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Target split_target(std::string_view target) {
  Target t;
  auto q = target.find('?');
  if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
  std::string_view path = target.substr(0, q);
  std::size_t pos = 0;
  while (pos < path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) t.segments.emplace_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return t;
}

std::string query_value(std::string_view query, std::string_view key) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    if (pair.starts_with(key) && pair.size() > key.size() && pair[key.size()] == '=') {
      return std::string(pair.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return {};
}

Result<relay::InboxQuery> parse_inbox_query(std::string_view query) {
  relay::InboxQuery q;
  // A limit out of range is clamped, an unreadable one ignored: the client asked for a page, any page.
  if (std::string l = query_value(query, "limit"); digits(l, 4)) q.limit = std::clamp<std::size_t>(std::stoul(l), 1, 1000);
  if (std::string a = query_value(query, "after"); !a.empty()) {
    auto dot = a.find('.');
    if (dot == std::string::npos || !digits(std::string_view(a).substr(0, dot), 18) ||
        !is_lower_hex(std::string_view(a).substr(dot + 1), 64)) {
      return make_error(ErrorCode::kUsage, "after= must be UPLOADED.DIGEST");
    }
    q.after = {std::stoll(a.substr(0, dot)), a.substr(dot + 1)};
  }
  q.from = query_value(query, "from");
  if (!q.from.empty() && !is_lower_hex(q.from, 64)) {
    return make_error(ErrorCode::kUsage, "from= must be a fingerprint (64 hex digits)");
  }
  q.for_identity = query_value(query, "for");
  return q;
}

}  // namespace medcrypt::net::internal
