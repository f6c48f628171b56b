#include "crypto/hash.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <vector>

namespace medcrypt::crypto {

Sha256Digest sha256(ByteView data) {
  Sha256Digest out{};
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha256(), nullptr);
  return out;
}

Sha512Digest sha512(ByteView data) {
  Sha512Digest out{};
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha512(), nullptr);
  return out;
}

struct Hasher::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(HashAlgorithm algorithm) : impl_(std::make_unique<Impl>()) {
  EVP_DigestInit_ex(impl_->ctx, algorithm == HashAlgorithm::kSha256 ? EVP_sha256() : EVP_sha512(), nullptr);
}
Hasher::Hasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(ByteView data) { EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); }

Hasher Hasher::copy() const {
  auto impl = std::make_unique<Impl>();
  EVP_MD_CTX_copy_ex(impl->ctx, impl_->ctx);
  return Hasher(std::move(impl));
}

Bytes Hasher::finish() {
  Bytes out(static_cast<std::size_t>(EVP_MD_CTX_get_size(impl_->ctx)));
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx, out.data(), &n);
  out.resize(n);
  return out;
}

namespace {

// Runs one EVP_KDF with the given parameters into a fresh secret of `length` bytes.
Result<SecretBytes> run_kdf(const char* name, OSSL_PARAM* params, std::size_t length) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
  if (kdf == nullptr) return make_error(ErrorCode::kInternal, std::string("OpenSSL lacks ") + name);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  SecretBytes out(length);
  int ok = ctx != nullptr && EVP_KDF_derive(ctx, out.data(), length, params) == 1;
  EVP_KDF_CTX_free(ctx);
  if (!ok) return make_error(ErrorCode::kInternal, std::string(name) + " derivation failed");
  return out;
}

}  // namespace

Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
  char digest[] = "SHA256";
  // OpenSSL refuses zero-length parameters; RFC 5869 reads an absent salt as HashLen zero bytes, which is
  // what OpenSSL does when the parameter is left out, and an absent info as the empty string.
  std::vector<OSSL_PARAM> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(ikm.data()), ikm.size())};
  if (!salt.empty()) {
    params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                                       salt.size()));
  }
  if (!info.empty()) {
    params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()),
                                                       info.size()));
  }
  params.push_back(OSSL_PARAM_construct_end());
  return run_kdf("HKDF", params.data(), length);
}

Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, std::string_view info, std::size_t length) {
  return hkdf_sha256(ikm, salt, as_bytes(info), length);
}

Result<SecretBytes> scrypt(std::string_view passphrase, ByteView salt, const ScryptParams& p,
                           std::size_t length) {
  std::uint64_t n = p.n;
  std::uint32_t r = p.r, par = p.p;
  // Allow the memory that N and r require (128 * N * r bytes) plus slack; OpenSSL's default cap is 32 MiB.
  std::uint64_t maxmem = 128 * n * r * par + (16u << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(passphrase.data()),
                                        passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  return run_kdf("SCRYPT", params, length);
}

}  // namespace medcrypt::crypto
