#include "schemes/zigzag_gan.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "crypto/hash.hpp"
#include "crypto/keystream.hpp"
#include "metrics/image_compare.hpp"
#include "nn/keygen.hpp"
#include "zigzag/cipher.hpp"
#include "zigzag/speckle.hpp"

namespace medcrypt::schemes {
namespace {

constexpr std::size_t kCheckBytes = crypto::kSha256Bytes;  // the key image's keyed digest, after the cipher image
constexpr std::array<std::uint8_t, crypto::kCounterBlockBytes> kZeroCounter{};
constexpr std::uint32_t kKeySide = 128;  // the generator's key image, at most this many words a side

Status check_words(const image::Geometry& g, std::string_view scheme) {
  if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) {
    return make_error(ErrorCode::kUnsupported, fmt::format("{} encrypts 8- or 16-bit integer samples, not {}-bit {}",
                                                           scheme, g.bits_allocated,
                                                           g.floating_point() ? "floating point" : "integers"));
  }
  return {};
}

// What encrypting or decrypting one message needs: the key words of one frame (the generator's key image,
// repeated over the frame; the same for every frame), the composed scan order, the key image's keyed digest, and (sound variant)
// the keystream key.
struct KeyMaterial {
  Bytes key_image;                   // frame_bytes(): one key word per sample, little-endian
  std::vector<std::uint32_t> order;  // zigzag/cipher.hpp
  Bytes check;                       // SHA-256(check key || key image)
  std::optional<SecretBytes> stream_key;
};

class ZigzagGan final : public Scheme {
 public:
  ZigzagGan(bool paper, nn::KeyGenerator generator, double speckle)
      : paper_(paper), generator_(std::move(generator)), speckle_(speckle),
        info_(paper ? zigzag_gan_paper_info() : zigzag_gan_info()) {
    if (speckle_ > 0) {
      info_.lossless = false;
      info_.summary += fmt::format("; speckle stage on (variance {}): LOSSY", speckle_);
    }
  }

  const SchemeInfo& info() const override { return info_; }
  std::string params() const override {
    SchemeParams p{{"keygen", generator_.digest_hex()}};
    if (speckle_ > 0) p["speckle"] = fmt::format("{}", speckle_);
    return format_params(p);
  }
  std::uint64_t payload_size(const image::Geometry& g) const override { return g.byte_size() + kCheckBytes; }

  Result<Payload> encode(const image::Image& plain, const SchemeKey& key) const override {
    const image::Geometry& g = plain.geometry();
    MEDCRYPT_TRY(check_words(g, info_.name));
    std::vector<std::string> notes;
    std::optional<image::Image> noisy;
    if (speckle_ > 0) {
      MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes seed, derive(key, "speckle seed", 8));
      std::uint64_t s = 0;
      std::memcpy(&s, seed.data(), 8);
      MEDCRYPT_ASSIGN_OR_RETURN(noisy, zigzag::add_speckle(plain, speckle_params(), s));
      // The sender has the original: say now what the recipient will get.
      MEDCRYPT_ASSIGN_OR_RETURN(image::Image final_image, zigzag::remove_speckle(*noisy, speckle_params()));
      MEDCRYPT_ASSIGN_OR_RETURN(metrics::ImageComparison c, metrics::compare_images(plain, final_image));
      notes.push_back(fmt::format("{}: speckle stage on (variance {}): LOSSY; the recipient's despeckled image is "
                                  "PSNR {:.2f} dB, SSIM {:.4f}, MSE {:.2f} from the original",
                                  info_.name, speckle_, c.overall.error.psnr, c.overall.ssim, c.overall.error.mse));
    }
    const image::Image& source = noisy ? *noisy : plain;
    MEDCRYPT_ASSIGN_OR_RETURN(KeyMaterial k, key_material(g, key));
    Bytes out(payload_size(g));
    MEDCRYPT_TRY(run(g, k, source.bytes(), std::span(out).first(g.byte_size()), true));
    std::copy(k.check.begin(), k.check.end(), out.end() - kCheckBytes);
    Payload payload = Payload::owned(std::move(out));
    payload.notes = std::move(notes);
    return payload;
  }

  Result<image::Image> decode(PixelBytes payload, const image::Geometry& g, const SchemeKey& key) const override {
    MEDCRYPT_TRY(check_words(g, info_.name));
    if (payload.size() != payload_size(g)) return make_error(ErrorCode::kMalformed, info_.name + " payload size mismatch");
    MEDCRYPT_ASSIGN_OR_RETURN(KeyMaterial k, key_material(g, key));
    std::uint8_t differ = 0;
    for (std::size_t i = 0; i < kCheckBytes; ++i) differ |= k.check[i] ^ payload[g.byte_size() + i];
    if (differ != 0) {
      return make_error(ErrorCode::kInternal,
                        info_.name + ": this machine's key generator made another key image than the sender's "
                                     "(a floating-point difference between machines); nothing was decrypted");
    }
    PixelBytes plain(g.byte_size());
    MEDCRYPT_TRY(run(g, k, ByteView(payload).first(g.byte_size()), plain, false));
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image image, image::Image::from_bytes(g, std::move(plain)));
    if (speckle_ > 0) return zigzag::remove_speckle(image, speckle_params());
    return image;
  }

 private:
  zigzag::SpeckleParams speckle_params() const {
    zigzag::SpeckleParams p;
    p.variance = speckle_;
    return p;
  }

  // The paper variant keys everything by the key alone (as the paper reuses its key image); the sound one
  // by the key and the message nonce.
  Result<SecretBytes> derive(const SchemeKey& key, std::string_view what, std::size_t length) const {
    const ByteView salt = paper_ ? ByteView{} : ByteView(key.message_id);
    return crypto::hkdf_sha256(key.key.span(), salt, fmt::format("zigzag-gan v1 {}", what), length);
  }

  Result<KeyMaterial> key_material(const image::Geometry& g, const SchemeKey& key) const {
    // The generator makes a key image of at most kKeySide x kKeySide words from a seed, a uniform 8-bit
    // image from AES-256-CTR scaled to [-1, 1] like its training seeds; a frame (an RGB frame counts as a
    // grey image three times as wide) repeats it in both directions. The generator's cost grows with the
    // area it makes, so a fixed-size key image keeps it constant (docs/SCHEMES.md, zigzag-gan reading 8).
    const std::uint32_t rows = g.height, cols = g.width * g.samples;
    const std::uint32_t key_rows = std::min(rows, kKeySide), key_cols = std::min(cols, kKeySide);
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes seed_key, derive(key, "seed", 32));
    Bytes seed_bytes(std::size_t{key_rows} * key_cols);
    MEDCRYPT_TRY(crypto::aes256_ctr_keystream(seed_key, kZeroCounter, seed_bytes));
    std::vector<float> seed(seed_bytes.size());
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<float>(seed_bytes[i] / 127.5 - 1.0);
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> values, generator_.generate(seed, key_rows, key_cols));

    KeyMaterial k;
    k.key_image.resize(g.frame_bytes());
    std::size_t i = 0;
    for (std::uint32_t r = 0; r < rows; ++r) {
      const double* row = values.data() + std::size_t{r % key_rows} * key_cols;
      for (std::uint32_t c = 0; c < cols; ++c, ++i) {
        const std::uint32_t w = nn::key_word(row[c % key_cols], g.bits_allocated);
        if (g.bits_allocated == 8) {
          k.key_image[i] = static_cast<std::uint8_t>(w);
        } else {
          k.key_image[2 * i] = static_cast<std::uint8_t>(w);
          k.key_image[2 * i + 1] = static_cast<std::uint8_t>(w >> 8);
        }
      }
    }
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes choice, derive(key, "scans", 4));
    std::uint32_t c = 0;
    std::memcpy(&c, choice.data(), 4);
    MEDCRYPT_ASSIGN_OR_RETURN(k.order, zigzag::plan_order(g.height, g.width, zigzag::scan_plan(c)));
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes check_key, derive(key, "key image check", 32));
    crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
    hasher.update(check_key.span());
    hasher.update(k.key_image);
    k.check = hasher.finish();
    if (!paper_) {
      MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes stream_key, derive(key, "keystream", 32));
      k.stream_key = std::move(stream_key);
    }
    return k;
  }

  // Encrypts `in` into `out` or decrypts it, frame by frame; the sound variant's keystream for frame f
  // starts at counter block (f, 0), so frames never share keystream.
  Status run(const image::Geometry& g, const KeyMaterial& k, ByteView in, std::span<std::uint8_t> out, bool encrypt) const {
    const std::uint64_t frame_bytes = g.frame_bytes();
    Bytes words = k.key_image;
    for (std::uint32_t f = 0; f < g.frames; ++f) {
      if (k.stream_key) {
        std::array<std::uint8_t, crypto::kCounterBlockBytes> counter{};
        for (int b = 0; b < 8; ++b) counter[b] = static_cast<std::uint8_t>(std::uint64_t{f} >> (56 - 8 * b));
        MEDCRYPT_TRY(crypto::aes256_ctr_keystream(*k.stream_key, counter, words));
        for (std::size_t i = 0; i < words.size(); ++i) words[i] ^= k.key_image[i];
      }
      const ByteView frame_in = in.subspan(f * frame_bytes, frame_bytes);
      const std::span<std::uint8_t> frame_out = out.subspan(f * frame_bytes, frame_bytes);
      MEDCRYPT_TRY(g.bits_allocated == 8 ? cipher<std::uint8_t>(k.order, frame_in, words, frame_out, g.samples, encrypt)
                                         : cipher<std::uint16_t>(k.order, frame_in, words, frame_out, g.samples, encrypt));
    }
    return {};
  }

  template <typename Word>
  static Status cipher(std::span<const std::uint32_t> order, ByteView in, ByteView key, std::span<std::uint8_t> out,
                       std::uint32_t samples, bool encrypt) {
    const std::span<const Word> in_words(reinterpret_cast<const Word*>(in.data()), in.size() / sizeof(Word));
    const std::span<const Word> key_words(reinterpret_cast<const Word*>(key.data()), key.size() / sizeof(Word));
    const std::span<Word> out_words(reinterpret_cast<Word*>(out.data()), out.size() / sizeof(Word));
    return encrypt ? zigzag::encrypt_frame<Word>(order, in_words, key_words, out_words, samples)
                   : zigzag::decrypt_frame<Word>(order, in_words, key_words, out_words, samples);
  }

  bool paper_;
  nn::KeyGenerator generator_;
  double speckle_;
  SchemeInfo info_;
};

Result<std::unique_ptr<Scheme>> make(const SchemeParams& params, bool paper) {
  const std::string name = paper ? "zigzag-gan:paper" : "zigzag-gan";
  double speckle = 0;
  for (const auto& [k, v] : params) {
    if (k == "speckle") {
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), speckle);
      if (ec != std::errc() || ptr != v.data() + v.size() || !(speckle >= 0 && speckle <= 4)) {
        return make_error(ErrorCode::kUsage, name + ": speckle must be a variance from 0 (off) to 4");
      }
    } else if (k != "keygen") {
      return make_error(ErrorCode::kUsage, name + ": unknown parameter '" + k + "' (speckle=VARIANCE)");
    }
  }
  auto generator = nn::KeyGenerator::shipped();
  if (!generator) return make_error(generator.error().code, name + ": " + generator.error().message);
  if (auto it = params.find("keygen"); it != params.end() && it->second != generator->digest_hex()) {
    return make_error(ErrorCode::kVersion, name + ": this container was made with the key generator " +
                                               it->second.substr(0, 16) + "..., but " + nn::keygen_model_path().string() +
                                               " is " + generator->digest_hex().substr(0, 16) + "...");
  }
  return std::unique_ptr<Scheme>(std::make_unique<ZigzagGan>(paper, std::move(*generator), speckle));
}

}  // namespace

SchemeInfo zigzag_gan_info() {
  return SchemeInfo{
      .name = "zigzag-gan",
      .version = 1,
      .lossless = true,
      .exports_cipher_image = true,
      .key_space_bits = 256,
      .sealing = Sealing::kAuthenticate,
      .summary = "paper 001, sound variant: ZZ-GAN key image, three key-chosen zigzag scans, XOR with the key image "
                 "and a per-message AES-256-CTR keystream",
      .security_note = "its secrecy is the AES-256-CTR keystream's (fresh per message); the GAN's key image and the "
                       "zigzag scans add nothing a cryptographer would count; the container authenticates its output",
  };
}

SchemeInfo zigzag_gan_paper_info() {
  return SchemeInfo{
      .name = "zigzag-gan:paper",
      .version = 1,
      .lossless = true,
      .exports_cipher_image = true,
      .key_space_bits = 256,
      .sealing = Sealing::kAuthenticate,
      .summary = "paper 001 as published: ZZ-GAN key image and three key-chosen zigzag scans, XOR with the key image "
                 "(the same for every image under a key): for reproducing the paper",
      .security_note = "WEAK, reproduction only: every image under a key is XORed with the same key image after one "
                       "of 384 scan plans, so one known image gives the key (tested: one plain/cipher pair decrypts "
                       "the next image)",
  };
}

Result<std::unique_ptr<Scheme>> make_zigzag_gan(const SchemeParams& params) { return make(params, false); }
Result<std::unique_ptr<Scheme>> make_zigzag_gan_paper(const SchemeParams& params) { return make(params, true); }

}  // namespace medcrypt::schemes
