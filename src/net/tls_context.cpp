#include "net/internal/tls_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/error.hpp>

#include <fmt/format.h>

#include "net/internal/openssl_util.hpp"

namespace medcrypt::net::internal {
namespace {

Error tls_error(const std::filesystem::path& path, std::string_view what) {
  return make_error(ErrorCode::kBadKey, fmt::format("{}: {}: {}", path.string(), what, openssl_error()));
}

Status load_identity(SSL_CTX* ctx, const TlsFiles& files) {
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1) return tls_error(files.cert, "certificate");
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1) return tls_error(files.key, "key");
  if (SSL_CTX_check_private_key(ctx) != 1) return tls_error(files.key, "does not match the certificate");
  if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1) return tls_error(files.ca, "CA certificate");
  return {};
}

Result<ssl::context> tls13_context(ssl::context::method method) {
  ssl::context ctx(method);
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return make_error(ErrorCode::kInternal, "this OpenSSL cannot do TLS 1.3");
  }
  return ctx;
}

}  // namespace

Result<ssl::context> server_tls_context(const TlsFiles& files) {
  MEDCRYPT_ASSIGN_OR_RETURN(ssl::context ctx, tls13_context(ssl::context::tls_server));
  SSL_CTX* native = ctx.native_handle();
  MEDCRYPT_TRY(load_identity(native, files));
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str());
  if (names == nullptr) return tls_error(files.ca, "CA certificate");
  SSL_CTX_set_client_CA_list(native, names);
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // A server certificate (serverAuth only) must not pass as a client's.
  SSL_CTX_set_purpose(native, X509_PURPOSE_SSL_CLIENT);
  // Clients make few, long connections: no session tickets or cache to keep.
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  return ctx;
}

Result<ssl::context> client_tls_context(const TlsFiles& files) {
  MEDCRYPT_ASSIGN_OR_RETURN(ssl::context ctx, tls13_context(ssl::context::tls_client));
  SSL_CTX* native = ctx.native_handle();
  MEDCRYPT_TRY(load_identity(native, files));
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_purpose(native, X509_PURPOSE_SSL_SERVER);
  return ctx;
}

Result<ssl::context> web_tls_context() {
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (SSL_CTX_set_default_verify_paths(native) != 1) {
    return make_error(ErrorCode::kInternal, fmt::format("system CA certificates: {}", openssl_error()));
  }
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  return ctx;
}

Status expect_peer_name(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  bool ok;
  if (ip != nullptr) {
    ASN1_OCTET_STRING_free(ip);
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  } else {
    ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
  }
  if (!ok) return make_error(ErrorCode::kUsage, fmt::format("'{}' is not a usable host name", host));
  return {};
}

std::string handshake_failure_reason(const boost::system::error_code& ec, SSL* ssl) {
  if (ec.category() != boost::asio::error::get_ssl_category()) return ec.message();
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return "no client certificate";
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return fmt::format("certificate refused: {}", X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    case SSL_R_UNSUPPORTED_PROTOCOL:
      return "protocol version: the peer does not offer TLS 1.3";
    default:
      return ec.message();
  }
}

}  // namespace medcrypt::net::internal
