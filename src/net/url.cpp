#include "net/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace medcrypt::net {
namespace {

Result<std::uint16_t> parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || (value == 0 && text != "0") || value > 65535) {
    return make_error(ErrorCode::kUsage, fmt::format("'{}': bad port '{}'", whole, text));
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error(ErrorCode::kUsage, fmt::format("'{}': expected [IPv6]:PORT", text));
    }
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return make_error(ErrorCode::kUsage, fmt::format("'{}': expected HOST:PORT", text));
    }
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (out.host.empty()) return make_error(ErrorCode::kUsage, fmt::format("'{}': no host", text));
  MEDCRYPT_ASSIGN_OR_RETURN(out.port, parse_port(port, text));
  return out;
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return make_error(ErrorCode::kUsage, fmt::format("'{}' is not a URL", text));
  url.scheme = std::string(text.substr(0, sep));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::uint16_t default_port = url.scheme == "https" ? 443 : url.scheme == "http" ? 80 : url.scheme == "dicom" ? 104 : 0;
  if (default_port == 0) {
    return make_error(ErrorCode::kUsage, fmt::format("'{}': the scheme must be https, http or dicom", text));
  }
  std::string_view rest = text.substr(sep + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.path = std::string(rest.substr(slash));
    while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    url.user = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  bool has_port = authority.starts_with('[') ? authority.find("]:") != std::string_view::npos
                                             : authority.find(':') != std::string_view::npos;
  if (has_port) {
    MEDCRYPT_ASSIGN_OR_RETURN(HostPort hp, parse_host_port(authority));
    url.host = std::move(hp.host);
    url.port = hp.port;
  } else {
    url.host = std::string(authority.starts_with('[') && authority.ends_with(']')
                               ? authority.substr(1, authority.size() - 2)
                               : authority);
    url.port = default_port;
  }
  if (url.host.empty() || url.port == 0) return make_error(ErrorCode::kUsage, fmt::format("'{}': no host or port", text));
  return url;
}

}  // namespace medcrypt::net
