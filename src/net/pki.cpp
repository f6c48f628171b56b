#include "net/pki.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "core/secret_bytes.hpp"
#include "net/internal/openssl_util.hpp"

namespace medcrypt::net {
namespace internal {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", code);
}

std::vector<std::string> certificate_identities(const X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                          static_cast<std::size_t>(ASN1_STRING_length(uri)));
    if (!text.starts_with(kIdentityUriPrefix)) continue;
    std::string hex(text.substr(kIdentityUriPrefix.size()));
    std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return std::tolower(c); });
    bool valid = hex.size() == 2 * crypto::kFingerprintBytes &&
                 std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
    if (valid && std::find(out.begin(), out.end(), hex) == out.end()) out.push_back(hex);
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string certificate_digest(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return {};
  return to_hex(ByteView(md, len));
}

}  // namespace internal

namespace {

using internal::PkeyPtr;
using internal::X509Ptr;

Error ssl_failure(std::string_view what) {
  return make_error(ErrorCode::kInternal, fmt::format("{}: {}", what, internal::openssl_error()));
}

Status refuse_existing(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return make_error(ErrorCode::kIo, fmt::format("{} exists; remove it first to make a new one", path.string()));
  }
  return {};
}

// Plain file names only: a certificate's name becomes DIR/NAME.crt.
Status check_name(std::string_view name) {
  bool ok = !name.empty() && name != "ca" && name.front() != '.' &&
            std::all_of(name.begin(), name.end(), [](unsigned char c) {
              return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.';
            });
  if (!ok) {
    return make_error(ErrorCode::kUsage, fmt::format("certificate name '{}': use letters, digits, '-', '_', '.' "
                                                     "(and not 'ca')", name));
  }
  return {};
}

Result<PkeyPtr> generate_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ssl_failure("cannot generate a P-256 key");
  return key;
}

Result<std::string> key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ssl_failure("cannot encode the private key");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<std::size_t>(n));
  secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(data), static_cast<std::size_t>(n)));
  return pem;
}

Result<std::string> cert_pem(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return ssl_failure("cannot encode the certificate");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<X509Ptr> read_cert(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes pem, read_file(path, 1 << 20));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return make_error(ErrorCode::kBadKey, fmt::format("{}: not a PEM certificate", path.string()));
  return cert;
}

Result<PkeyPtr> read_key(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes pem, read_file(path, 1 << 20));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  secure_wipe(pem);
  if (!key) return make_error(ErrorCode::kBadKey, fmt::format("{}: not a PEM private key", path.string()));
  return key;
}

Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) return ssl_failure(fmt::format("cannot make extension {}", value));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return ssl_failure("cannot add an extension");
  return {};
}

// A certificate with a random 128-bit serial, valid from five minutes ago (clock skew) for `days`.
Result<X509Ptr> new_certificate(EVP_PKEY* key, const std::string& common_name, int days) {
  if (days < 1) return make_error(ErrorCode::kUsage, "validity must be at least one day");
  X509Ptr cert(X509_new());
  std::uint8_t serial[16];
  if (!cert || RAND_bytes(serial, sizeof serial) != 1) return ssl_failure("cannot make a certificate");
  serial[0] &= 0x7f;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);
  ok = ok && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
       X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) != nullptr &&
       X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) != nullptr &&
       X509_set_pubkey(cert.get(), key) == 1;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  ok = ok &&
       X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("medcrypt"), -1,
                                  -1, 0) == 1 &&
       X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1;
  if (!ok) return ssl_failure("cannot fill in the certificate");
  return cert;
}

Status sign(X509* cert, EVP_PKEY* ca_key) {
  if (X509_sign(cert, ca_key, EVP_sha256()) <= 0) return ssl_failure("cannot sign the certificate");
  return {};
}

Status write_pair(X509* cert, EVP_PKEY* key, const std::filesystem::path& cert_path,
                  const std::filesystem::path& key_path) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::string key_text, key_pem(key));
  Status written = write_file_atomic(key_path, as_bytes(key_text), 0600);
  secure_wipe(key_text);
  MEDCRYPT_TRY(written);
  MEDCRYPT_ASSIGN_OR_RETURN(std::string cert_text, cert_pem(cert));
  return write_file_atomic(cert_path, as_bytes(cert_text), 0644);
}

bool is_ip_address(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  ASN1_OCTET_STRING_free(ip);
  return ip != nullptr;
}

}  // namespace

std::string identity_uri(const crypto::Fingerprint& fingerprint) {
  return std::string(kIdentityUriPrefix) + to_hex(fingerprint);
}

Status ca_init(const std::filesystem::path& dir, const CaOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}", dir.string(), ec.message()));
  MEDCRYPT_TRY(refuse_existing(dir / "ca.key"));
  MEDCRYPT_TRY(refuse_existing(dir / "ca.crt"));
  MEDCRYPT_ASSIGN_OR_RETURN(PkeyPtr key, generate_key());
  MEDCRYPT_ASSIGN_OR_RETURN(X509Ptr cert, new_certificate(key.get(), options.name, options.days));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) return ssl_failure("issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  MEDCRYPT_TRY(sign(cert.get(), key.get()));
  return write_pair(cert.get(), key.get(), dir / "ca.crt", dir / "ca.key");
}

Result<IssuedFiles> ca_issue(const std::filesystem::path& dir, const IssueOptions& options) {
  MEDCRYPT_TRY(check_name(options.name));
  if (options.server_hosts.empty() == options.identities.empty()) {
    return make_error(ErrorCode::kUsage, "a certificate is for server hosts or for identities: one kind, not both");
  }
  IssuedFiles files{dir / (options.name + ".crt"), dir / (options.name + ".key")};
  MEDCRYPT_TRY(refuse_existing(files.cert));
  MEDCRYPT_TRY(refuse_existing(files.key));
  MEDCRYPT_ASSIGN_OR_RETURN(X509Ptr ca_cert, read_cert(dir / "ca.crt"));
  MEDCRYPT_ASSIGN_OR_RETURN(PkeyPtr ca_key, read_key(dir / "ca.key"));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kBadKey, fmt::format("{}: ca.key does not match ca.crt", dir.string()));
  }

  std::vector<std::string> alt_names;
  for (const std::string& host : options.server_hosts) {
    bool valid = !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '-' || c == '.' || c == ':' || c == '*';
    });
    if (!valid) return make_error(ErrorCode::kUsage, fmt::format("'{}' is not a host name or IP address", host));
    alt_names.push_back((is_ip_address(host) ? "IP:" : "DNS:") + host);
  }
  for (const crypto::PublicIdentity& id : options.identities) alt_names.push_back("URI:" + identity_uri(id.fingerprint()));
  std::string san;
  for (const std::string& n : alt_names) san += (san.empty() ? "" : ",") + n;

  MEDCRYPT_ASSIGN_OR_RETURN(PkeyPtr key, generate_key());
  MEDCRYPT_ASSIGN_OR_RETURN(X509Ptr cert, new_certificate(key.get(), options.name, options.days));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1) return ssl_failure("issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_ext_key_usage,
                             options.server_hosts.empty() ? "clientAuth" : "serverAuth"));
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_subject_alt_name, san));
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  MEDCRYPT_TRY(add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  MEDCRYPT_TRY(sign(cert.get(), ca_key.get()));
  MEDCRYPT_TRY(write_pair(cert.get(), key.get(), files.cert, files.key));
  return files;
}

Result<std::vector<std::string>> certificate_identities(const std::filesystem::path& cert_pem) {
  MEDCRYPT_ASSIGN_OR_RETURN(X509Ptr cert, read_cert(cert_pem));
  return internal::certificate_identities(cert.get());
}

}  // namespace medcrypt::net
