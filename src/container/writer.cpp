
#include <fmt/format.h>

#include "container/container.hpp"
#include "container/payload_stream.hpp"
#include "container/repeatable.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace medcrypt::container {
namespace {

constexpr std::array<std::uint8_t, crypto::kAeadNonceBytes> kZeroNonce{};

template <std::size_t N>
Status fill_random(std::array<std::uint8_t, N>& out, const std::array<std::uint8_t, N>* fixed) {
  if (fixed != nullptr) {
    out = *fixed;
    return {};
  }
  return crypto::random_fill(out);
}

// HPKE-style wrap of the content key for one recipient: ephemeral X25519, HKDF, AEAD.
Result<RecipientStanza> wrap_for(const crypto::PublicIdentity& recipient, const SecretBytes& content_key,
                                 crypto::AeadAlgorithm aead, const SecretBytes* fixed_ephemeral) {
  crypto::X25519KeyPair eph;
  if (fixed_ephemeral != nullptr) {
    eph.private_key = *fixed_ephemeral;
    MEDCRYPT_ASSIGN_OR_RETURN(eph.public_key, crypto::x25519_public_key(eph.private_key));
  } else {
    MEDCRYPT_ASSIGN_OR_RETURN(eph, crypto::x25519_generate());
  }
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes shared, crypto::x25519(eph.private_key, recipient.x25519));
  ByteWriter salt;
  salt.raw(eph.public_key);
  salt.raw(recipient.x25519);
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes wrap_key,
                            crypto::hkdf_sha256(shared.span(), salt.bytes(), kLabelWrap, crypto::kAeadKeyBytes));
  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead cipher, crypto::Aead::create(aead, wrap_key));
  RecipientStanza stanza;
  stanza.fingerprint = recipient.fingerprint();
  stanza.ephemeral = eph.public_key;
  std::span<std::uint8_t> wrapped(stanza.wrapped_key);
  MEDCRYPT_TRY(cipher.seal(kZeroNonce, stanza.fingerprint, content_key.span(), wrapped.first(kContentKeyBytes),
                           wrapped.last(crypto::kAeadTagBytes)));
  return stanza;
}

// Builds the key part of the header and returns the content key.
Result<SecretBytes> set_up_keys(Header& h, const Recipients& to, const FixedRandomness* fixed) {
  if (const SecretBytes* shared_key = to.as_shared_key()) {
    if (shared_key->size() != crypto::kAeadKeyBytes) return make_error(ErrorCode::kBadKey, "shared key must be 32 bytes");
    h.key_mode = KeyMode::kSharedKey;
    MEDCRYPT_ASSIGN_OR_RETURN(h.shared.key_id, shared_key_id(*shared_key));
    MEDCRYPT_TRY(fill_random(h.shared.salt, fixed ? &fixed->shared_salt : nullptr));
    return crypto::hkdf_sha256(shared_key->span(), h.shared.salt, kLabelSharedContentKey, kContentKeyBytes);
  }
  const std::vector<crypto::PublicIdentity>& identities = *to.as_identities();
  if (identities.empty()) return make_error(ErrorCode::kUsage, "no recipient: neither an identity nor a shared key given");
  if (identities.size() > kMaxRecipients) return make_error(ErrorCode::kLimits, "too many recipients");
  if (fixed != nullptr && fixed->ephemeral_keys.size() != identities.size()) {
    return make_error(ErrorCode::kInternal, "fixed randomness needs one ephemeral key per recipient");
  }
  h.key_mode = KeyMode::kRecipients;
  SecretBytes content_key;
  if (fixed != nullptr) {
    content_key = fixed->content_key;
  } else {
    MEDCRYPT_ASSIGN_OR_RETURN(content_key, crypto::random_secret(kContentKeyBytes));
  }
  for (std::size_t i = 0; i < identities.size(); ++i) {
    MEDCRYPT_ASSIGN_OR_RETURN(RecipientStanza stanza,
                              wrap_for(identities[i], content_key, h.aead,
                                       fixed ? &fixed->ephemeral_keys[i] : nullptr));
    h.recipients.push_back(stanza);
  }
  return content_key;
}

// seal and seal_repeatable: `fixed` null draws fresh randomness.
Result<SealReport> seal_with(const image::Image& image, const Metadata& metadata, const schemes::Scheme& scheme,
                             const Recipients& recipients, const SealOptions& opt, const FixedRandomness* fixed,
                             Sink& sink) {
  const schemes::SchemeInfo& info = scheme.info();
  if (info.control_only && !opt.allow_control) {
    return make_error(ErrorCode::kUsage, "scheme '" + info.name + "' is a deliberately broken control cipher: only "
                                         "`medcrypt attack` and `medcrypt analyze` run it");
  }
  Header h;
  h.aead = opt.aead;
  h.chunk_log2 = opt.chunk_log2;
  if (h.chunk_log2 < kMinChunkLog2 || h.chunk_log2 > kMaxChunkLog2) {
    return make_error(ErrorCode::kUsage, "chunk size must be 2^12..2^26 bytes");
  }
  h.sealing = info.sealing;
  h.scheme_name = info.name;
  h.scheme_version = info.version;
  h.scheme_params = scheme.params();
  h.lossless = info.lossless;
  h.geometry = image.geometry();
  h.payload_bytes = scheme.payload_size(h.geometry);
  h.is_signed = opt.signer != nullptr;
  if (h.is_signed) {
    h.signer = opt.signer->public_identity.ed25519;
    h.signer_x25519 = opt.signer->public_identity.x25519;
  }
  MEDCRYPT_TRY(fill_random(h.message_id, fixed ? &fixed->message_id : nullptr));
  MEDCRYPT_TRY(fill_random(h.nonce_prefix, fixed ? &fixed->nonce_prefix : nullptr));
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes content_key, set_up_keys(h, recipients, fixed));
  MEDCRYPT_ASSIGN_OR_RETURN(h.key_commitment, key_commitment(content_key, h));
  MEDCRYPT_ASSIGN_OR_RETURN(MessageKeys keys, derive_message_keys(content_key, h));

  Bytes plain_metadata = serialize_metadata(metadata);
  if (plain_metadata.size() + crypto::kAeadTagBytes > kMaxMetadataBytes) {
    return make_error(ErrorCode::kLimits, "metadata (DICOM attributes) exceeds the container's limit");
  }
  h.metadata_bytes = static_cast<std::uint32_t>(plain_metadata.size() + crypto::kAeadTagBytes);

  // Encode before writing anything, so a scheme error leaves the sink untouched.
  MEDCRYPT_ASSIGN_OR_RETURN(schemes::Payload payload, scheme.encode(image, keys.scheme));
  SealReport report;
  report.notes = std::move(payload.notes);
  if (payload.bytes().size() != h.payload_bytes) {
    return make_error(ErrorCode::kInternal, fmt::format("scheme {} produced {} payload bytes, announced {}",
                                                        info.name, payload.bytes().size(), h.payload_bytes));
  }

  Bytes header_bytes = serialize_header(h);
  const crypto::Sha256Digest header_hash = crypto::sha256(header_bytes);
  std::optional<crypto::Hasher> transcript;
  if (h.is_signed) transcript.emplace(crypto::HashAlgorithm::kSha256);
  auto emit = [&](ByteView bytes) -> Status {
    if (transcript) transcript->update(bytes);
    return sink.write(bytes);
  };
  MEDCRYPT_TRY(emit(header_bytes));

  MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead metadata_cipher, crypto::Aead::create(h.aead, keys.metadata));
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes sealed_metadata, metadata_cipher.seal(kZeroNonce, header_hash, plain_metadata));
  secure_wipe(plain_metadata);
  MEDCRYPT_TRY(emit(sealed_metadata));

  std::span<std::uint8_t> stored;
  if (opt.want_cipher_image) {
    if (!info.exports_cipher_image) {
      return make_error(ErrorCode::kUsage, fmt::format("scheme '{}' has no cipher image to export", info.name));
    }
    // Cipher words use every bit of their 8- or 16-bit word, whatever the plain image's bits stored.
    image::Geometry cipher_geometry = h.geometry;
    cipher_geometry.bits_stored = cipher_geometry.bits_allocated;
    cipher_geometry.is_signed = false;
    MEDCRYPT_ASSIGN_OR_RETURN(report.cipher_image, image::Image::create(cipher_geometry));
    stored = report.cipher_image.bytes();
  }
  StreamContext ctx{h, header_hash, keys.payload, opt.threads, transcript ? &*transcript : nullptr, nullptr};
  if (opt.progress) {
    ctx.progress = [&](std::uint64_t done) { opt.progress(done, h.payload_bytes); };
  }
  MEDCRYPT_TRY(seal_payload(ctx, payload.bytes(), sink, stored));

  if (h.is_signed) {
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::Ed25519Signature sig,
                              crypto::ed25519_sign(opt.signer->ed25519_private, signature_message(transcript->finish())));
    MEDCRYPT_TRY(sink.write(sig));
  }
  return report;
}

}  // namespace

Result<SealReport> seal(const image::Image& image, const Metadata& metadata, const schemes::Scheme& scheme,
                        const Recipients& recipients, const SealOptions& options, Sink& sink) {
  return seal_with(image, metadata, scheme, recipients, options, nullptr, sink);
}

Result<SealReport> seal_repeatable(const image::Image& image, const Metadata& metadata, const schemes::Scheme& scheme,
                                   const Recipients& recipients, const SealOptions& options,
                                   const FixedRandomness& fixed, Sink& sink) {
  return seal_with(image, metadata, scheme, recipients, options, &fixed, sink);
}

}  // namespace medcrypt::container
