#include "crypto/identity.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace medcrypt::crypto {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

constexpr std::uint64_t kScryptN = 1u << 14;
constexpr std::uint64_t kScryptR = 8;
constexpr std::uint64_t kScryptP = 8;
constexpr std::uint64_t kMaxKeyFileBytes = 64 * 1024;

Error bad_key(std::string message) { return make_error(ErrorCode::kBadKey, std::move(message)); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

BioPtr read_bio(std::string_view text) {
  return {BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free};
}

// Writes one private key as (possibly encrypted) PKCS#8 PEM.
Result<std::string> pkcs8_pem(int type, const SecretBytes& raw, std::optional<std::string_view> passphrase) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(type, nullptr, raw.data(), raw.size()), EVP_PKEY_free);
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!pkey || !bio) return make_error(ErrorCode::kInternal, "cannot encode a private key");
  if (!passphrase) {
    if (PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return make_error(ErrorCode::kInternal, "cannot encode a private key");
    }
    return bio_text(bio.get());
  }
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes salt, random_bytes(16));
  X509_ALGOR* pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt.data(), static_cast<int>(salt.size()), nullptr,
                                          kScryptN, kScryptR, kScryptP);
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(pkey.get());
  X509_SIG* sealed = (pbe != nullptr && p8 != nullptr)
                         ? PKCS8_set0_pbe(passphrase->data(), static_cast<int>(passphrase->size()), p8, pbe)
                         : nullptr;
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (sealed == nullptr) {
    X509_ALGOR_free(pbe);  // PKCS8_set0_pbe takes ownership only on success
    return make_error(ErrorCode::kInternal, "cannot encrypt a private key");
  }
  int ok = PEM_write_bio_PKCS8(bio.get(), sealed);
  X509_SIG_free(sealed);
  if (ok != 1) return make_error(ErrorCode::kInternal, "cannot encode a private key");
  return bio_text(bio.get());
}

std::string pubkey_pem(int type, ByteView raw) {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(type, nullptr, raw.data(), raw.size()), EVP_PKEY_free);
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), pkey.get());
  return bio_text(bio.get());
}

int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
  const auto* pass = static_cast<const std::optional<std::string_view>*>(user);
  if (!pass->has_value() || static_cast<int>((*pass)->size()) > size) return -1;
  std::copy((*pass)->begin(), (*pass)->end(), buf);
  return static_cast<int>((*pass)->size());
}

std::string comment_name(std::string_view pem, std::string_view prefix) {
  auto pos = pem.find(prefix);
  if (pos == std::string_view::npos) return {};
  auto start = pos + prefix.size();
  auto end = pem.find('\n', start);
  std::string_view name = pem.substr(start, end == std::string_view::npos ? end : end - start);
  if (!name.empty() && name.back() == '\r') name.remove_suffix(1);
  return std::string(name);
}

std::string header(std::string_view kind, const PublicIdentity& id) {
  return fmt::format("# medcrypt {}: {}\n# fingerprint: {}\n", kind, id.name, to_hex(id.fingerprint()));
}

}  // namespace

Fingerprint PublicIdentity::fingerprint() const {
  Hasher h(HashAlgorithm::kSha256);
  static constexpr char kLabel[] = "medcrypt identity v1";
  h.update(ByteView(reinterpret_cast<const std::uint8_t*>(kLabel), sizeof kLabel));  // includes the NUL
  h.update(x25519);
  h.update(ed25519);
  Bytes d = h.finish();
  Fingerprint out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

Result<Identity> generate_identity(std::string name) {
  // The name goes into a PEM comment line: keep it to one printable line.
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return make_error(ErrorCode::kUsage, "an identity name cannot contain control characters");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(X25519KeyPair x, x25519_generate());
  MEDCRYPT_ASSIGN_OR_RETURN(Ed25519KeyPair e, ed25519_generate());
  Identity id;
  id.name = std::move(name);
  id.public_identity = PublicIdentity{id.name, x.public_key, e.public_key};
  id.x25519_private = std::move(x.private_key);
  id.ed25519_private = std::move(e.private_key);
  return id;
}

Result<std::string> private_identity_pem(const Identity& identity, std::optional<std::string_view> passphrase) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::string x, pkcs8_pem(EVP_PKEY_X25519, identity.x25519_private, passphrase));
  MEDCRYPT_ASSIGN_OR_RETURN(std::string e, pkcs8_pem(EVP_PKEY_ED25519, identity.ed25519_private, passphrase));
  return header("identity", identity.public_identity) + x + e;
}

std::string public_identity_pem(const PublicIdentity& identity) {
  return header("public identity", identity) + pubkey_pem(EVP_PKEY_X25519, identity.x25519) +
         pubkey_pem(EVP_PKEY_ED25519, identity.ed25519);
}

bool pem_is_encrypted(std::string_view pem) {
  return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos;
}

Result<Identity> parse_private_identity(std::string_view pem, std::optional<std::string_view> passphrase) {
  if (pem_is_encrypted(pem) && !passphrase) {
    return bad_key("the identity key is passphrase-protected and no passphrase was given");
  }
  auto bio = read_bio(pem);
  Identity id;
  id.name = comment_name(pem, "# medcrypt identity: ");
  for (int i = 0; i < 2; ++i) {
    PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &passphrase), EVP_PKEY_free);
    if (!pkey) {
      return bad_key(pem_is_encrypted(pem) ? "cannot decrypt the identity key: wrong passphrase or damaged file"
                                           : "not a medcrypt identity key file (expected two PEM private keys)");
    }
    SecretBytes raw(32);
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_private_key(pkey.get(), raw.data(), &len) != 1 || len != 32) {
      return bad_key("identity key file holds an unexpected key type");
    }
    int type = EVP_PKEY_get_id(pkey.get());
    if (type == EVP_PKEY_X25519 && id.x25519_private.empty()) {
      id.x25519_private = std::move(raw);
    } else if (type == EVP_PKEY_ED25519 && id.ed25519_private.empty()) {
      id.ed25519_private = std::move(raw);
    } else {
      return bad_key("identity key file must hold one X25519 and one Ed25519 key");
    }
  }
  MEDCRYPT_ASSIGN_OR_RETURN(id.public_identity.x25519, x25519_public_key(id.x25519_private));
  MEDCRYPT_ASSIGN_OR_RETURN(id.public_identity.ed25519, ed25519_public_key(id.ed25519_private));
  id.public_identity.name = id.name;
  return id;
}

Result<PublicIdentity> parse_public_identity(std::string_view pem) {
  auto bio = read_bio(pem);
  PublicIdentity id;
  id.name = comment_name(pem, "# medcrypt public identity: ");
  bool have_x = false, have_e = false;
  for (int i = 0; i < 2; ++i) {
    PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    if (!pkey) return bad_key("not a medcrypt public identity (expected two PEM public keys)");
    std::array<std::uint8_t, 32> raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey.get(), raw.data(), &len) != 1 || len != 32) {
      return bad_key("public identity holds an unexpected key type");
    }
    int type = EVP_PKEY_get_id(pkey.get());
    if (type == EVP_PKEY_X25519 && !have_x) {
      id.x25519 = *X25519PublicKey::from(raw);
      have_x = true;
    } else if (type == EVP_PKEY_ED25519 && !have_e) {
      id.ed25519 = *Ed25519PublicKey::from(raw);
      have_e = true;
    } else {
      return bad_key("public identity must hold one X25519 and one Ed25519 key");
    }
  }
  return id;
}

Result<Identity> load_private_identity(const std::filesystem::path& path,
                                       std::optional<std::string_view> passphrase) {
  auto bytes = read_file(path, kMaxKeyFileBytes);
  if (!bytes) return std::move(bytes).error();
  std::string text(bytes->begin(), bytes->end());
  auto id = parse_private_identity(text, passphrase);
  OPENSSL_cleanse(text.data(), text.size());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (!id) return make_error(id.error().code, fmt::format("{}: {}", path.string(), id.error().message));
  return id;
}

Result<PublicIdentity> load_public_identity(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxKeyFileBytes));
  auto id = parse_public_identity(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!id) return make_error(id.error().code, fmt::format("{}: {}", path.string(), id.error().message));
  return id;
}

Result<SecretBytes> load_shared_key(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, 1024));
  SecretBytes wipe_on_exit(bytes);  // the file's bytes are key material too
  OPENSSL_cleanse(bytes.data(), bytes.size());
  ByteView data = wipe_on_exit.span();
  if (data.size() == kSharedKeyBytes) return SecretBytes(data);
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (text.size() == 2 * kSharedKeyBytes) {
    auto decoded = from_hex(text);
    if (decoded) {
      SecretBytes key(*decoded);
      OPENSSL_cleanse(decoded->data(), decoded->size());
      return key;
    }
  }
  return bad_key(fmt::format("{}: a shared key file holds 32 raw bytes or 64 hex digits, this one has {} bytes",
                             path.string(), data.size()));
}

Result<std::string> load_passphrase(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, 4096));
  std::string text(bytes.begin(), bytes.end());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  if (text.empty()) return make_error(ErrorCode::kUsage, fmt::format("{}: empty passphrase", path.string()));
  return text;
}

}  // namespace medcrypt::crypto
