#include <openssl/crypto.h>

#include <algorithm>

#include <fmt/format.h>

#include "container/container.hpp"
#include "container/payload_stream.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/hash.hpp"

namespace medcrypt::container {
namespace {

constexpr std::array<std::uint8_t, crypto::kAeadNonceBytes> kZeroNonce{};

struct HeaderRead {
  ParsedHeader parsed;
  Bytes bytes;  // preamble and header as stored
};

Result<HeaderRead> read_and_check_header(Source& source) {
  HeaderRead out;
  MEDCRYPT_ASSIGN_OR_RETURN(ByteView preamble, source.next(kPreambleBytes));
  out.bytes.assign(preamble.begin(), preamble.end());
  MEDCRYPT_ASSIGN_OR_RETURN(std::size_t total, header_size_from_preamble(out.bytes));
  MEDCRYPT_ASSIGN_OR_RETURN(ByteView rest, source.next(total - kPreambleBytes));
  out.bytes.insert(out.bytes.end(), rest.begin(), rest.end());
  MEDCRYPT_ASSIGN_OR_RETURN(out.parsed, parse_header(out.bytes));
  const std::uint64_t expected = out.parsed.header.container_bytes(out.parsed.header_bytes);
  if (source.size() != expected) {
    return make_error(ErrorCode::kMalformed,
                      source.size() < expected
                          ? fmt::format("container truncated: {} bytes of {}", source.size(), expected)
                          : fmt::format("container has {} bytes after its end", source.size() - expected));
  }
  return out;
}

Status check_signer(const Header& h, const std::optional<crypto::PublicIdentity>& expected) {
  if (!expected) return {};
  if (!h.is_signed) return make_error(ErrorCode::kSignature, "the container is not signed, but a signer is expected");
  if (CRYPTO_memcmp(h.signer.data(), expected->ed25519.data(), expected->ed25519.size()) != 0) {
    return make_error(ErrorCode::kSignature, "the container is signed by another key than the expected sender's");
  }
  // Only the signer chooses the X25519 key it names, so a mismatch is no forgery: the sender's own container
  // names another identity than the one the recipient trusts, and the two must not be mixed up.
  if (h.version >= 2 && h.signer_x25519 != expected->x25519) {
    return make_error(ErrorCode::kSignature,
                      "the container is signed by the expected sender's Ed25519 key but names another identity");
  }
  return {};
}

Status check_signature(const Header& h, ByteView sig, ByteView transcript_digest) {
  const auto signature = crypto::Ed25519Signature::from(sig);
  if (!signature || !crypto::ed25519_verify(h.signer, signature_message(transcript_digest), *signature)) {
    return make_error(ErrorCode::kSignature, "the sender's signature does not verify: the container was modified");
  }
  return {};
}

// Reads and checks the signature; `also`, if given, hashes its bytes too.
Status verify_signature(const Header& h, Source& source, crypto::Hasher& transcript, crypto::Hasher* also = nullptr) {
  MEDCRYPT_ASSIGN_OR_RETURN(ByteView sig, source.next(crypto::kEd25519SignatureBytes));
  MEDCRYPT_TRY(check_signature(h, sig, transcript.finish()));
  if (also != nullptr) also->update(sig);
  return {};
}

// The first bytes of a container of `size` bytes, all that reading its header needs.
class HeadSource final : public Source {
 public:
  HeadSource(ByteView head, std::uint64_t size) : head_(head), size_(size) {}
  std::uint64_t size() const override { return size_; }
  Result<ByteView> next(std::size_t n) override { return head_.next(n); }

 private:
  MemorySource head_;
  std::uint64_t size_;
};

Result<SecretBytes> recover_content_key(const Header& h, const OpenKeys& keys) {
  const SecretBytes* shared_key = keys.as_shared_key();
  const crypto::Identity* identity = keys.as_identity();
  if (h.key_mode == KeyMode::kSharedKey) {
    if (shared_key == nullptr) {
      return make_error(ErrorCode::kWrongKey, "the container is encrypted with a shared key, not to identities");
    }
    MEDCRYPT_ASSIGN_OR_RETURN(auto key_id, shared_key_id(*shared_key));
    if (CRYPTO_memcmp(key_id.data(), h.shared.key_id.data(), key_id.size()) != 0) {
      return make_error(ErrorCode::kWrongKey, "wrong key: the container was encrypted with another shared key");
    }
    return crypto::hkdf_sha256(shared_key->span(), h.shared.salt, kLabelSharedContentKey, kContentKeyBytes);
  }
  if (identity == nullptr) {
    return make_error(ErrorCode::kWrongKey, "the container is addressed to identities, not to a shared key");
  }
  const crypto::PublicIdentity& me = identity->public_identity;
  const crypto::Fingerprint fp = me.fingerprint();
  for (const RecipientStanza& stanza : h.recipients) {
    if (stanza.fingerprint != fp) continue;
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes shared, crypto::x25519(identity->x25519_private, stanza.ephemeral));
    ByteWriter salt;
    salt.raw(stanza.ephemeral);
    salt.raw(me.x25519);
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes wrap_key,
                              crypto::hkdf_sha256(shared.span(), salt.bytes(), kLabelWrap, crypto::kAeadKeyBytes));
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead cipher, crypto::Aead::create(h.aead, wrap_key));
    SecretBytes content_key(kContentKeyBytes);
    ByteView wrapped(stanza.wrapped_key);
    MEDCRYPT_TRY(cipher.open(kZeroNonce, stanza.fingerprint, wrapped.first(kContentKeyBytes),
                             wrapped.last(crypto::kAeadTagBytes), content_key.mutable_span()));
    return content_key;
  }
  return make_error(ErrorCode::kWrongKey, fmt::format("wrong identity: the container is not addressed to {} ({})",
                                                      me.name.empty() ? "this identity" : me.name,
                                                      to_hex(ByteView(fp).first(8))));
}

}  // namespace

Result<ParsedHeader> read_header(Source& source) {
  MEDCRYPT_ASSIGN_OR_RETURN(HeaderRead read, read_and_check_header(source));
  return std::move(read.parsed);
}

Result<Opened> open(Source& source, const OpenKeys& keys, const OpenOptions& opt) {
  MEDCRYPT_ASSIGN_OR_RETURN(HeaderRead read, read_and_check_header(source));
  const Header& h = read.parsed.header;
  MEDCRYPT_TRY(check_signer(h, opt.expected_signer));
  const crypto::Sha256Digest header_hash = crypto::sha256(read.bytes);
  std::optional<crypto::Hasher> transcript;
  if (h.is_signed) {
    transcript.emplace(crypto::HashAlgorithm::kSha256);
    transcript->update(read.bytes);
  }

  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes content_key, recover_content_key(h, keys));
  MEDCRYPT_ASSIGN_OR_RETURN(auto commitment, key_commitment(content_key, h));
  if (CRYPTO_memcmp(commitment.data(), h.key_commitment.data(), commitment.size()) != 0) {
    return make_error(ErrorCode::kAuthentication, "authentication failed");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(MessageKeys message_keys, derive_message_keys(content_key, h));

  // The metadata's tag authenticates the header (its hash is the associated data): check it before
  // trusting any header field beyond the limits parse_header enforced.
  MEDCRYPT_ASSIGN_OR_RETURN(ByteView sealed_metadata, source.next(h.metadata_bytes));
  if (transcript) transcript->update(sealed_metadata);
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead metadata_cipher, crypto::Aead::create(h.aead, message_keys.metadata));
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes plain_metadata, metadata_cipher.open(kZeroNonce, header_hash, sealed_metadata));
  MEDCRYPT_ASSIGN_OR_RETURN(Metadata metadata, parse_metadata(plain_metadata));
  secure_wipe(plain_metadata);

  const schemes::SchemeRegistry& registry = opt.registry ? *opt.registry : schemes::builtin_registry();
  // Parameters come from the file, not from a command line: unparsable ones make a malformed container.
  auto params = schemes::parse_params(h.scheme_params);
  if (!params) return make_error(ErrorCode::kMalformed, "scheme parameters: " + params.error().message);
  auto scheme = registry.create(h.scheme_name, h.scheme_version, *params);
  if (!scheme) {
    // A known scheme that refuses the parameters the header names: the container is malformed, not new.
    const bool refused_params = scheme.error().code == ErrorCode::kUsage;
    return make_error(refused_params ? ErrorCode::kMalformed : ErrorCode::kVersion, scheme.error().message);
  }
  const schemes::SchemeInfo& info = (*scheme)->info();
  if (info.sealing != h.sealing || info.lossless != h.lossless ||
      (*scheme)->payload_size(h.geometry) != h.payload_bytes) {
    return make_error(ErrorCode::kMalformed, fmt::format("header does not match scheme {}@{}", h.scheme_name,
                                                         h.scheme_version));
  }

  PixelBytes payload(static_cast<std::size_t>(h.payload_bytes));  // uninitialised: open_payload writes it whole
  StreamContext ctx{h, header_hash, message_keys.payload, opt.threads, transcript ? &*transcript : nullptr, nullptr};
  if (opt.progress) {
    ctx.progress = [&](std::uint64_t done) { opt.progress(done, h.payload_bytes); };
  }
  MEDCRYPT_TRY(open_payload(ctx, source, payload));
  if (transcript) {
    Status s = verify_signature(h, source, *transcript);
    if (!s) {
      secure_wipe(payload);
      return std::move(s).error();
    }
  }

  auto image = (*scheme)->decode(std::move(payload), h.geometry, message_keys.scheme);
  if (!image) return std::move(image).error();
  return Opened{std::move(*image), std::move(metadata), h};
}

namespace {

// `whole`, if given, receives the SHA-256 of every byte, signature included (signed containers only).
Result<Header> verify_structure_and_signature(Source& source, bool require_signature, Bytes* whole) {
  MEDCRYPT_ASSIGN_OR_RETURN(HeaderRead read, read_and_check_header(source));
  const Header& h = read.parsed.header;
  if (!h.is_signed) {
    if (require_signature) return make_error(ErrorCode::kSignature, "the container is not signed");
    return h;
  }
  crypto::Hasher transcript(crypto::HashAlgorithm::kSha256);
  transcript.update(read.bytes);
  std::uint64_t body = h.container_bytes(read.parsed.header_bytes) - read.bytes.size() -
                       crypto::kEd25519SignatureBytes;
  constexpr std::uint64_t kStep = 4u << 20;
  for (std::uint64_t done = 0; done < body; done += kStep) {
    MEDCRYPT_ASSIGN_OR_RETURN(ByteView part, source.next(static_cast<std::size_t>(std::min(kStep, body - done))));
    transcript.update(part);
  }
  std::optional<crypto::Hasher> everything;
  if (whole != nullptr) everything = transcript.copy();
  MEDCRYPT_TRY(verify_signature(h, source, transcript, everything ? &*everything : nullptr));
  if (whole != nullptr) *whole = everything->finish();
  return h;
}

}  // namespace

Result<Header> verify_signature_only(Source& source, bool require_signature) {
  return verify_structure_and_signature(source, require_signature, nullptr);
}

Result<VerifiedContainer> verify_signed_container(Source& source) {
  VerifiedContainer v;
  MEDCRYPT_ASSIGN_OR_RETURN(v.header, verify_structure_and_signature(source, true, &v.sha256));
  return v;
}

StreamingVerifier::StreamingVerifier(std::uint64_t size)
    : size_(size), head_wanted_(kPreambleBytes), transcript_(crypto::HashAlgorithm::kSha256) {}

void StreamingVerifier::update(ByteView bytes) {
  ByteView rest = bytes;
  while (!rest.empty() && head_.size() < head_wanted_) {
    std::size_t take = std::min(rest.size(), head_wanted_ - head_.size());
    head_.insert(head_.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(take));
    rest = rest.subspan(take);
    if (head_wanted_ == kPreambleBytes && head_.size() == kPreambleBytes) {
      // A bad preamble keeps head_wanted_ where it is: finish() reports it.
      if (auto total = header_size_from_preamble(head_); total) head_wanted_ = *total;
    }
  }
  const std::uint64_t signature_at = size_ - std::min<std::uint64_t>(size_, crypto::kEd25519SignatureBytes);
  rest = bytes;
  if (seen_ < signature_at) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(rest.size(), signature_at - seen_));
    transcript_.update(rest.first(n));
    rest = rest.subspan(n);
    seen_ += n;
  }
  std::size_t keep = std::min(rest.size(), crypto::kEd25519SignatureBytes - signature_.size());
  signature_.insert(signature_.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(keep));
  seen_ += rest.size();
}

Result<VerifiedContainer> StreamingVerifier::finish() {
  if (seen_ != size_) {
    return make_error(ErrorCode::kMalformed, seen_ < size_ ? fmt::format("container truncated: {} bytes of {}", seen_, size_)
                                                           : fmt::format("container has {} bytes after its end", seen_ - size_));
  }
  HeadSource source(head_, size_);
  MEDCRYPT_ASSIGN_OR_RETURN(HeaderRead read, read_and_check_header(source));
  VerifiedContainer v{std::move(read.parsed.header), {}};
  if (!v.header.is_signed) return make_error(ErrorCode::kSignature, "the container is not signed");
  crypto::Hasher whole = transcript_.copy();
  whole.update(signature_);
  MEDCRYPT_TRY(check_signature(v.header, signature_, transcript_.finish()));
  v.sha256 = whole.finish();
  return v;
}

}  // namespace medcrypt::container
