// Sealing an image into a .mct container for recipients (or a shared key), and opening it again.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "container/format.hpp"
#include "container/stream_io.hpp"
#include "core/parallel.hpp"
#include "crypto/hash.hpp"
#include "crypto/identity.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::container {

// Who can open the container: recipients' public identities, or the holders of one shared key; never
// both. An empty identity list is refused by seal (kUsage). The shared key is referred to, not copied: it
// must outlive the Recipients.
class Recipients {
 public:
  static Recipients identities(std::vector<crypto::PublicIdentity> identities) {
    Recipients r;
    r.to_.emplace<0>(std::move(identities));
    return r;
  }
  static Recipients shared_key(const SecretBytes& key) {
    Recipients r;
    r.to_.emplace<1>(&key);
    return r;
  }
  static Recipients shared_key(const SecretBytes&& key) = delete;  // would dangle

  // The one that is set; the other is null.
  const std::vector<crypto::PublicIdentity>* as_identities() const {
    return std::get_if<std::vector<crypto::PublicIdentity>>(&to_);
  }
  const SecretBytes* as_shared_key() const {
    const auto* key = std::get_if<const SecretBytes*>(&to_);
    return key != nullptr ? *key : nullptr;
  }

 private:
  // Built in place by the two factories (GCC 12 at -O1 takes a moved variant temporary for uninitialised).
  Recipients() = default;
  std::variant<std::vector<crypto::PublicIdentity>, const SecretBytes*> to_;
};

using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct SealOptions {
  crypto::AeadAlgorithm aead = crypto::AeadAlgorithm::kAes256Gcm;
  std::uint8_t chunk_log2 = kDefaultChunkLog2;
  unsigned threads = default_threads();
  const crypto::Identity* signer = nullptr;
  ProgressFn progress;
  // Return the stored payload as an image (SealReport::cipher_image); schemes with exports_cipher_image
  // only, else kUsage.
  bool want_cipher_image = false;
  // `analyze` measures control ciphers (SchemeInfo::control_only, `demo-weak`); every other caller is refused.
  bool allow_control = false;
};

// What seal says besides the bytes it wrote to the sink.
struct SealReport {
  std::vector<std::string> notes;  // the scheme's notes (schemes::Payload::notes)
  // With SealOptions::want_cipher_image, the stored payload as an image, with bits stored = bits allocated
  // and unsigned (cipher words use the whole word); otherwise empty (no pixels).
  image::Image cipher_image;
};

// Seals with fresh randomness (content key, message id, nonce prefix, ephemeral keys or key salt).
// container/repeatable.hpp has the variant with fixed values, for known answers and analysis.
Result<SealReport> seal(const image::Image& image, const Metadata& metadata, const schemes::Scheme& scheme,
                        const Recipients& recipients, const SealOptions& options, Sink& sink);

// Reads and checks the preamble and header (no key needed): for `info` and for relays.
Result<ParsedHeader> read_header(Source& source);

// The key that opens a container: one identity's private keys, or a shared key; never both. Referred to,
// not copied: it must outlive the OpenKeys.
class OpenKeys {
 public:
  static OpenKeys identity(const crypto::Identity& identity) { return OpenKeys(&identity); }
  static OpenKeys identity(const crypto::Identity&& identity) = delete;  // would dangle
  static OpenKeys shared_key(const SecretBytes& key) { return OpenKeys(&key); }
  static OpenKeys shared_key(const SecretBytes&& key) = delete;  // would dangle

  // The one that is set; the other is null.
  const crypto::Identity* as_identity() const {
    const auto* identity = std::get_if<const crypto::Identity*>(&key_);
    return identity != nullptr ? *identity : nullptr;
  }
  const SecretBytes* as_shared_key() const {
    const auto* key = std::get_if<const SecretBytes*>(&key_);
    return key != nullptr ? *key : nullptr;
  }

 private:
  explicit OpenKeys(std::variant<const crypto::Identity*, const SecretBytes*> key) : key_(key) {}
  std::variant<const crypto::Identity*, const SecretBytes*> key_;
};

struct OpenOptions {
  unsigned threads = default_threads();
  // When set, the container must be signed by this identity's Ed25519 key and, from version 2 on (which
  // names the signer's X25519 key too), name this identity as its signer.
  std::optional<crypto::PublicIdentity> expected_signer;
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
