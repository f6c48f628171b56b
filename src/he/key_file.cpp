#include "he/key_file.hpp"


#include "core/file_io.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/aead.hpp"
#include "crypto/base64.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace medcrypt::he {
namespace {

constexpr std::string_view kPublicLabel = "MEDCRYPT PAILLIER PUBLIC KEY";
constexpr std::string_view kPrivateLabel = "MEDCRYPT PAILLIER PRIVATE KEY";
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kPlain = 0, kProtected = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::uint64_t kMaxKeyFileBytes = 64 * 1024;
constexpr std::uint8_t kScryptLog2N = 17, kScryptR = 8, kScryptP = 1;

Error bad_key(std::string message) { return make_error(ErrorCode::kBadKey, std::move(message)); }

// The PEM text; the base64 of a private key is wiped, and the output is reserved whole so that growing
// it leaves no copies behind.
std::string block(std::string_view label, ByteView body, const std::string& comments) {
  std::string text = crypto::base64(body);
  const std::string begin = "-----BEGIN " + std::string(label) + "-----\n", end = "-----END " + std::string(label) + "-----\n";
  std::string out;
  out.reserve(comments.size() + begin.size() + text.size() + text.size() / 64 + 1 + end.size());
  out += comments;
  out += begin;
  for (std::size_t at = 0; at < text.size(); at += 64) {
    out.append(text, at, 64);
    out += '\n';
  }
  out += end;
  secure_wipe(text);
  return out;
}

std::string comments(const PublicKey& key, std::string_view what) {
  return "# medcrypt Paillier " + std::string(what) + ", " + std::to_string(key.modulus_bits()) + " bits\n# key id " +
         key.key_id() + "\n";
}

// The base64 between BEGIN and END of `label`, decoded; lines starting with '#' before it are comments.
Result<SecretBytes> unblock(std::string_view pem, std::string_view label, std::string_view what) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  const std::size_t b = pem.find(begin);
  const std::size_t e = pem.find(end);
  if (b == std::string_view::npos || e == std::string_view::npos || e < b) {
    return bad_key("not a medcrypt Paillier " + std::string(what) + " file (no " + begin + " block)");
  }
  std::string text;
  text.reserve(e - b);  // no reallocation: no stray copies of a private key
  for (char c : pem.substr(b + begin.size(), e - b - begin.size())) {
    if (c != '\n' && c != '\r') text.push_back(c);
  }
  auto decoded = crypto::from_base64(text);
  secure_wipe(text);
  if (!decoded) return bad_key("the Paillier " + std::string(what) + " block is not valid base64");
  SecretBytes out(*decoded);
  secure_wipe(*decoded);
  return out;
}

void put_number(ByteWriter& w, ByteView n) {
  w.u16(static_cast<std::uint16_t>(n.size()));
  w.raw(n);
}

// `prefix` then u16 length | p | u16 length | q, written straight into wiped-on-exit memory.
SecretBytes primes_record(ByteView prefix, const SecretBytes& p, const SecretBytes& q) {
  SecretBytes out(prefix.size() + 4 + p.size() + q.size());
  std::uint8_t* at = out.data();
  at = std::copy(prefix.begin(), prefix.end(), at);
  for (const SecretBytes* x : {&p, &q}) {
    *at++ = static_cast<std::uint8_t>(x->size() & 0xff);
    *at++ = static_cast<std::uint8_t>(x->size() >> 8);
    at = std::copy(x->span().begin(), x->span().end(), at);
  }
  return out;
}

Result<PrivateKey> read_primes(ByteReader& r) {
  auto p_length = r.u16("p length");
  if (!p_length) return bad_key("the Paillier private key is truncated");
  auto p = r.raw(*p_length, "p");
  if (!p) return bad_key("the Paillier private key is truncated");
  auto q_length = r.u16("q length");
  if (!q_length) return bad_key("the Paillier private key is truncated");
  auto q = r.raw(*q_length, "q");
  if (!q || r.remaining() != 0) return bad_key("the Paillier private key has the wrong length");
  return PrivateKey::from_primes(*p, *q);
}

crypto::ScryptParams scrypt_params(std::uint8_t log2_n, std::uint8_t r, std::uint8_t p) {
  return crypto::ScryptParams{std::uint64_t(1) << log2_n, r, p};
}

}  // namespace

std::string public_key_pem(const PublicKey& key) {
  ByteWriter w;
  w.u8(kVersion);
  put_number(w, key.modulus());
  return block(kPublicLabel, w.take(), comments(key, "public key"));
}

Result<SecretBytes> private_key_pem(const PrivateKey& key, std::optional<std::string_view> passphrase) {
  const auto [p, q] = key.primes();
  if (!passphrase) {
    const std::uint8_t prefix[] = {kVersion, kPlain};
    const SecretBytes body = primes_record(prefix, p, q);
    std::string text = block(kPrivateLabel, body.span(), comments(key.public_key(), "private key"));
    SecretBytes out(as_bytes(text));
    secure_wipe(text);
    return out;
  }
  ByteWriter w;
  w.u8(kVersion);
  w.u8(kProtected);
  w.u8(kScryptLog2N);
  w.u8(kScryptR);
  w.u8(kScryptP);
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes salt, crypto::random_bytes(kSaltBytes));
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes nonce, crypto::random_bytes(crypto::kAeadNonceBytes));
  w.raw(salt);
  w.raw(nonce);
  Bytes header = w.take();
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes kek, crypto::scrypt(*passphrase, salt, scrypt_params(kScryptLog2N, kScryptR, kScryptP),
                                                            crypto::kAeadKeyBytes));
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, kek));
  const SecretBytes secret = primes_record({}, p, q);
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes sealed, aead.seal(nonce, header, secret.span()));
  header.insert(header.end(), sealed.begin(), sealed.end());
  const std::string text = block(kPrivateLabel, header, comments(key.public_key(), "private key (passphrase-protected)"));
  return SecretBytes(as_bytes(text));
}

bool private_key_is_protected(std::string_view pem) {
  auto body = unblock(pem, kPrivateLabel, "private key");
  return body && body->size() > 1 && body->span()[1] == kProtected;
}

Result<PublicKey> parse_public_key(std::string_view pem) {
  if (pem.find(kPrivateLabel) != std::string_view::npos) {
    return bad_key("this is a Paillier private key; give the public key (.hepub)");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes body, unblock(pem, kPublicLabel, "public key"));
  ByteReader r(body.span(), ErrorCode::kBadKey);
  auto version = r.u8("version");
  if (!version || *version != kVersion) return bad_key("unknown Paillier public key version");
  auto length = r.u16("n length");
  if (!length) return bad_key("the Paillier public key is truncated");
  auto n = r.raw(*length, "n");
  if (!n || r.remaining() != 0) return bad_key("the Paillier public key has the wrong length");
  return PublicKey::from_modulus(*n);
}

Result<PrivateKey> parse_private_key(std::string_view pem, std::optional<std::string_view> passphrase) {
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes body, unblock(pem, kPrivateLabel, "private key"));
  ByteReader r(body.span(), ErrorCode::kBadKey);
  auto version = r.u8("version");
  if (!version || *version != kVersion) return bad_key("unknown Paillier private key version");
  auto protection = r.u8("protection");
  if (!protection || (*protection != kPlain && *protection != kProtected)) {
    return bad_key("the Paillier private key's protection byte is unknown");
  }
  if (*protection == kPlain) return read_primes(r);
  if (!passphrase) return bad_key("the Paillier private key is passphrase-protected and no passphrase was given");
  auto log2_n = r.u8("scrypt N"), sr = r.u8("scrypt r"), sp = r.u8("scrypt p");
  if (!log2_n || !sr || !sp) return bad_key("the Paillier private key is truncated");
  // Bounds on what a file may ask scrypt for: memory 128 N r at most 256 MiB, p at most 4.
  if (*log2_n < 10 || *log2_n > 20 || *sr == 0 || *sp == 0 || *sp > 4 ||
      128 * (std::uint64_t(1) << *log2_n) * *sr > (std::uint64_t(256) << 20)) {
    return bad_key("the Paillier private key asks for scrypt parameters out of range");
  }
  auto salt = r.raw(kSaltBytes, "salt");
  auto nonce = r.raw(crypto::kAeadNonceBytes, "nonce");
  if (!salt || !nonce || r.remaining() < crypto::kAeadTagBytes) return bad_key("the Paillier private key is truncated");
  const ByteView all = body.span();
  const ByteView header = all.first(r.position());
  const ByteView sealed = all.subspan(r.position());
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes kek, crypto::scrypt(*passphrase, *salt, scrypt_params(*log2_n, *sr, *sp),
                                                            crypto::kAeadKeyBytes));
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, kek));
  auto opened = aead.open(*nonce, header, sealed);
  if (!opened) return bad_key("cannot decrypt the Paillier private key: wrong passphrase or damaged file");
  SecretBytes primes(*opened);
  secure_wipe(*opened);
  ByteReader pr(primes.span(), ErrorCode::kBadKey);
  return read_primes(pr);
}

Result<PublicKey> load_public_key(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxKeyFileBytes));
  auto key = parse_public_key(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!key) return make_error(key.error().code, path.string() + ": " + key.error().message);
  return key;
}

Result<PrivateKey> load_private_key(const std::filesystem::path& path, std::optional<std::string_view> passphrase) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxKeyFileBytes));
  SecretBytes text(bytes);
  secure_wipe(bytes);
  auto key = parse_private_key(std::string_view(reinterpret_cast<const char*>(text.span().data()), text.size()), passphrase);
  if (!key) return make_error(key.error().code, path.string() + ": " + key.error().message);
  return key;
}

}  // namespace medcrypt::he
