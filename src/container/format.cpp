#include "container/format.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "crypto/hash.hpp"

namespace medcrypt::container {
namespace {

Error malformed(std::string message) { return make_error(ErrorCode::kMalformed, std::move(message)); }

// Fills a fixed-size byte array: std::array or a crypto::RawBytes key.
template <typename FixedBytes>
Status read_array(ByteReader& r, FixedBytes& out, std::string_view field) {
  MEDCRYPT_ASSIGN_OR_RETURN(ByteView v, r.raw(out.size(), field));
  std::copy(v.begin(), v.end(), out.begin());
  return {};
}

Result<bool> read_bool(ByteReader& r, std::string_view field) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint8_t v, r.u8(field));
  if (v > 1) return malformed(fmt::format("{} must be 0 or 1, is {}", field, v));
  return v == 1;
}

enum MetadataTag : std::uint16_t { kFileName = 1, kFormat = 2, kDicomAttributes = 3, kNote = 4, kFolder = 5 };

}  // namespace

std::optional<crypto::PublicIdentity> Header::signer_identity() const {
  if (!is_signed || version < 2) return std::nullopt;
  crypto::PublicIdentity identity;
  identity.x25519 = signer_x25519;
  identity.ed25519 = signer;
  return identity;
}

std::uint64_t Header::chunk_count() const {
  return std::max<std::uint64_t>(1, (payload_bytes + chunk_bytes() - 1) / chunk_bytes());
}

std::uint64_t Header::container_bytes(std::uint32_t header_bytes) const {
  return kPreambleBytes + header_bytes + metadata_bytes + payload_bytes + chunk_count() * crypto::kAeadTagBytes +
         (is_signed ? crypto::kEd25519SignatureBytes : 0);
}

Bytes serialize_header(const Header& h) {
  ByteWriter w;
  w.u8(h.is_signed ? 1 : 0);
  w.raw(h.message_id);
  w.u8(static_cast<std::uint8_t>(h.aead));
  w.u8(static_cast<std::uint8_t>(h.sealing));
  w.u8(h.chunk_log2);
  w.raw(h.nonce_prefix);
  w.str16(h.scheme_name);
  w.u16(h.scheme_version);
  w.str16(h.scheme_params);
  w.u8(h.lossless ? 1 : 0);
  const auto& g = h.geometry;
  w.u32(g.width);
  w.u32(g.height);
  w.u32(g.frames);
  w.u8(g.samples);
  w.u8(g.bits_allocated);
  w.u8(g.bits_stored);
  w.u8(g.is_signed ? 1 : 0);
  w.str16(g.photometric);
  w.u64(h.payload_bytes);
  w.u32(h.metadata_bytes);
  w.u8(static_cast<std::uint8_t>(h.key_mode));
  if (h.key_mode == KeyMode::kRecipients) {
    w.u16(static_cast<std::uint16_t>(h.recipients.size()));
    for (const auto& r : h.recipients) {
      w.raw(r.fingerprint);
      w.raw(r.ephemeral);
      w.raw(r.wrapped_key);
    }
  } else {
    w.raw(h.shared.key_id);
    w.raw(h.shared.salt);
  }
  w.raw(h.key_commitment);
  if (h.is_signed) w.raw(h.signer);
  if (h.is_signed && h.version >= 2) w.raw(h.signer_x25519);

  Bytes body = w.take();
  ByteWriter out;
  out.raw(kMagic);
  out.u16(h.version);
  out.u32(static_cast<std::uint32_t>(body.size()));
  out.raw(body);
  return out.take();
}

Result<std::size_t> header_size_from_preamble(ByteView data) {
  if (data.size() < kPreambleBytes) {
    return malformed(fmt::format("container truncated: {} bytes is shorter than the {}-byte preamble",
                                 data.size(), kPreambleBytes));
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), data.begin())) return malformed("not a medcrypt container (bad magic)");
  ByteReader r(data.subspan(kMagic.size()), ErrorCode::kMalformed);
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t version, r.u16("version"));
  if (version < kOldestVersion || version > kVersion) {
    return make_error(ErrorCode::kVersion,
                      fmt::format("container version {} is not supported (this medcrypt reads versions {} to {})",
                                  version, kOldestVersion, kVersion));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint32_t header_bytes, r.u32("header length"));
  if (header_bytes > kMaxHeaderBytes) {
    return malformed(fmt::format("header length {} exceeds the limit of {}", header_bytes, kMaxHeaderBytes));
  }
  return kPreambleBytes + header_bytes;
}

Result<ParsedHeader> parse_header(ByteView data) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::size_t total, header_size_from_preamble(data));
  if (data.size() < total) {
    return malformed(fmt::format("container truncated inside its header: {} of {} bytes", data.size(), total));
  }
  ParsedHeader parsed;
  parsed.header_bytes = static_cast<std::uint32_t>(total - kPreambleBytes);
  Header& h = parsed.header;
  h.version = static_cast<std::uint16_t>(data[kMagic.size()] | (data[kMagic.size() + 1] << 8));
  ByteReader r(data.subspan(kPreambleBytes, parsed.header_bytes), ErrorCode::kMalformed);

  MEDCRYPT_ASSIGN_OR_RETURN(std::uint8_t flags, r.u8("flags"));
  if ((flags & ~1u) != 0) return malformed(fmt::format("unknown header flags 0x{:02x}", flags));
  h.is_signed = (flags & 1u) != 0;
  MEDCRYPT_TRY(read_array(r, h.message_id, "message id"));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint8_t aead_id, r.u8("aead"));
  auto aead = crypto::aead_from_id(aead_id);
  if (!aead) return make_error(ErrorCode::kVersion, fmt::format("unknown AEAD algorithm id {}", aead_id));
  h.aead = *aead;
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint8_t sealing, r.u8("sealing"));
  if (sealing != 1 && sealing != 2) return malformed(fmt::format("unknown payload sealing {}", sealing));
  h.sealing = static_cast<schemes::Sealing>(sealing);
  MEDCRYPT_ASSIGN_OR_RETURN(h.chunk_log2, r.u8("chunk size"));
  if (h.chunk_log2 < kMinChunkLog2 || h.chunk_log2 > kMaxChunkLog2) {
    return malformed(fmt::format("chunk size 2^{} is outside 2^{}..2^{}", h.chunk_log2, kMinChunkLog2,
                                 kMaxChunkLog2));
  }
  MEDCRYPT_TRY(read_array(r, h.nonce_prefix, "nonce prefix"));
  MEDCRYPT_ASSIGN_OR_RETURN(h.scheme_name, r.str16("scheme name"));
  if (h.scheme_name.empty() || h.scheme_name.size() > 64) return malformed("scheme name is empty or too long");
  MEDCRYPT_ASSIGN_OR_RETURN(h.scheme_version, r.u16("scheme version"));
  MEDCRYPT_ASSIGN_OR_RETURN(h.scheme_params, r.str16("scheme parameters"));
  MEDCRYPT_ASSIGN_OR_RETURN(h.lossless, read_bool(r, "lossless flag"));

  auto& g = h.geometry;
  MEDCRYPT_ASSIGN_OR_RETURN(g.width, r.u32("width"));
  MEDCRYPT_ASSIGN_OR_RETURN(g.height, r.u32("height"));
  MEDCRYPT_ASSIGN_OR_RETURN(g.frames, r.u32("frames"));
  MEDCRYPT_ASSIGN_OR_RETURN(g.samples, r.u8("samples"));
  MEDCRYPT_ASSIGN_OR_RETURN(g.bits_allocated, r.u8("bits allocated"));
  MEDCRYPT_ASSIGN_OR_RETURN(g.bits_stored, r.u8("bits stored"));
  MEDCRYPT_ASSIGN_OR_RETURN(g.is_signed, read_bool(r, "pixel sign"));
  MEDCRYPT_ASSIGN_OR_RETURN(g.photometric, r.str16("photometric interpretation"));
  MEDCRYPT_TRY(g.validate());

  MEDCRYPT_ASSIGN_OR_RETURN(h.payload_bytes, r.u64("payload length"));
  if (h.payload_bytes > image::kMaxPixelBytes) {
    return make_error(ErrorCode::kLimits, fmt::format("payload of {} bytes exceeds the limit of {}",
                                                      h.payload_bytes, image::kMaxPixelBytes));
  }
  if (h.chunk_count() > (std::uint64_t{1} << 32)) return malformed("more chunks than the 32-bit counter allows");
  MEDCRYPT_ASSIGN_OR_RETURN(h.metadata_bytes, r.u32("metadata length"));
  if (h.metadata_bytes < crypto::kAeadTagBytes || h.metadata_bytes > kMaxMetadataBytes) {
    return malformed(fmt::format("metadata length {} is outside {}..{}", h.metadata_bytes, crypto::kAeadTagBytes,
                                 kMaxMetadataBytes));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint8_t mode, r.u8("key mode"));
  if (mode == static_cast<std::uint8_t>(KeyMode::kRecipients)) {
    h.key_mode = KeyMode::kRecipients;
    MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t count, r.u16("recipient count"));
    if (count == 0 || count > kMaxRecipients) return malformed(fmt::format("{} recipients", count));
    h.recipients.resize(count);
    for (auto& rs : h.recipients) {
      MEDCRYPT_TRY(read_array(r, rs.fingerprint, "recipient fingerprint"));
      MEDCRYPT_TRY(read_array(r, rs.ephemeral, "ephemeral key"));
      MEDCRYPT_TRY(read_array(r, rs.wrapped_key, "wrapped key"));
    }
  } else if (mode == static_cast<std::uint8_t>(KeyMode::kSharedKey)) {
    h.key_mode = KeyMode::kSharedKey;
    MEDCRYPT_TRY(read_array(r, h.shared.key_id, "key id"));
    MEDCRYPT_TRY(read_array(r, h.shared.salt, "key salt"));
  } else {
    return malformed(fmt::format("unknown key mode {}", mode));
  }
  MEDCRYPT_TRY(read_array(r, h.key_commitment, "key commitment"));
  if (h.is_signed) MEDCRYPT_TRY(read_array(r, h.signer, "signer key"));
  if (h.is_signed && h.version >= 2) MEDCRYPT_TRY(read_array(r, h.signer_x25519, "signer X25519 key"));
  MEDCRYPT_TRY(r.expect_end("header"));
  return parsed;
}

std::array<std::uint8_t, crypto::kAeadNonceBytes> chunk_nonce(const Header& header, std::uint64_t index,
                                                              std::uint64_t count) {
  std::array<std::uint8_t, crypto::kAeadNonceBytes> nonce{};
  std::copy(header.nonce_prefix.begin(), header.nonce_prefix.end(), nonce.begin());
  for (int i = 0; i < 4; ++i) nonce[kNoncePrefixBytes + i] = static_cast<std::uint8_t>(index >> (8 * (3 - i)));
  nonce[11] = index + 1 == count ? 1 : 0;
  return nonce;
}

Bytes serialize_metadata(const Metadata& m) {
  ByteWriter w;
  auto record = [&w](MetadataTag tag, ByteView value) {
    w.u16(tag);
    w.u32(static_cast<std::uint32_t>(value.size()));
    w.raw(value);
  };
  record(kFileName, as_bytes(m.file_name));
  record(kFormat, as_bytes(m.format));
  if (!m.dicom_attributes.empty()) record(kDicomAttributes, m.dicom_attributes);
  for (const auto& note : m.notes) record(kNote, as_bytes(note));
  if (!m.folder.empty()) record(kFolder, as_bytes(m.folder));
  return w.take();
}

Result<Metadata> parse_metadata(ByteView data) {
  Metadata m;
  ByteReader r(data, ErrorCode::kMalformed);
  while (r.remaining() > 0) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::uint16_t tag, r.u16("metadata tag"));
    MEDCRYPT_ASSIGN_OR_RETURN(std::uint32_t len, r.u32("metadata length"));
    MEDCRYPT_ASSIGN_OR_RETURN(ByteView value, r.raw(len, "metadata value"));
    std::string text(value.begin(), value.end());
    switch (tag) {
      case kFileName: m.file_name = std::move(text); break;
      case kFormat: m.format = std::move(text); break;
      case kDicomAttributes: m.dicom_attributes.assign(value.begin(), value.end()); break;
      case kNote: m.notes.push_back(std::move(text)); break;
      case kFolder: m.folder = std::move(text); break;
      default: break;  // records from a later minor revision: authenticated, safe to skip
    }
  }
  return m;
}

Bytes signature_message(ByteView transcript_digest) {
  ByteWriter message;
  message.raw(as_bytes(std::string_view(kLabelSignature, sizeof kLabelSignature)));  // label and its NUL
  message.raw(transcript_digest);
  return message.take();
}

Result<MessageKeys> derive_message_keys(const SecretBytes& content_key, const Header& header) {
  MessageKeys keys;
  MEDCRYPT_ASSIGN_OR_RETURN(keys.metadata, crypto::hkdf_sha256(content_key.span(), header.message_id,
                                                               kLabelMetadata, crypto::kAeadKeyBytes));
  MEDCRYPT_ASSIGN_OR_RETURN(keys.payload, crypto::hkdf_sha256(content_key.span(), header.message_id,
                                                              kLabelPayload, crypto::kAeadKeyBytes));
  std::string scheme_label = fmt::format("{}{}@{}", kLabelScheme, header.scheme_name, header.scheme_version);
  MEDCRYPT_ASSIGN_OR_RETURN(keys.scheme.key,
                            crypto::hkdf_sha256(content_key.span(), header.message_id, scheme_label, 32));
  keys.scheme.message_id.assign(header.message_id.begin(), header.message_id.end());
  return keys;
}

Result<std::array<std::uint8_t, kKeyCommitmentBytes>> key_commitment(const SecretBytes& content_key,
                                                                     const Header& header) {
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes c, crypto::hkdf_sha256(content_key.span(), header.message_id,
                                                              kLabelKeyCommitment, kKeyCommitmentBytes));
  std::array<std::uint8_t, kKeyCommitmentBytes> out{};
  std::copy(c.span().begin(), c.span().end(), out.begin());
  return out;
}

Result<std::array<std::uint8_t, kKeyIdBytes>> shared_key_id(const SecretBytes& shared_key) {
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes id, crypto::hkdf_sha256(shared_key.span(), {}, kLabelKeyId, kKeyIdBytes));
  std::array<std::uint8_t, kKeyIdBytes> out{};
  std::copy(id.span().begin(), id.span().end(), out.begin());
  return out;
}

}  // namespace medcrypt::container
