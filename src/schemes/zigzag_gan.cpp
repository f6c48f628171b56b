#include "schemes/zigzag_gan.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "crypto/keystream.hpp"
#include "metrics/image_compare.hpp"
#include "nn/keygen.hpp"
#include "zigzag/cipher.hpp"
#include "zigzag/speckle.hpp"

namespace medcrypt::schemes {
namespace {

constexpr std::uint32_t kKeySide = 128;  // the generator's key image, at most this many words a side
static_assert(kKeySide <= nn::kKeygenTile, "a key image is one generator tile: its cost is one run");
constexpr std::array<std::uint8_t, crypto::kCounterBlockBytes> kZeroCounter{};
constexpr std::array<std::uint8_t, crypto::kAeadNonceBytes> kSealNonce{};  // the seal key is per message
constexpr std::string_view kSealLabel = "zigzag-gan key image v1";

Status check_words(const image::Geometry& g, std::string_view scheme) {
  if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) {
    return make_error(ErrorCode::kUnsupported, fmt::format("{} encrypts 8- or 16-bit integer samples, not {}-bit {}",
                                                           scheme, g.bits_allocated,
                                                           g.floating_point() ? "floating point" : "integers"));
  }
  return {};
}

// The key image: at most kKeySide x kKeySide words; a frame (an RGB frame counts as a grey image three
// times as wide) repeats it in both directions.
struct KeyShape {
  std::uint32_t rows, cols, word_bytes;
  std::size_t bytes() const { return std::size_t{rows} * cols * word_bytes; }
};
KeyShape key_shape(const image::Geometry& g) {
  return {std::min(g.height, kKeySide), std::min(g.width * g.samples, kKeySide), g.bits_allocated / 8u};
}

// One frame's key words (little-endian), the key image repeated over it.
Bytes frame_key(const image::Geometry& g, ByteView key_image) {
  const KeyShape k = key_shape(g);
  const std::size_t row_bytes = std::size_t{g.width} * g.samples * k.word_bytes, key_row = std::size_t{k.cols} * k.word_bytes;
  Bytes out(g.frame_bytes());
  for (std::uint32_t r = 0; r < g.height; ++r) {
    const std::uint8_t* from = key_image.data() + (r % k.rows) * key_row;
    std::uint8_t* to = out.data() + r * row_bytes;
    for (std::size_t c = 0; c < row_bytes; c += key_row) std::memcpy(to + c, from, std::min(key_row, row_bytes - c));
  }
  return out;
}

class ZigzagGan final : public Scheme {
 public:
  ZigzagGan(bool paper, Result<nn::KeyGenerator> generator, std::string keygen_digest, double speckle)
      : paper_(paper), keygen_digest_(std::move(keygen_digest)), speckle_(speckle),
        info_(paper ? zigzag_gan_paper_info() : zigzag_gan_info()) {
    if (generator) {
      generator_ = std::move(*generator);
    } else {
      generator_error_ = std::move(generator).error();
    }
    if (speckle_ > 0) {
      info_.lossless = false;
      info_.summary += fmt::format("; speckle stage on (variance {}): LOSSY", speckle_);
    }
  }

  const SchemeInfo& info() const override { return info_; }
  std::string params() const override {
    SchemeParams p{{"keygen", keygen_digest_}};
    if (speckle_ > 0) p["speckle"] = fmt::format("{}", speckle_);
    return format_params(p);
  }
  // The cipher image, then the key image sealed with AES-256-GCM.
  std::uint64_t payload_size(const image::Geometry& g) const override {
    return g.byte_size() + key_shape(g).bytes() + crypto::kAeadTagBytes;
  }

  Result<Payload> encode(const image::Image& plain, const SchemeKey& key) const override {
    const image::Geometry& g = plain.geometry();
    MEDCRYPT_TRY(check_words(g, info_.name));
    if (!generator_) return make_error(generator_error_.code, info_.name + ": " + generator_error_.message);
    if (generator_->digest_hex() != keygen_digest_) {
      return make_error(ErrorCode::kVersion, fmt::format("{}: encrypting needs the key generator {}..., and {} is "
                                                         "another one",
                                                         info_.name, keygen_digest_.substr(0, 16),
                                                         nn::keygen_model_path().string()));
    }
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
    MEDCRYPT_ASSIGN_OR_RETURN(Bytes key_image, make_key_image(g, key));
    Bytes out(payload_size(g));
    MEDCRYPT_TRY(run(g, key, key_image, source.bytes(), std::span(out).first(g.byte_size()), true));
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead seal, seal_cipher(g, key));
    MEDCRYPT_TRY(seal.seal(kSealNonce, as_bytes(kSealLabel), key_image, std::span(out).subspan(g.byte_size(), key_image.size()),
                           std::span(out).last(crypto::kAeadTagBytes)));
    Payload payload = Payload::owned(std::move(out));
    payload.notes = std::move(notes);
    return payload;
  }

  Result<image::Image> decode(PixelBytes payload, const image::Geometry& g, const SchemeKey& key) const override {
    MEDCRYPT_TRY(check_words(g, info_.name));
    if (payload.size() != payload_size(g)) return make_error(ErrorCode::kMalformed, info_.name + " payload size mismatch");
    Bytes key_image(key_shape(g).bytes());
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead seal, seal_cipher(g, key));
    const ByteView sealed = ByteView(payload).subspan(g.byte_size());
    if (!seal.open(kSealNonce, as_bytes(kSealLabel), sealed.first(key_image.size()), sealed.last(crypto::kAeadTagBytes),
                   key_image)) {
      return make_error(ErrorCode::kAuthentication, info_.name + ": the sealed key image failed authentication");
    }
    PixelBytes plain(g.byte_size());
    MEDCRYPT_TRY(run(g, key, key_image, ByteView(payload).first(g.byte_size()), plain, false));
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

  // The paper variant keys seed and scans by the key alone (as the paper reuses its key image); the sound
  // one by the key and the message nonce.
  Result<SecretBytes> derive(const SchemeKey& key, std::string_view what, std::size_t length) const {
    const ByteView salt = paper_ ? ByteView{} : ByteView(key.message_id);
    return crypto::hkdf_sha256(key.key.span(), salt, fmt::format("zigzag-gan v1 {}", what), length);
  }

  // The key image travels sealed under a key of its own, per message in both variants: how the paper's key
  // reaches the recipient is not its cipher (docs/SCHEMES.md, zigzag-gan reading 14). The seal key also
  // binds everything the key image depends on besides the key (variant, shape, word size, generator), so
  // one seal key only ever seals one key image and the zero nonce is safe even where a caller reuses a
  // SchemeKey (analyze's test mode).
  Result<crypto::Aead> seal_cipher(const image::Geometry& g, const SchemeKey& key) const {
    const KeyShape k = key_shape(g);
    const std::string info = fmt::format("zigzag-gan v1 key image seal {} {}x{}x{} {}", info_.name, k.rows, k.cols,
                                         k.word_bytes, keygen_digest_);
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes seal_key, crypto::hkdf_sha256(key.key.span(), key.message_id, info, 32));
    return crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, seal_key);
  }

  // The generator on a seed, a uniform 8-bit image from AES-256-CTR scaled to [-1, 1] like its training
  // seeds; its output in [-1, 1] as 8- or 16-bit words, little-endian.
  Result<Bytes> make_key_image(const image::Geometry& g, const SchemeKey& key) const {
    const KeyShape k = key_shape(g);
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes seed_key, derive(key, "seed", 32));
    Bytes seed_bytes(std::size_t{k.rows} * k.cols);
    MEDCRYPT_TRY(crypto::aes256_ctr_keystream(seed_key, kZeroCounter, seed_bytes));
    std::vector<float> seed(seed_bytes.size());
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<float>(seed_bytes[i] / 127.5 - 1.0);
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> values, generator_->generate(seed, k.rows, k.cols));
    Bytes key_image(k.bytes());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::uint32_t w = nn::key_word(values[i], g.bits_allocated);
      for (std::uint32_t b = 0; b < k.word_bytes; ++b) key_image[i * k.word_bytes + b] = static_cast<std::uint8_t>(w >> (8 * b));
    }
    return key_image;
  }

  // Encrypts `in` into `out` or decrypts it, frame by frame: the scan plan's three scans, the key image over the
  // frame and (sound variant) the AES-256-CTR keystream from counter block (frame, 0), so frames never
  // share keystream.
  Status run(const image::Geometry& g, const SchemeKey& key, ByteView key_image, ByteView in,
             std::span<std::uint8_t> out, bool encrypt) const {
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes choice, derive(key, "scans", 4));
    std::uint32_t c = 0;
    std::memcpy(&c, choice.data(), 4);
    const zigzag::ScanPlan plan = zigzag::scan_plan(c);
    std::optional<SecretBytes> stream_key;
    if (!paper_) {
      MEDCRYPT_ASSIGN_OR_RETURN(stream_key, derive(key, "keystream", 32));
    }
    const Bytes key_words = frame_key(g, key_image);
    Bytes masked(encrypt || !stream_key ? 0 : key_words.size()), scratch(key_words.size());
    const std::uint64_t frame_bytes = g.frame_bytes();
    for (std::uint32_t f = 0; f < g.frames; ++f) {
      std::array<std::uint8_t, crypto::kCounterBlockBytes> counter{};
      for (int b = 0; b < 8; ++b) counter[b] = static_cast<std::uint8_t>(std::uint64_t{f} >> (56 - 8 * b));
      ByteView frame_in = in.subspan(f * frame_bytes, frame_bytes);
      const std::span<std::uint8_t> frame_out = out.subspan(f * frame_bytes, frame_bytes);
      // The sound variant's keystream is XORed on after the key image (encrypting) or taken off before it
      // (decrypting): out = scrambled XOR key image XOR keystream, each pass once over the frame.
      if (stream_key && !encrypt) {
        MEDCRYPT_TRY(crypto::aes256_ctr_xor(*stream_key, counter, frame_in, masked));
        frame_in = masked;
      }
      MEDCRYPT_TRY(g.bits_allocated == 8 ? cipher<std::uint8_t>(g, plan, frame_in, key_words, frame_out, scratch, encrypt)
                                         : cipher<std::uint16_t>(g, plan, frame_in, key_words, frame_out, scratch, encrypt));
      if (stream_key && encrypt) MEDCRYPT_TRY(crypto::aes256_ctr_xor(*stream_key, counter, frame_out));
    }
    return {};
  }

  template <typename Word>
  static Status cipher(const image::Geometry& g, const zigzag::ScanPlan& plan, ByteView in, ByteView key,
                       std::span<std::uint8_t> out, std::span<std::uint8_t> scratch, bool encrypt) {
    auto read = [](ByteView b) { return std::span(reinterpret_cast<const Word*>(b.data()), b.size() / sizeof(Word)); };
    auto write = [](std::span<std::uint8_t> b) { return std::span(reinterpret_cast<Word*>(b.data()), b.size() / sizeof(Word)); };
    return encrypt ? zigzag::encrypt_frame<Word>(g.height, g.width, plan, read(in), read(key), write(out), write(scratch), g.samples)
                   : zigzag::decrypt_frame<Word>(g.height, g.width, plan, read(in), read(key), write(out), write(scratch), g.samples);
  }

  bool paper_;
  std::optional<nn::KeyGenerator> generator_;  // only encrypting needs it: the key image travels sealed
  Error generator_error_;                      // why there is none
  std::string keygen_digest_;                  // the generator that made (or will make) the key image
  double speckle_;
  SchemeInfo info_;
};

Result<std::unique_ptr<Scheme>> make(const SchemeParams& params, bool paper) {
  const std::string name = paper ? "zigzag-gan:paper" : "zigzag-gan";
  double speckle = 0;
  std::string keygen;
  for (const auto& [k, v] : params) {
    if (k == "speckle") {
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), speckle);
      if (ec != std::errc() || ptr != v.data() + v.size() || !(speckle >= 0 && speckle <= 4)) {
        return make_error(ErrorCode::kUsage, name + ": speckle must be a variance from 0 (off) to 4");
      }
    } else if (k == "keygen") {
      if (v.size() != 64 || v.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return make_error(ErrorCode::kUsage, name + ": keygen must be the generator's SHA-256 in hex");
      }
      keygen = v;
    } else {
      return make_error(ErrorCode::kUsage, name + ": unknown parameter '" + k + "' (speckle=VARIANCE)");
    }
  }
  // Decrypting (keygen named, as a container's header does) needs no generator; encrypting needs one.
  auto generator = nn::KeyGenerator::shipped();
  if (keygen.empty()) {
    if (!generator) return make_error(generator.error().code, name + ": " + generator.error().message);
    keygen = generator->digest_hex();
  }
  return std::unique_ptr<Scheme>(std::make_unique<ZigzagGan>(paper, std::move(generator), std::move(keygen), speckle));
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
