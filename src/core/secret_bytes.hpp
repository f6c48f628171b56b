// SecretBytes: key material that wipes itself on destruction and never prints; secure_wipe for the
// other buffers that held a secret (a PEM text, a passphrase, a decrypted metadata block).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace medcrypt {

// Overwrites with zeros in a way the compiler may not drop (OPENSSL_cleanse).
void secure_wipe(std::span<std::uint8_t> bytes);
void secure_wipe(std::string& text);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size) {}
  explicit SecretBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::span<const std::uint8_t> span() const { return bytes_; }
  std::span<std::uint8_t> mutable_span() { return bytes_; }

  // Constant-time comparison; there is deliberately no operator==.
  bool equals(const SecretBytes& other) const;

 private:
  void wipe();
  std::vector<std::uint8_t> bytes_;
};

}  // namespace medcrypt
