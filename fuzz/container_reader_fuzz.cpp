// libFuzzer target for the container reader: header parsing, key recovery, metadata parsing, the
// payload stream and the signature check, with the known-answer test keys so inputs derived from the
// seed containers get past key recovery; and what `medcrypt info` prints of any header that parses, which
// must be valid JSON and text without a control character but its line ends.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "container/container.hpp"
#include "container/describe.hpp"
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
    (void)medcrypt::container::open(source, medcrypt::container::OpenKeys::identity(keys.alice), {.threads = 1});
  }
  {
    medcrypt::container::MemorySource source(input);
    (void)medcrypt::container::open(source, medcrypt::container::OpenKeys::shared_key(keys.shared), {.threads = 1});
  }
  {
    medcrypt::container::MemorySource source(input);
    auto header = medcrypt::container::verify_signature_only(source, false);
    if (header) {
      const std::string json = medcrypt::container::describe_json(*header, "fuzz.mct", size);
      if (!nlohmann::json::accept(json)) std::abort();
      for (char c : medcrypt::container::describe_text(*header, "fuzz.mct", size)) {
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) std::abort();
      }
    }
  }
  (void)medcrypt::container::parse_metadata(input);
  return 0;
}
