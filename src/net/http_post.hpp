// One HTTP POST of a file to a web service outside medcrypt, such as a PACS's REST API: http:// or https://
// (the system's CAs, TLS 1.2 or later), Basic authentication when the URL has user:password@. The body is
// streamed from the file in bounded chunks; every step has a deadline.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "net/url.hpp"

namespace medcrypt::net {

struct HttpAnswer {
  unsigned status = 0;
  std::string body;  // at most 4 MiB
};

// POSTs `file` to `target` (a path on to.host, e.g. to.path + "/instances"). An answer of any status is a
// value; kIo for a file that cannot be read or a connection that fails.
Result<HttpAnswer> post_file(const Url& to, const std::string& target, const std::filesystem::path& file,
                             std::string_view content_type, std::chrono::seconds timeout);

}  // namespace medcrypt::net
