// A scheme for tests only, shaped like the research schemes to come: its own cipher (the pixels XORed
// with an AES-256-GCM keystream under the scheme key and the message id), a cipher image, and container
// chunks that only authenticate (Sealing::kAuthenticate). It lets the tests run analyze's key-sensitivity
// path that decodes under a wrong key, which `aead` never takes.
#pragma once

#include <memory>

#include "schemes/scheme.hpp"

namespace medcrypt::test {

schemes::SchemeInfo xor_test_scheme_info();
// "cipher_image=no" makes an instance that claims no cipher image.
Result<std::unique_ptr<schemes::Scheme>> make_xor_test_scheme(const schemes::SchemeParams& params);

// The built-in schemes plus "xor-test".
schemes::SchemeRegistry registry_with_xor_test_scheme();

}  // namespace medcrypt::test
