// URLs the transmission commands take: https://HOST:PORT (a relay), http(s)://HOST:PORT/PATH (Orthanc),
// dicom://AET@HOST:PORT (a DICOM C-STORE SCP), and ADDR:PORT for --listen.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace medcrypt::net {

struct Url {
  std::string scheme;  // lowercase: https, http, dicom
  std::string user;    // before '@': the called AE title of a dicom:// URL
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;    // "" or starting with '/', without a trailing '/'
};

// The port defaults to 443 (https), 80 (http) or 104 (dicom).
Result<Url> parse_url(std::string_view text);

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
// ADDR:PORT or [IPv6]:PORT.
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace medcrypt::net
