// libFuzzer target for what medcrypt reads from others in encrypted inference (he/): the JSON request a
// service receives and evaluates, the reply an owner receives, and Paillier key files. The first byte
// picks the parser; whatever is accepted must keep the invariants the callers rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "he/encrypted_head.hpp"
#include "he/key_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace medcrypt::he;
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto request = parse_feature_request(text);
      if (!request || request->inputs != 2 || request->images > 4) return 0;
      // A two-input head: evaluating must refuse or answer one ciphertext per class per group.
      static const QuantizedHead head = quantize_head({1, 2, {0.5f, -0.25f}, {1.0f}, ""}).value();
      auto reply = evaluate_head(head, *request, 1);
      if (reply && reply->ciphertexts.size() != 1) std::abort();
      return 0;
    }
    case 1:
      (void)parse_logit_reply(text);
      return 0;
    case 2: {
      auto key = parse_public_key(text);
      if (key && key->modulus_bits() < kMinModulusBits) std::abort();
      return 0;
    }
    default: {
      // Without a passphrase: a protected key must be refused before any scrypt work.
      auto key = parse_private_key(text, std::nullopt);
      if (key && key->public_key().modulus_bits() < kMinModulusBits) std::abort();
      return 0;
    }
  }
}
