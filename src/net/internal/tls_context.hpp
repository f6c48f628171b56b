// TLS 1.3 contexts for the relay and its clients (Boost.Asio over OpenSSL), and the reasons a handshake
// failed, in words fit for a log.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <string>

#include "core/result.hpp"
#include "net/tls.hpp"

namespace medcrypt::net::internal {

namespace ssl = boost::asio::ssl;

// TLS 1.3 only; a client certificate chaining to files.ca is required (mutual TLS).
Result<ssl::context> server_tls_context(const TlsFiles& files);
// TLS 1.3 only; presents files.cert and requires a server certificate chaining to files.ca.
Result<ssl::context> client_tls_context(const TlsFiles& files);
// For web services outside medcrypt (an Orthanc behind HTTPS): the system's CAs, TLS 1.2 or later.
Result<ssl::context> web_tls_context();

// Sends SNI for `host` and makes the handshake check the certificate names it (a DNS name or an IP).
Status expect_peer_name(SSL* ssl, const std::string& host);

// Why a handshake failed: "no client certificate", "certificate not issued by the configured CA: ...",
// "protocol version: the client does not offer TLS 1.3", or the library's words.
std::string handshake_failure_reason(const boost::system::error_code& ec, SSL* ssl);

}  // namespace medcrypt::net::internal
