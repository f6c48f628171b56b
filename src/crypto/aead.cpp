#include "crypto/aead.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>

#include <fmt/format.h>

namespace medcrypt::crypto {
namespace {

constexpr std::size_t kMaxUpdate = 1u << 30;  // EVP takes int lengths; feed large inputs in pieces

Error auth_failed() { return make_error(ErrorCode::kAuthentication, "authentication failed"); }

}  // namespace

std::string_view aead_name(AeadAlgorithm algorithm) {
  return algorithm == AeadAlgorithm::kAes256Gcm ? "aes-256-gcm" : "chacha20-poly1305";
}

std::optional<AeadAlgorithm> parse_aead_name(std::string_view name) {
  if (name == "aes-256-gcm") return AeadAlgorithm::kAes256Gcm;
  if (name == "chacha20-poly1305") return AeadAlgorithm::kChaCha20Poly1305;
  return std::nullopt;
}

std::optional<AeadAlgorithm> aead_from_id(std::uint8_t id) {
  if (id == 1) return AeadAlgorithm::kAes256Gcm;
  if (id == 2) return AeadAlgorithm::kChaCha20Poly1305;
  return std::nullopt;
}

struct Aead::Impl {
  EVP_CIPHER_CTX* enc = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* dec = EVP_CIPHER_CTX_new();
  ~Impl() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
};

Aead::Aead(AeadAlgorithm algorithm, std::unique_ptr<Impl> impl) : algorithm_(algorithm), impl_(std::move(impl)) {}
Aead::Aead(Aead&&) noexcept = default;
Aead& Aead::operator=(Aead&&) noexcept = default;
Aead::~Aead() = default;

Result<Aead> Aead::create(AeadAlgorithm algorithm, const SecretBytes& key) {
  if (key.size() != kAeadKeyBytes) {
    return make_error(ErrorCode::kInternal, fmt::format("AEAD key: expected {} bytes, got {}", kAeadKeyBytes,
                                                        key.size()));
  }
  const EVP_CIPHER* cipher =
      algorithm == AeadAlgorithm::kAes256Gcm ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
  auto impl = std::make_unique<Impl>();
  if (impl->enc == nullptr || impl->dec == nullptr ||
      EVP_EncryptInit_ex(impl->enc, cipher, nullptr, key.data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(impl->dec, cipher, nullptr, key.data(), nullptr) != 1) {
    return make_error(ErrorCode::kInternal, "cannot initialise the AEAD cipher");
  }
  return Aead(algorithm, std::move(impl));
}

Status Aead::seal(ByteView nonce, std::span<const ByteView> aad, ByteView plaintext,
                  std::span<std::uint8_t> ciphertext, std::span<std::uint8_t> tag) {
  if (nonce.size() != kAeadNonceBytes || tag.size() != kAeadTagBytes || ciphertext.size() != plaintext.size()) {
    return make_error(ErrorCode::kInternal, "AEAD seal: wrong nonce, tag or output size");
  }
  EVP_CIPHER_CTX* ctx = impl_->enc;
  int n = 0;
  bool ok = EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1;
  for (ByteView part : aad) {
    for (std::size_t off = 0; ok && off < part.size(); off += kMaxUpdate) {
      int len = static_cast<int>(std::min(kMaxUpdate, part.size() - off));
      ok = EVP_EncryptUpdate(ctx, nullptr, &n, part.data() + off, len) == 1;
    }
  }
  for (std::size_t off = 0; ok && off < plaintext.size(); off += kMaxUpdate) {
    int len = static_cast<int>(std::min(kMaxUpdate, plaintext.size() - off));
    ok = EVP_EncryptUpdate(ctx, ciphertext.data() + off, &n, plaintext.data() + off, len) == 1;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx, nullptr, &n) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagBytes), tag.data()) == 1;
  if (!ok) return make_error(ErrorCode::kInternal, "AEAD encryption failed");
  return {};
}

Status Aead::open(ByteView nonce, std::span<const ByteView> aad, ByteView ciphertext, ByteView tag,
                  std::span<std::uint8_t> plaintext) {
  if (nonce.size() != kAeadNonceBytes || tag.size() != kAeadTagBytes || plaintext.size() != ciphertext.size()) {
    if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return auth_failed();
  }
  EVP_CIPHER_CTX* ctx = impl_->dec;
  int n = 0;
  bool ok = EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1;
  for (ByteView part : aad) {
    for (std::size_t off = 0; ok && off < part.size(); off += kMaxUpdate) {
      int len = static_cast<int>(std::min(kMaxUpdate, part.size() - off));
      ok = EVP_DecryptUpdate(ctx, nullptr, &n, part.data() + off, len) == 1;
    }
  }
  for (std::size_t off = 0; ok && off < ciphertext.size(); off += kMaxUpdate) {
    int len = static_cast<int>(std::min(kMaxUpdate, ciphertext.size() - off));
    ok = EVP_DecryptUpdate(ctx, plaintext.data() + off, &n, ciphertext.data() + off, len) == 1;
  }
  ok = ok &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagBytes),
                           const_cast<std::uint8_t*>(tag.data())) == 1 &&
       EVP_DecryptFinal_ex(ctx, nullptr, &n) == 1;
  if (!ok) {
    if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return auth_failed();
  }
  return {};
}

Result<Bytes> Aead::seal(ByteView nonce, ByteView aad, ByteView plaintext) {
  Bytes out(plaintext.size() + kAeadTagBytes);
  std::span<std::uint8_t> all(out);
  MEDCRYPT_TRY(seal(nonce, aad, plaintext, all.first(plaintext.size()), all.last(kAeadTagBytes)));
  return out;
}

Result<Bytes> Aead::open(ByteView nonce, ByteView aad, ByteView sealed) {
  if (sealed.size() < kAeadTagBytes) return auth_failed();
  std::size_t n = sealed.size() - kAeadTagBytes;
  Bytes out(n);
  MEDCRYPT_TRY(open(nonce, aad, sealed.first(n), sealed.last(kAeadTagBytes), out));
  return out;
}

}  // namespace medcrypt::crypto
