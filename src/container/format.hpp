// The .mct container format, version 2 (version 1 is still read). docs/FORMAT.md is the normative description; this file is
// its code. Every integer is little-endian unless said otherwise.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/aead.hpp"
#include "crypto/asymmetric.hpp"
#include "crypto/identity.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::container {

inline constexpr std::array<std::uint8_t, 8> kMagic = {0x89, 'M', 'C', 'T', 0x0D, 0x0A, 0x1A, 0x0A};
// Version 2 adds the signer identity's X25519 key beside its Ed25519 key, so that a signed container names
// its sender's whole identity (fingerprint) by itself. Version 1 containers still open.
inline constexpr std::uint16_t kVersion = 2;
inline constexpr std::uint16_t kOldestVersion = 1;
inline constexpr std::size_t kPreambleBytes = 14;  // magic, version u16, header length u32
inline constexpr std::size_t kMessageIdBytes = 16;
inline constexpr std::size_t kNoncePrefixBytes = 7;
inline constexpr std::size_t kContentKeyBytes = 32;
inline constexpr std::size_t kSharedSaltBytes = 32;
inline constexpr std::size_t kKeyIdBytes = 16;
inline constexpr std::size_t kKeyCommitmentBytes = 32;
inline constexpr std::size_t kWrappedKeyBytes = kContentKeyBytes + crypto::kAeadTagBytes;

// Limits a reader enforces before allocating anything.
inline constexpr std::uint32_t kMaxHeaderBytes = 1u << 20;
inline constexpr std::uint32_t kMaxMetadataBytes = 256u << 20;
inline constexpr std::uint16_t kMaxRecipients = 4096;
inline constexpr std::uint8_t kMinChunkLog2 = 12;  // 4 KiB
inline constexpr std::uint8_t kMaxChunkLog2 = 26;  // 64 MiB
inline constexpr std::uint8_t kDefaultChunkLog2 = 18;  // 256 KiB: many chunks to share among threads

enum class KeyMode : std::uint8_t { kRecipients = 1, kSharedKey = 2 };

struct RecipientStanza {
  crypto::Fingerprint fingerprint{};     // the recipient identity's fingerprint
  crypto::X25519PublicKey ephemeral{};   // ephemeral X25519 public key
  std::array<std::uint8_t, kWrappedKeyBytes> wrapped_key{};  // AEAD(wrap key, zero nonce, fingerprint, CEK)
};

struct SharedKeyStanza {
  std::array<std::uint8_t, kKeyIdBytes> key_id{};  // HKDF(shared key, "", "medcrypt v1 key id")
  std::array<std::uint8_t, kSharedSaltBytes> salt{};
};

struct Header {
  std::uint16_t version = kVersion;
  bool is_signed = false;
  std::array<std::uint8_t, kMessageIdBytes> message_id{};
  crypto::AeadAlgorithm aead = crypto::AeadAlgorithm::kAes256Gcm;
  schemes::Sealing sealing = schemes::Sealing::kEncrypt;
  std::uint8_t chunk_log2 = kDefaultChunkLog2;
  std::array<std::uint8_t, kNoncePrefixBytes> nonce_prefix{};
  std::string scheme_name;
  std::uint16_t scheme_version = 1;
  std::string scheme_params;
  bool lossless = true;
  image::Geometry geometry;
  std::uint64_t payload_bytes = 0;
  std::uint32_t metadata_bytes = 0;  // sealed metadata, tag included
  KeyMode key_mode = KeyMode::kRecipients;
  std::vector<RecipientStanza> recipients;
  SharedKeyStanza shared;
  // HKDF(CEK, message id, "medcrypt v1 key commitment"): every recipient must find the same content key,
  // since AES-GCM alone would let a malicious sender make one container open differently for each.
  std::array<std::uint8_t, kKeyCommitmentBytes> key_commitment{};
  crypto::Ed25519PublicKey signer{};        // when is_signed
  crypto::X25519PublicKey signer_x25519{};  // the signer identity's X25519 key, when is_signed, from version 2 on

  // The identity that signed it: from version 2 on, when signed.
  std::optional<crypto::PublicIdentity> signer_identity() const;

  std::uint64_t chunk_bytes() const { return std::uint64_t{1} << chunk_log2; }
  std::uint64_t chunk_count() const;  // at least 1: an empty payload still has a final chunk
  // Every byte of the container: preamble, header, metadata, chunks with tags, signature.
  std::uint64_t container_bytes(std::uint32_t header_bytes) const;
};

// Preamble and header, exactly as stored.
Bytes serialize_header(const Header& header);
// Parses a preamble and header from the first bytes of a container. Returns the header and the
// number of bytes they took. Unknown versions give kVersion; anything inconsistent gives kMalformed.
struct ParsedHeader {
  Header header;
  std::uint32_t header_bytes = 0;  // the header's length, preamble excluded
  std::size_t total_bytes() const { return kPreambleBytes + header_bytes; }
};
Result<ParsedHeader> parse_header(ByteView data);
// How many bytes parse_header needs: the preamble, then the length it declares (kMalformed if over limits).
Result<std::size_t> header_size_from_preamble(ByteView preamble);

// STREAM nonce for chunk `index` of `count`: prefix || index (u32 big-endian) || last-chunk flag.
std::array<std::uint8_t, crypto::kAeadNonceBytes> chunk_nonce(const Header& header, std::uint64_t index,
                                                              std::uint64_t count);

// Metadata: what the receiver needs to rebuild the original file; sealed, never in the clear.
struct Metadata {
  std::string file_name;         // base name of the original file
  std::string format;            // "dicom", "png", "jpeg", "tiff"
  Bytes dicom_attributes;        // DICOM Part 10 stream without Pixel Data, or empty
  std::vector<std::string> notes;  // conversions the reader made
  std::string folder;  // its folder below the folder that was encrypted, '/'-separated; empty if none
};
Bytes serialize_metadata(const Metadata& metadata);
Result<Metadata> parse_metadata(ByteView data);

// Domain-separation labels for HKDF and the signature (ASCII, as in docs/FORMAT.md).
inline constexpr char kLabelWrap[] = "medcrypt v1 x25519 wrap";
inline constexpr char kLabelSharedContentKey[] = "medcrypt v1 shared content key";
inline constexpr char kLabelKeyId[] = "medcrypt v1 key id";
inline constexpr char kLabelMetadata[] = "medcrypt v1 metadata";
inline constexpr char kLabelPayload[] = "medcrypt v1 payload";
inline constexpr char kLabelKeyCommitment[] = "medcrypt v1 key commitment";
inline constexpr char kLabelScheme[] = "medcrypt v1 scheme ";  // followed by NAME@VERSION
inline constexpr char kLabelSignature[] = "medcrypt v1 signature";  // followed by a NUL byte

// What the sender's Ed25519 key signs: the label, a NUL byte, and SHA-256 of every container byte
// before the signature.
Bytes signature_message(ByteView transcript_digest);

// The per-message subkeys, derived from the content key with the message id as HKDF salt.
struct MessageKeys {
  SecretBytes metadata;
  SecretBytes payload;
  schemes::SchemeKey scheme;
};
Result<MessageKeys> derive_message_keys(const SecretBytes& content_key, const Header& header);

// The shared-key key id.
Result<std::array<std::uint8_t, kKeyIdBytes>> shared_key_id(const SecretBytes& shared_key);
// The commitment to the content key stored in the header.
Result<std::array<std::uint8_t, kKeyCommitmentBytes>> key_commitment(const SecretBytes& content_key,
                                                                     const Header& header);

}  // namespace medcrypt::container
