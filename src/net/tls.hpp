// The files a TLS endpoint of the relay needs: its certificate and key, and the CA that vouches for peers.
#pragma once

#include <filesystem>

namespace medcrypt::net {

struct TlsFiles {
  std::filesystem::path cert;  // PEM certificate (chain)
  std::filesystem::path key;   // PEM private key
  std::filesystem::path ca;    // PEM CA certificate(s) that peers' certificates must chain to
};

}  // namespace medcrypt::net
