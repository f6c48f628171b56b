// Scheme `ae-aes` (paper 002): the autoencoder's encoder turns the image into a float latent
// (112x112x3 per 224x224 tile, nn/image_codec.hpp), the container's AEAD (AES-256-GCM under a key
// derived by HKDF from the content key) seals it, and the decoder rebuilds an approximation. LOSSY.
//
// Parameters: latent=f32 (default) or f16; rgb=HEX and gray=HEX, the SHA-256 of the models used, filled
// in when encrypting and checked when decrypting (a container opens only with the models it was made with).
// Models are read from $MEDCRYPT_MODELS, else from the source tree's models/ folder.
#pragma once

#include <filesystem>

#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

SchemeInfo ae_aes_info();
Result<std::unique_ptr<Scheme>> make_ae_aes(const SchemeParams& params);

std::filesystem::path model_directory();
std::filesystem::path ae_aes_model_path(int channels);  // model_directory() / "ae-aes-rgb.weights" etc.

}  // namespace medcrypt::schemes
