#include "crypto/keystream.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace medcrypt::crypto {

Status aes256_ctr_xor(const SecretBytes& key, ByteView counter_block, ByteView in, std::span<std::uint8_t> out) {
  if (key.size() != 32 || counter_block.size() != kCounterBlockBytes) {
    return make_error(ErrorCode::kInternal, "AES-256-CTR needs a 32-byte key and a 16-byte counter block");
  }
  if (in.size() != out.size()) return make_error(ErrorCode::kInternal, "AES-256-CTR: in and out differ in size");
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, key.data(), counter_block.data()) != 1) {
    return make_error(ErrorCode::kInternal, "AES-256-CTR setup failed");
  }
  // Chunks of whole blocks, under int's limit.
  for (std::size_t done = 0; done < in.size();) {
    const int n = static_cast<int>(std::min<std::size_t>(in.size() - done, std::size_t{1} << 30));
    int written = 0;
    if (EVP_EncryptUpdate(ctx.get(), out.data() + done, &written, in.data() + done, n) != 1 || written != n) {
      return make_error(ErrorCode::kInternal, "AES-256-CTR failed");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status aes256_ctr_xor(const SecretBytes& key, ByteView counter_block, std::span<std::uint8_t> data) {
  return aes256_ctr_xor(key, counter_block, data, data);
}

Status aes256_ctr_keystream(const SecretBytes& key, ByteView counter_block, std::span<std::uint8_t> out) {
  std::memset(out.data(), 0, out.size());
  return aes256_ctr_xor(key, counter_block, out);
}

}  // namespace medcrypt::crypto
