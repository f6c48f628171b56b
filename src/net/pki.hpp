// A small certificate authority for a first setup of the relay: a self-signed CA, server certificates
// for a host name or IP address, and client certificates bound to medcrypt identities. A client
// certificate names each identity it speaks for by its fingerprint, in a SubjectAltName URI
// `urn:medcrypt:identity:<64 hex>`; the relay lets it read only what is addressed to those identities.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/identity.hpp"

namespace medcrypt::net {

inline constexpr std::string_view kIdentityUriPrefix = "urn:medcrypt:identity:";

struct CaOptions {
  std::string name = "medcrypt relay CA";  // the CA's Common Name
  int days = 3650;
};

// Writes DIR/ca.crt and DIR/ca.key (mode 0600): an ECDSA P-256 self-signed CA. Never overwrites.
Status ca_init(const std::filesystem::path& dir, const CaOptions& options);

struct IssueOptions {
  std::string name;                                // Common Name and file names DIR/NAME.crt, DIR/NAME.key
  std::vector<std::string> server_hosts;           // a server certificate: DNS names or IP addresses
  std::vector<crypto::PublicIdentity> identities;  // a client certificate: the identities it speaks for
  int days = 365;
};

struct IssuedFiles {
  std::filesystem::path cert, key;
};

// Issues a server or a client certificate (exactly one of server_hosts, identities) signed by the CA in
// DIR, with a fresh ECDSA P-256 key. Never overwrites.
Result<IssuedFiles> ca_issue(const std::filesystem::path& dir, const IssueOptions& options);

// The identity fingerprints (lowercase hex) a PEM certificate names in its SubjectAltName URIs.
Result<std::vector<std::string>> certificate_identities(const std::filesystem::path& cert_pem);

// The identity URI for a fingerprint.
std::string identity_uri(const crypto::Fingerprint& fingerprint);

}  // namespace medcrypt::net
