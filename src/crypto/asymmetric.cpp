#include "crypto/asymmetric.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace medcrypt::crypto {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Error internal(const char* what) { return make_error(ErrorCode::kInternal, what); }

PkeyPtr private_pkey(int type, const SecretBytes& key) {
  return {key.size() == 32 ? EVP_PKEY_new_raw_private_key(type, nullptr, key.data(), key.size()) : nullptr,
          EVP_PKEY_free};
}

template <typename PublicKey>
Result<PublicKey> raw_public(EVP_PKEY* pkey) {
  PublicKey out{};
  std::size_t len = out.size();
  if (pkey == nullptr || EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) != 1 || len != out.size()) {
    return internal("cannot read a public key");
  }
  return out;
}

template <typename PublicKey>
Result<KeyPair<PublicKey>> generate(int type) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(type, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return internal("key generation failed");
  }
  PkeyPtr pkey(raw, EVP_PKEY_free);
  KeyPair<PublicKey> pair{SecretBytes(32), {}};
  std::size_t len = 32;
  if (EVP_PKEY_get_raw_private_key(pkey.get(), pair.private_key.data(), &len) != 1 || len != 32) {
    return internal("cannot read a private key");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(pair.public_key, raw_public<PublicKey>(pkey.get()));
  return pair;
}

}  // namespace

Result<X25519KeyPair> x25519_generate() { return generate<X25519PublicKey>(EVP_PKEY_X25519); }
Result<Ed25519KeyPair> ed25519_generate() { return generate<Ed25519PublicKey>(EVP_PKEY_ED25519); }

Result<X25519PublicKey> x25519_public_key(const SecretBytes& private_key) {
  auto pkey = private_pkey(EVP_PKEY_X25519, private_key);
  if (!pkey) return make_error(ErrorCode::kBadKey, "invalid X25519 private key");
  return raw_public<X25519PublicKey>(pkey.get());
}

Result<Ed25519PublicKey> ed25519_public_key(const SecretBytes& private_key) {
  auto pkey = private_pkey(EVP_PKEY_ED25519, private_key);
  if (!pkey) return make_error(ErrorCode::kBadKey, "invalid Ed25519 private key");
  return raw_public<Ed25519PublicKey>(pkey.get());
}

Result<SecretBytes> x25519(const SecretBytes& private_key, const X25519PublicKey& peer_public_key) {
  auto self = private_pkey(EVP_PKEY_X25519, private_key);
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public_key.data(), peer_public_key.size()),
               EVP_PKEY_free);
  if (!self || !peer) return make_error(ErrorCode::kAuthentication, "invalid X25519 key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(self.get(), nullptr), EVP_PKEY_CTX_free);
  SecretBytes shared(32);
  std::size_t len = shared.size();
  // OpenSSL refuses an all-zero shared secret (RFC 7748 section 6.1) in EVP_PKEY_derive.
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != 32) {
    return make_error(ErrorCode::kAuthentication, "X25519 key agreement failed");
  }
  return shared;
}

Result<Ed25519Signature> ed25519_sign(const SecretBytes& private_key, ByteView message) {
  auto pkey = private_pkey(EVP_PKEY_ED25519, private_key);
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Ed25519Signature sig{};
  std::size_t len = sig.size();
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return internal("Ed25519 signing failed");
  }
  return sig;
}

bool ed25519_verify(const Ed25519PublicKey& public_key, ByteView message, const Ed25519Signature& signature) {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()),
               EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return pkey && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

}  // namespace medcrypt::crypto
