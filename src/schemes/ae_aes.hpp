// Scheme `ae-aes` (paper 002): the autoencoder's encoder turns the image into a float latent
// (112x112x3 per 224x224 tile, nn/image_codec.hpp), the container's AEAD (AES-256-GCM under a key
// derived by HKDF from the content key) seals it, and the decoder rebuilds an approximation. LOSSY.
//
// Parameters: latent=f32 (default) or f16; rgb=HEX and gray=HEX, the SHA-256 of the models used, filled
// in when encrypting and checked when decrypting (a container opens only with the models it was made with).
// Models are read from $MEDCRYPT_MODELS, else from the source tree's models/ folder.
#pragma once

#include <filesystem>

#include "nn/autoencoder.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

SchemeInfo ae_aes_info();
Result<std::unique_ptr<Scheme>> make_ae_aes(const SchemeParams& params);

// Scheme `ae-aes:paper`: the paper's own network and training (nn/autoencoder.hpp, AeVariant::kPaper),
// latent=dense3 (default, the 112x112x3 latent of its Table 2) or features (the 112x112x32 feature map);
// float32. A model not trained yet (no file) makes images of that kind fail with one line.
SchemeInfo ae_aes_paper_info();
Result<std::unique_ptr<Scheme>> make_ae_aes_paper(const SchemeParams& params);

std::filesystem::path model_directory();
// model_directory() / "ae-aes-rgb.weights", "ae-aes-paper-gray.weights" etc.
std::filesystem::path ae_aes_model_path(int channels, nn::AeVariant variant = nn::AeVariant::kTuned);

}  // namespace medcrypt::schemes
