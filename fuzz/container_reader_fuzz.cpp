// libFuzzer target for the container reader: header parsing, key recovery, metadata parsing, the
// payload stream and the signature check, with the known-answer test keys so inputs derived from the
// seed containers get past key recovery.
#include <cstddef>
#include <cstdint>

#include "container/container.hpp"
#include "crypto/hash.hpp"

namespace {

medcrypt::SecretBytes kat_value(const char* label) {
  auto d = medcrypt::crypto::sha256(medcrypt::as_bytes(label));
  return medcrypt::SecretBytes(d);
}

struct Keys {
  medcrypt::SecretBytes shared = kat_value("kat shared key");
  medcrypt::crypto::Identity alice;
  Keys() {
    alice.name = "alice";
    alice.x25519_private = kat_value("kat alice x25519");
    alice.ed25519_private = kat_value("kat alice ed25519");
    alice.public_identity.x25519 = medcrypt::crypto::x25519_public_key(alice.x25519_private).value();
    alice.public_identity.ed25519 = medcrypt::crypto::ed25519_public_key(alice.ed25519_private).value();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Keys keys;
  medcrypt::ByteView input(data, size);
  {
    medcrypt::container::MemorySource source(input);
    (void)medcrypt::container::open(source, {&keys.alice, nullptr}, {.threads = 1});
  }
  {
    medcrypt::container::MemorySource source(input);
    (void)medcrypt::container::open(source, {nullptr, &keys.shared}, {.threads = 1});
  }
  {
    medcrypt::container::MemorySource source(input);
    (void)medcrypt::container::verify_signature_only(source, false);
  }
  (void)medcrypt::container::parse_metadata(input);
  return 0;
}
