// OpenSSL helpers shared inside src/net: owning pointers, error text, identities in a certificate.
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace medcrypt::net::internal {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// The reason of the oldest queued OpenSSL error, and clears the queue.
std::string openssl_error();

// The identity fingerprints (lowercase hex) in the certificate's SubjectAltName URIs.
std::vector<std::string> certificate_identities(const X509* cert);

// SHA-256 of the certificate's DER encoding (hex): names a client for quotas and rate limits.
std::string certificate_digest(const X509* cert);

}  // namespace medcrypt::net::internal
