// The Scheme interface: how an image becomes the payload a container seals, and back.
//
// A container always frames its payload in AEAD chunks (container/payload_stream.hpp). A scheme says
// whether those chunks encrypt the payload (kEncrypt: `aead`, `ae-aes`) or only authenticate it
// (kAuthenticate: the chaotic and GAN schemes, whose own cipher is what is being studied). Either way
// every byte of a container is authenticated.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "image/image.hpp"

namespace medcrypt::schemes {

// Stored in containers; never renumber.
enum class Sealing : std::uint8_t { kEncrypt = 1, kAuthenticate = 2 };

struct SchemeInfo {
  std::string name;            // what users type: "aead", "chaos-henon", ...
  std::uint16_t version = 1;   // a changed algorithm gets a new version, old ones stay decryptable
  bool lossless = true;
  bool exports_cipher_image = false;  // the payload is an image of the plain image's geometry
  double key_space_bits = 256;
  Sealing sealing = Sealing::kEncrypt;
  std::string summary;          // one line for --help and `info`
  std::string security_note;    // one honest line: what the mathematics gives, and what it does not
  bool control_only = false;    // a deliberately broken control: `attack` and `analyze` only, never sent
};

// Key material a scheme works under: derived by the container from the message's content key.
struct SchemeKey {
  SecretBytes key;       // 32 bytes: HKDF(content key, message id, "medcrypt v1 scheme NAME@VERSION")
  Bytes message_id;      // 16 bytes, unique per message (the per-message nonce)
};

// The payload a scheme produces: either its own bytes or a view of the image's pixels (no copy).
class Payload {
 public:
  static Payload owned(Bytes bytes) {
    Payload p;
    p.owned_ = std::move(bytes);
    p.view_ = p.owned_;
    return p;
  }
  static Payload borrowed(ByteView view) {
    Payload p;
    p.view_ = view;
    return p;
  }
  ByteView bytes() const { return view_; }  // stays valid when moved: a vector's buffer moves with it
  // What the scheme decided that the user should know (e.g. a network that did not apply), a sentence each.
  std::vector<std::string> notes;
  // Selective encryption: makes one flag per sample (the pixel bytes' order, frame after frame), 1 where
  // only a lighter cipher ran, for `analyze` to measure what it leaks; null: the full cipher everywhere.
  // On demand, as the mask is as long as the image; never stored.
  std::function<std::vector<std::uint8_t>()> light;

 private:
  Payload() = default;
  Bytes owned_;
  ByteView view_;
};

class Scheme {
 public:
  virtual ~Scheme() = default;
  virtual const SchemeInfo& info() const = 0;
  // Canonical "key=value;key=value" text of this instance's parameters, authenticated in the header.
  virtual std::string params() const { return {}; }
  // The parameters of this scheme with the full cipher on every sample (what a selective mode trades
  // away); the same as params() for a scheme without one.
  virtual std::string full_cipher_params() const { return params(); }
  // Bytes of payload that `encode` produces for an image of this geometry.
  virtual std::uint64_t payload_size(const image::Geometry& geometry) const = 0;
  virtual Result<Payload> encode(const image::Image& plain, const SchemeKey& key) const = 0;
  // `payload` becomes the image where the scheme can decode it in place.
  virtual Result<image::Image> decode(PixelBytes payload, const image::Geometry& geometry,
                                      const SchemeKey& key) const = 0;
};

// Parameters given on the command line or stored in a header: "rounds=3;block=32".
using SchemeParams = std::map<std::string, std::string>;
Result<SchemeParams> parse_params(std::string_view text);
std::string format_params(const SchemeParams& params);

// Builds a scheme instance from its parameters, validating them.
using SchemeFactory = Result<std::unique_ptr<Scheme>> (*)(const SchemeParams& params);

// Explicitly filled (register_builtin_schemes): self-registering statics get dropped by the linker.
class SchemeRegistry {
 public:
  void add(SchemeInfo info, SchemeFactory factory);
  // The newest version of `name`.
  Result<std::unique_ptr<Scheme>> create(std::string_view name, const SchemeParams& params = {}) const;
  // Exactly this version: what a container names.
  Result<std::unique_ptr<Scheme>> create(std::string_view name, std::uint16_t version,
                                         const SchemeParams& params) const;
  std::vector<SchemeInfo> list() const;  // newest version of each name, sorted by name

 private:
  struct Entry {
    SchemeInfo info;
    SchemeFactory factory;
  };
  std::vector<Entry> entries_;
};

// Adds every scheme medcrypt ships.
void register_builtin_schemes(SchemeRegistry& registry);
// A registry with the built-in schemes, built once.
const SchemeRegistry& builtin_registry();

}  // namespace medcrypt::schemes
