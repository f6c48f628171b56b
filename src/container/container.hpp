// Sealing an image into a .mct container for recipients (or a shared key), and opening it again.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "container/format.hpp"
#include "container/stream_io.hpp"
#include "core/parallel.hpp"
#include "crypto/hash.hpp"
#include "crypto/identity.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::container {

// Who can open the container: recipients' public identities, or the holders of one shared key.
struct Recipients {
  std::vector<crypto::PublicIdentity> identities;
  const SecretBytes* shared_key = nullptr;
};

// Fixed "random" values, for known-answer containers and for analysis that must be repeatable.
// Never used by the normal command-line path.
struct FixedRandomness {
  SecretBytes content_key;                       // 32 bytes
  std::array<std::uint8_t, kMessageIdBytes> message_id{};
  std::array<std::uint8_t, kNoncePrefixBytes> nonce_prefix{};
  std::vector<SecretBytes> ephemeral_keys;        // one X25519 private key per recipient
  std::array<std::uint8_t, kSharedSaltBytes> shared_salt{};
};

using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct SealOptions {
  crypto::AeadAlgorithm aead = crypto::AeadAlgorithm::kAes256Gcm;
  std::uint8_t chunk_log2 = kDefaultChunkLog2;
  unsigned threads = default_threads();
  const crypto::Identity* signer = nullptr;
  const FixedRandomness* fixed = nullptr;
  ProgressFn progress;
  // If set, receives the stored payload as an image (schemes with exports_cipher_image only), with
  // bits stored = bits allocated and unsigned: cipher words use the whole word.
  image::Image* cipher_image = nullptr;
  // If set, receives the scheme's notes (schemes::Payload::notes).
  std::vector<std::string>* notes = nullptr;
  // `analyze` measures control ciphers (SchemeInfo::control_only, `demo-weak`); every other caller is refused.
  bool allow_control = false;
};

Status seal(const image::Image& image, const Metadata& metadata, const schemes::Scheme& scheme,
            const Recipients& recipients, const SealOptions& options, Sink& sink);

// Reads and checks the preamble and header (no key needed): for `info` and for relays.
Result<ParsedHeader> read_header(Source& source);

struct OpenKeys {
  const crypto::Identity* identity = nullptr;
  const SecretBytes* shared_key = nullptr;
};

struct OpenOptions {
  unsigned threads = default_threads();
  // When set, the container must be signed by exactly this Ed25519 key.
  std::optional<crypto::Ed25519PublicKey> expected_signer;
  ProgressFn progress;
  const schemes::SchemeRegistry* registry = nullptr;  // null: the built-in schemes
};

struct Opened {
  image::Image image;
  Metadata metadata;
  Header header;
};

// Verifies everything (header, metadata, every chunk, the signature if any) before returning anything.
Result<Opened> open(Source& source, const OpenKeys& keys, const OpenOptions& options);

// Verifies the structure and, if present, the signature without any key: what a relay can check.
// Returns the header; `require_signature` refuses unsigned containers.
Result<Header> verify_signature_only(Source& source, bool require_signature);

// The same for a signed container (unsigned ones are refused), also returning the SHA-256 of all its
// bytes, signature included, from the same pass over them: the relay names stored files by it.
struct VerifiedContainer {
  Header header;
  Bytes sha256;
};
Result<VerifiedContainer> verify_signed_container(Source& source);

// verify_signed_container for a container whose bytes arrive in order (a relay's upload): each byte is
// hashed as it arrives, so nothing is read twice; only the header and the signature are kept.
class StreamingVerifier {
 public:
  explicit StreamingVerifier(std::uint64_t size);  // the container's declared size in bytes
  void update(ByteView bytes);
  // The same checks and errors as verify_signed_container over the bytes given; call once.
  Result<VerifiedContainer> finish();

 private:
  std::uint64_t size_;
  std::uint64_t seen_ = 0;
  Bytes head_;                          // preamble and header, as far as they came
  std::size_t head_wanted_;             // the preamble, then the preamble and header
  crypto::Hasher transcript_;           // every byte before the signature
  Bytes signature_;                     // the last kEd25519SignatureBytes bytes
};

}  // namespace medcrypt::container
