#include "schemes/chaos_henon.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "chaos/henon_cipher.hpp"
#include "chaos/paper_cipher.hpp"
#include "chaos/selective.hpp"
#include "core/parallel.hpp"
#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "nn/roi.hpp"

namespace medcrypt::schemes {
namespace {

using chaos::Diffusion;
using chaos::FrameShape;
using chaos::HenonParams;
using chaos::HenonStream;

constexpr std::uint32_t kPaperBlock = 32;
constexpr std::uint32_t kPaperWarmup = 10000;   // our reading of the paper's "10,000 times"
constexpr std::uint32_t kPaperRounds = 4;       // version 2: our reading of the paper's "n = 4"
constexpr double kMinLyapunov = 0.3;            // the classic attractor has about 0.42
constexpr std::uint32_t kLyapunovSteps = 2000;
constexpr int kMaxAttempts = 64;

std::uint64_t le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

// A double uniform in [0, 1) from the top 53 bits: exact, the same everywhere.
double unit(std::uint64_t v) { return static_cast<double>(v >> 11) * 0x1.0p-53; }

FrameShape frame_shape(const image::Geometry& g) { return {g.height, g.width * g.samples}; }

template <typename Word>
std::span<Word> words(std::span<std::uint8_t> bytes) {
  return {reinterpret_cast<Word*>(bytes.data()), bytes.size() / sizeof(Word)};
}
// The cipher permutes and diffuses 8- and 16-bit integer words (paper 000 treats 8-bit images); 1-bit samples
// (one byte each, 0 or 1), 32-bit words and floating point samples would need another diffusion.
Status check_words(const image::Geometry& g) {
  if (g.floating_point() || (g.bits_allocated != 8 && g.bits_allocated != 16)) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("chaos-henon encrypts 8- or 16-bit integer samples, not {}-bit {}", g.bits_allocated,
                                  g.floating_point() ? "floating point" : "integers"));
  }
  return {};
}

template <typename Word>
std::span<const Word> words(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const Word*>(bytes.data()), bytes.size() / sizeof(Word)};
}

// One round on one frame of `shape`: `in` -> `out` when encrypting (they may be the same), `out` in place
// when decrypting.
void run_round(unsigned bits, FrameShape shape, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
               std::vector<std::uint8_t>& scratch, chaos::RoundKeys& keys, Diffusion diffusion, bool encrypt) {
  scratch.resize(out.size());
  if (bits == 8) {
    if (encrypt) {
      chaos::encrypt_round<std::uint8_t>(in, out, scratch, shape, keys, diffusion);
    } else {
      chaos::decrypt_round<std::uint8_t>(out, scratch, shape, keys, diffusion);
    }
  } else if (encrypt) {
    chaos::encrypt_round<std::uint16_t>(words<std::uint16_t>(in), words<std::uint16_t>(out),
                                        words<std::uint16_t>(std::span<std::uint8_t>(scratch)), shape, keys, diffusion);
  } else {
    chaos::decrypt_round<std::uint16_t>(words<std::uint16_t>(out), words<std::uint16_t>(std::span<std::uint8_t>(scratch)),
                                        shape, keys, diffusion);
  }
}

// ----- what both variants share: the pixels in place, and the region-of-interest plan -----

// Both variants permute and diffuse the pixel bytes in place of the image: the payload is the cipher image.
// With a region-of-interest network (roi=KIND) the network's plan, one flag per full block, follows the
// cipher image sealed with AES-256-GCM, so the recipient needs neither the plain image nor the network.
class HenonPixelScheme : public Scheme {
 public:
  HenonPixelScheme(std::uint32_t block, std::string roi_kind) : block_(block), roi_kind_(std::move(roi_kind)) {}

  std::uint64_t payload_size(const image::Geometry& g) const override {
    return g.byte_size() + (roi_kind_.empty() ? 0 : plan_bytes(g) + crypto::kAeadTagBytes);
  }

  Result<Payload> encode(const image::Image& plain, const SchemeKey& key) const override {
    const image::Geometry& g = plain.geometry();
    MEDCRYPT_TRY(check_words(g));
    std::vector<std::string> notes;
    std::vector<std::uint8_t> flags;
    if (!roi_kind_.empty()) {
      MEDCRYPT_ASSIGN_OR_RETURN(flags, roi_flags(plain, notes));
    }
    Bytes bytes(payload_size(g));
    MEDCRYPT_TRY(apply(g, plain.bytes(), std::span(bytes).first(g.byte_size()), key, &plain, flags, true));
    if (!roi_kind_.empty()) {
      MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead aead, plan_cipher(key));
      MEDCRYPT_TRY(aead.seal(kPlanNonce, as_bytes(kPlanLabel), pack(flags, g),
                             std::span(bytes).subspan(g.byte_size(), plan_bytes(g)),
                             std::span(bytes).last(crypto::kAeadTagBytes)));
    }
    Payload payload = Payload::owned(std::move(bytes));
    payload.notes = std::move(notes);
    if (selective()) payload.light = [g, block = block_, flags = std::move(flags)] { return light_mask(g, block, flags); };
    return payload;
  }

  Result<image::Image> decode(PixelBytes payload, const image::Geometry& g, const SchemeKey& key) const override {
    MEDCRYPT_TRY(check_words(g));
    if (payload.size() != payload_size(g)) return make_error(ErrorCode::kMalformed, "chaos-henon payload size mismatch");
    std::vector<std::uint8_t> flags;
    if (!roi_kind_.empty()) {
      MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead aead, plan_cipher(key));
      Bytes packed(plan_bytes(g));
      const ByteView sealed = ByteView(payload).subspan(g.byte_size());
      MEDCRYPT_TRY(aead.open(kPlanNonce, as_bytes(kPlanLabel), sealed.first(packed.size()),
                             sealed.last(crypto::kAeadTagBytes), packed));
      flags = unpack(packed, g);
      payload.resize(g.byte_size());
    }
    MEDCRYPT_TRY(apply(g, payload, payload, key, nullptr, flags, false));
    return image::Image::from_bytes(g, std::move(payload));
  }

 protected:
  // Encrypts `in` into `out`, or decrypts `out` in place (`plain` is null when decrypting). `roi`: one
  // flag per full block, frame after frame, or empty (no network).
  virtual Status apply(const image::Geometry& g, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                       const SchemeKey& key, const image::Image* plain, std::span<const std::uint8_t> roi,
                       bool encrypt) const = 0;
  // Selective mode: the background gets a lighter cipher (the sound variant's roi-mode=selective).
  virtual bool selective() const { return false; }

  std::uint32_t blocks_per_frame(const image::Geometry& g) const {
    const FrameShape shape = frame_shape(g);
    return shape.full_block_rows(block_) * shape.full_block_cols(block_);
  }

  const std::uint32_t block_;
  const std::string roi_kind_;  // empty: no network, the key-driven plan

 private:
  static constexpr std::string_view kPlanLabel = "chaos-henon roi plan v1";
  static constexpr std::array<std::uint8_t, 12> kPlanNonce{};  // the plan key is used once: per message

  std::uint64_t plan_bytes(const image::Geometry& g) const { return g.frames * ((blocks_per_frame(g) + 7) / 8); }

  // The plan's own key, from the scheme key (itself unique per message), so one zero nonce is safe.
  static Result<crypto::Aead> plan_cipher(const SchemeKey& key) {
    MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes plan_key, crypto::hkdf_sha256(key.key.span(), key.message_id,
                                                                        "chaos-henon roi plan key", 32));
    return crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, plan_key);
  }

  // Flags bit-packed frame by frame, each frame from a byte boundary, block b in bit b % 8.
  Bytes pack(const std::vector<std::uint8_t>& flags, const image::Geometry& g) const {
    const std::uint32_t blocks = blocks_per_frame(g), per_frame = (blocks + 7) / 8;
    Bytes packed(plan_bytes(g), 0);
    for (std::uint32_t f = 0; f < g.frames; ++f) {
      for (std::uint32_t b = 0; b < blocks; ++b) {
        if (flags[std::size_t{f} * blocks + b] != 0) packed[std::size_t{f} * per_frame + b / 8] |= 1u << (b % 8);
      }
    }
    return packed;
  }
  std::vector<std::uint8_t> unpack(ByteView packed, const image::Geometry& g) const {
    const std::uint32_t blocks = blocks_per_frame(g), per_frame = (blocks + 7) / 8;
    std::vector<std::uint8_t> flags(std::size_t{g.frames} * blocks);
    for (std::uint32_t f = 0; f < g.frames; ++f) {
      for (std::uint32_t b = 0; b < blocks; ++b) {
        flags[std::size_t{f} * blocks + b] = (packed[std::size_t{f} * per_frame + b / 8] >> (b % 8)) & 1u;
      }
    }
    return flags;
  }

  // One flag per sample, frame after frame: 1 where the lighter cipher ran.
  static std::vector<std::uint8_t> light_mask(const image::Geometry& g, std::uint32_t block,
                                              std::span<const std::uint8_t> flags) {
    const FrameShape shape = frame_shape(g);
    const std::uint32_t blocks = shape.full_block_rows(block) * shape.full_block_cols(block);
    std::vector<std::uint8_t> mask;
    mask.reserve(g.byte_size() / (g.bits_allocated / 8));
    for (std::uint32_t f = 0; f < g.frames; ++f) {
      auto frame = chaos::background_mask(shape, block, flags.subspan(std::size_t{f} * blocks, blocks));
      mask.insert(mask.end(), frame.begin(), frame.end());
    }
    return mask;
  }

  // The network's mask for each frame, reduced to one flag per full block: a block that holds any pixel of
  // the region is a region-of-interest block. No network for the image (another kind, colour): the
  // key-driven plan (all zero) in full mode, the full cipher on every block (all one) in selective mode,
  // and a note that says so.
  Result<std::vector<std::uint8_t>> roi_flags(const image::Image& plain, std::vector<std::string>& notes) const {
    const image::Geometry& g = plain.geometry();
    const std::uint32_t blocks = blocks_per_frame(g), per_row = frame_shape(g).full_block_cols(block_);
    std::vector<std::uint8_t> flags(std::size_t{g.frames} * blocks, 0);
    image::Geometry one = g;
    one.frames = 1;
    for (std::uint32_t f = 0; f < g.frames && blocks > 0; ++f) {
      const auto frame_bytes = plain.bytes().subspan(f * g.frame_bytes(), g.frame_bytes());
      MEDCRYPT_ASSIGN_OR_RETURN(image::Image frame,
                                image::Image::from_bytes(one, copy_pixels(frame_bytes)));
      auto mask = nn::predict_roi(frame, roi_kind_);
      if (!mask && mask.error().code == ErrorCode::kUnsupported) {
        if (selective()) std::fill(flags.begin(), flags.end(), 1);
        notes.push_back(fmt::format("chaos-henon: no {} region-of-interest network for this image ({}); {}", roi_kind_,
                                    mask.error().message,
                                    selective() ? "every full block gets the full cipher"
                                                : "the key-driven plan is used"));
        return flags;
      }
      if (!mask) return std::move(mask).error();
      std::size_t marked = 0;
      for (std::uint32_t y = 0; y < frame_shape(g).full_block_rows(block_) * block_; ++y) {
        for (std::uint32_t x = 0; x < per_row * block_; ++x) {
          if ((*mask)[std::size_t{y} * g.width + x] != 0) {
            std::uint8_t& flag = flags[std::size_t{f} * blocks + (y / block_) * per_row + x / block_];
            marked += flag == 0;
            flag = 1;
          }
        }
      }
      notes.push_back(fmt::format("chaos-henon: frame {}: the {} network marks {} of {} blocks as region of "
                                  "interest; {}",
                                  f + 1, roi_kind_, marked, blocks,
                                  selective() ? "they get the full cipher, every other sample only a keystream XOR "
                                                "(roi-mode=selective: see docs/SECURITY.md)"
                                              : "they come first in the block order"));
    }
    return flags;
  }
};

// ----- sound variant -----

class ChaosHenon final : public HenonPixelScheme {
 public:
  ChaosHenon(std::uint32_t rounds, std::uint32_t block, std::shared_ptr<const chaos::BlockPlanner> planner,
             std::string roi_kind, bool selective)
      : HenonPixelScheme(block, std::move(roi_kind)), rounds_(rounds), selective_(selective),
        planner_(std::move(planner)), info_(chaos_henon_info()) {
    // Each round's chaotic state has at most 222 bits (four 53-bit doubles and a 10-bit warm-up), so one
    // round cannot have more key space than that, whatever the 256-bit key.
    info_.key_space_bits = std::min(256.0, 222.0 * rounds_);
    if (!roi_kind_.empty()) planner_ = std::make_shared<chaos::RoiPlanner>();
  }
  const SchemeInfo& info() const override { return info_; }
  std::string params() const override {
    SchemeParams p{{"block", std::to_string(block_)}, {"rounds", std::to_string(rounds_)}};
    if (!roi_kind_.empty()) p["roi"] = roi_kind_;
    if (selective_) p["roi-mode"] = "selective";
    return format_params(p);
  }
  std::string full_cipher_params() const override {
    SchemeParams p = parse_params(params()).value();
    p.erase("roi-mode");
    return format_params(p);
  }

 private:
  bool selective() const override { return selective_; }

  // The stream for (frame, round, pass): HKDF-derived initial condition, perturbed parameters and warm-up,
  // redrawn (next attempt number) until the orbit is bounded and chaotic, so no key lands in a periodic
  // window of the map. Pass 3 is the background keystream of selective mode.
  static Result<HenonStream> stream_for(const SchemeKey& key, std::size_t frame, std::uint32_t round, int pass) {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      std::string info =
          fmt::format("chaos-henon v1 frame {} round {} pass {} attempt {}", frame, round, pass, attempt);
      MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes m, crypto::hkdf_sha256(key.key.span(), key.message_id, info, 36));
      const std::uint8_t* p = m.data();
      HenonParams hp;
      hp.x0 = -0.4 + 0.8 * unit(le64(p));
      hp.y0 = -0.1 + 0.2 * unit(le64(p + 8));
      hp.a = 1.395 + 0.01 * unit(le64(p + 16));
      hp.b = 0.295 + 0.01 * unit(le64(p + 24));
      hp.warmup = 1000 + ((p[32] | (p[33] << 8)) & 1023u);
      HenonStream stream(hp);
      if (stream.finite() && stream.lyapunov(kLyapunovSteps) > kMinLyapunov) return stream;
    }
    return make_error(ErrorCode::kInternal, "chaos-henon: no chaotic parameters found for this key");
  }

  // Frames run in parallel, each with its own keys.
  Status apply(const image::Geometry& g, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
               const SchemeKey& key, const image::Image* plain, std::span<const std::uint8_t> roi,
               bool encrypt) const override {
    const std::uint64_t frame_bytes = g.frame_bytes();
    const std::uint32_t blocks = blocks_per_frame(g);
    std::vector<Status> results(g.frames);
    parallel_for(g.frames, default_threads(), [&](std::size_t f, unsigned) {
      const auto frame_in = in.subspan(f * frame_bytes, frame_bytes);
      const auto frame_out = out.subspan(f * frame_bytes, frame_bytes);
      const auto frame_roi = roi.empty() ? roi : roi.subspan(f * blocks, blocks);
      results[f] = selective_ ? run_selective_frame(g, frame_in, frame_out, key, frame_roi, f, encrypt)
                              : run_rounds(g.bits_allocated, frame_shape(g), frame_in, frame_out, key, *planner_,
                                           plain, frame_roi, f, encrypt);
    });
    for (auto& s : results) MEDCRYPT_TRY(s);
    return {};
  }

  Status run_rounds(unsigned bits, FrameShape shape, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                    const SchemeKey& key, const chaos::BlockPlanner& planner, const image::Image* plain,
                    std::span<const std::uint8_t> roi, std::size_t frame, bool encrypt) const {
    std::vector<std::uint8_t> scratch;
    for (std::uint32_t i = 0; i < rounds_; ++i) {
      const std::uint32_t round = encrypt ? i : rounds_ - 1 - i;  // decryption undoes the last round first
      MEDCRYPT_ASSIGN_OR_RETURN(HenonStream forward, stream_for(key, frame, round, 1));
      MEDCRYPT_ASSIGN_OR_RETURN(HenonStream backward, stream_for(key, frame, round, 2));
      chaos::PlanRequest request{shape, block_, plain, static_cast<std::uint32_t>(frame), roi};
      MEDCRYPT_ASSIGN_OR_RETURN(chaos::RoundKeys keys, chaos::draw_round_keys(request, planner, bits, forward, &backward));
      run_round(bits, shape, i == 0 ? in : out, out, scratch, keys, Diffusion::kTwoPass, encrypt);
    }
    return {};
  }

  // Selective mode on one frame: the ROI blocks, stacked, go through the rounds (a key-driven plan of the
  // stack); every other sample is XORed with the pass-3 keystream.
  Status run_selective_frame(const image::Geometry& g, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                             const SchemeKey& key, std::span<const std::uint8_t> roi, std::size_t frame,
                             bool encrypt) const {
    const FrameShape shape = frame_shape(g);
    const std::vector<std::uint32_t> blocks = chaos::roi_blocks(roi);
    const FrameShape stack = chaos::stack_shape(block_, blocks.size());
    const std::size_t word = g.bits_allocated / 8;
    std::vector<std::uint8_t> stacked(std::size_t{stack.rows} * stack.cols * word);
    MEDCRYPT_ASSIGN_OR_RETURN(HenonStream background, stream_for(key, frame, 0, 3));
    auto move = [&](auto tag, bool to_stack) {
      using Word = decltype(tag);
      auto* frame_words = reinterpret_cast<Word*>(out.data());
      auto* stack_words = reinterpret_cast<Word*>(stacked.data());
      if (to_stack) {
        chaos::stack_blocks<Word>(reinterpret_cast<const Word*>((encrypt ? in : out).data()), stack_words, shape,
                                  block_, blocks);
        chaos::xor_background<Word>(reinterpret_cast<const Word*>((encrypt ? in : out).data()), frame_words, shape,
                                    block_, roi, background);
      } else {
        chaos::unstack_blocks<Word>(stack_words, frame_words, shape, block_, blocks);
      }
    };
    g.bits_allocated == 8 ? move(std::uint8_t{}, true) : move(std::uint16_t{}, true);
    if (!blocks.empty()) {
      MEDCRYPT_TRY(run_rounds(g.bits_allocated, stack, stacked, stacked, key, chaos::KeyDrivenPlanner(), nullptr, {},
                              frame, encrypt));
    }
    g.bits_allocated == 8 ? move(std::uint8_t{}, false) : move(std::uint16_t{}, false);
    return {};
  }

  std::uint32_t rounds_;
  bool selective_;
  std::shared_ptr<const chaos::BlockPlanner> planner_;
  SchemeInfo info_;
};

// ----- paper variant -----

class ChaosHenonPaper final : public HenonPixelScheme {
 public:
  ChaosHenonPaper(std::uint16_t version, std::string roi_kind)
      : HenonPixelScheme(kPaperBlock, std::move(roi_kind)), info_(chaos_henon_paper_info(version)) {}
  const SchemeInfo& info() const override { return info_; }
  std::string params() const override { return roi_kind_.empty() ? "" : format_params({{"roi", roi_kind_}}); }

  // Paper 000 eq. 2-3: x0 and y0 are the XOR of eight key bytes each, divided by 2^8.
  static HenonParams paper_params(ByteView key128) {
    std::uint8_t x = 0, y = 0;
    for (int i = 0; i < 8; ++i) {
      x ^= key128[i];
      y ^= key128[8 + i];
    }
    HenonParams p;
    p.x0 = x / 256.0;
    p.y0 = y / 256.0;
    p.warmup = kPaperWarmup;
    return p;
  }

 private:
  // The paper's 128-bit key is the first half of the scheme key. A third of such keys put (x0, y0) outside
  // the attractor's basin and the orbit diverges; then, and only then, the 128-bit key is redrawn from the
  // scheme key with HKDF (medcrypt's addition: the paper has no answer), so every message encrypts. The key
  // space stays the 2^15.4 working (x0, y0) pairs.
  static Result<HenonStream> paper_stream(const SchemeKey& key) {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      SecretBytes redrawn;
      ByteView key128 = key.key.span().first(16);
      if (attempt > 0) {
        MEDCRYPT_ASSIGN_OR_RETURN(redrawn, crypto::hkdf_sha256(key.key.span(), ByteView{},
                                                               fmt::format("chaos-henon:paper key {}", attempt), 16));
        key128 = redrawn.span();
      }
      HenonStream stream(paper_params(key128));
      if (stream.finite()) return stream;
    }
    return make_error(ErrorCode::kInternal, "chaos-henon:paper: no converging initial condition found for this key");
  }

  Status apply(const image::Geometry& g, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
               const SchemeKey& key, const image::Image* plain, std::span<const std::uint8_t> roi,
               bool encrypt) const override {
    MEDCRYPT_ASSIGN_OR_RETURN(HenonStream stream, paper_stream(key));
    if (info_.version >= 2) return apply_algorithm1(g, in, out, stream, plain, roi, encrypt);
    chaos::KeyDrivenPlanner planner;
    std::vector<std::uint8_t> scratch;
    // One stream for the whole study, frame after frame (the paper treats single images).
    for (std::uint32_t f = 0; f < g.frames; ++f) {
      chaos::PlanRequest request{frame_shape(g), kPaperBlock, plain, f, {}};
      MEDCRYPT_ASSIGN_OR_RETURN(chaos::RoundKeys keys, chaos::draw_round_keys(request, planner, g.bits_allocated, stream, nullptr));
      const std::size_t off = f * g.frame_bytes(), len = g.frame_bytes();
      run_round(g.bits_allocated, request.shape, in.subspan(off, len), out.subspan(off, len), scratch, keys,
                Diffusion::kForwardXor, encrypt);
    }
    return {};
  }

  // Version 2: kPaperRounds rounds of Algorithm 1 (chaos/paper_cipher.hpp) per frame, one stream for the
  // study; with a network (roi=KIND) its plan orders the blocks (step 4.1). Decryption needs the rounds'
  // keys last first: it records the stream's state before each round while drawing them in order, then
  // draws each again from its state, one round's keys in memory at a time.
  Status apply_algorithm1(const image::Geometry& g, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                          HenonStream& stream, const image::Image* plain, std::span<const std::uint8_t> roi,
                          bool encrypt) const {
    chaos::KeyDrivenPlanner key_driven;
    chaos::RoiPlanner by_roi;
    const chaos::BlockPlanner& planner = roi.empty() ? static_cast<const chaos::BlockPlanner&>(key_driven) : by_roi;
    const std::uint32_t blocks = blocks_per_frame(g);
    std::vector<std::uint8_t> scratch(g.frame_bytes());
    chaos::PaperRoundKeys keys;  // one round's keys at a time, their buffers reused
    if (in.data() != out.data()) std::copy(in.begin(), in.end(), out.begin());
    for (std::uint32_t f = 0; f < g.frames; ++f) {
      const chaos::PlanRequest request{frame_shape(g), kPaperBlock, plain, f,
                                       roi.empty() ? roi : roi.subspan(std::size_t{f} * blocks, blocks)};
      std::span<std::uint8_t> frame = out.subspan(f * g.frame_bytes(), g.frame_bytes());
      auto run = [&] {
        if (g.bits_allocated == 8) {
          encrypt ? chaos::encrypt_paper_round<std::uint8_t>(frame, scratch, request.shape, keys)
                  : chaos::decrypt_paper_round<std::uint8_t>(frame, scratch, request.shape, keys);
        } else {
          auto words16 = words<std::uint16_t>(frame), scratch16 = words<std::uint16_t>(std::span(scratch));
          encrypt ? chaos::encrypt_paper_round<std::uint16_t>(words16, scratch16, request.shape, keys)
                  : chaos::decrypt_paper_round<std::uint16_t>(words16, scratch16, request.shape, keys);
        }
      };
      std::vector<HenonStream> before_round;
      for (std::uint32_t r = 0; r < kPaperRounds; ++r) {
        before_round.push_back(stream);
        MEDCRYPT_TRY(chaos::draw_paper_round(request, planner, g.bits_allocated, stream, keys));
        if (encrypt) run();
      }
      for (std::uint32_t r = kPaperRounds; !encrypt && r-- > 0;) {
        MEDCRYPT_TRY(chaos::draw_paper_round(request, planner, g.bits_allocated, before_round[r], keys));
        run();
      }
    }
    return {};
  }

  SchemeInfo info_;
};

Result<std::uint32_t> uint_param(const SchemeParams& params, const std::string& name, std::uint32_t fallback,
                                 std::uint32_t min, std::uint32_t max) {
  auto it = params.find(name);
  if (it == params.end()) return fallback;
  std::uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || ptr != it->second.data() + it->second.size() || v < min || v > max) {
    return make_error(ErrorCode::kUsage, fmt::format("chaos-henon: {} must be an integer from {} to {}", name, min, max));
  }
  return v;
}

// The region-of-interest network named by roi=, or "" without one.
Result<std::string> roi_param(const SchemeParams& params, std::string_view scheme) {
  auto it = params.find("roi");
  if (it == params.end()) return std::string();
  if (it->second != nn::kRoiKindLung && it->second != nn::kRoiKindBrainTumour) {
    return make_error(ErrorCode::kUsage, fmt::format("{}: roi must be {} or {} (the networks shipped)", scheme,
                                                     nn::kRoiKindLung, nn::kRoiKindBrainTumour));
  }
  return it->second;
}

}  // namespace

SchemeInfo chaos_henon_info() {
  return SchemeInfo{
      .name = "chaos-henon",
      .version = 1,
      .lossless = true,
      .exports_cipher_image = true,
      .key_space_bits = 222,  // one round (the default): see ChaosHenon's constructor
      .sealing = Sealing::kAuthenticate,
      .summary = "Henon chaotic block/row/column permutation and two-pass diffusion, keyed per message (paper 000, sound variant)",
      .security_note = "heuristic: no proof of security, statistical tests are not evidence of it; the container "
                       "authenticates its output but does not encrypt it again",
  };
}

SchemeInfo chaos_henon_paper_info(std::uint16_t version) {
  SchemeInfo info{
      .name = "chaos-henon:paper",
      .version = version,
      .lossless = true,
      .exports_cipher_image = true,
      // x0 and y0 take 256 values each, and 20895 of the 65536 pairs diverge: log2(44641) = 15.4 bits.
      .key_space_bits = 15.4,
      .sealing = Sealing::kAuthenticate,
      .summary = "paper 000's Algorithm 1 with its key schedule: 4 rounds of block, in-block, row and column "
                 "permutation, bit rotation, horizontal and vertical XOR chains, block 32: for reproducing the "
                 "paper",
      .security_note = "WEAK, reproduction only: about 2^15.4 effective keys (one known image finds the key by "
                       "exhaustive search), no nonce (an image always encrypts the same way), affine over GF(2) "
                       "for a fixed key",
  };
  if (version == 1) {
    info.summary = "paper 000's own key schedule, block size 32, one XOR diffusion pass (version 1, before the "
                   "paper was read: decrypts old containers)";
    info.security_note = "WEAK, reproduction only: about 2^15.4 effective keys, no nonce (an image always "
                         "encrypts the same way), one-pass diffusion";
  }
  return info;
}

Result<std::unique_ptr<Scheme>> make_chaos_henon_with_planner(const SchemeParams& params,
                                                              std::shared_ptr<const chaos::BlockPlanner> planner) {
  for (const auto& [k, v] : params) {
    if (k != "rounds" && k != "block" && k != "roi" && k != "roi-mode") {
      return make_error(ErrorCode::kUsage, fmt::format("chaos-henon: unknown parameter '{}'", k));
    }
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint32_t rounds, uint_param(params, "rounds", 1, 1, 16));
  MEDCRYPT_ASSIGN_OR_RETURN(std::uint32_t block, uint_param(params, "block", 32, 2, 4096));
  MEDCRYPT_ASSIGN_OR_RETURN(std::string roi, roi_param(params, "chaos-henon"));
  bool selective = false;
  if (auto it = params.find("roi-mode"); it != params.end()) {
    if (it->second != "full" && it->second != "selective") {
      return make_error(ErrorCode::kUsage, "chaos-henon: roi-mode must be full or selective");
    }
    if (roi.empty()) return make_error(ErrorCode::kUsage, "chaos-henon: roi-mode needs roi=lung or roi=brain-tumour");
    selective = it->second == "selective";
  }
  return std::unique_ptr<Scheme>(
      std::make_unique<ChaosHenon>(rounds, block, std::move(planner), std::move(roi), selective));
}

Result<std::unique_ptr<Scheme>> make_chaos_henon(const SchemeParams& params) {
  return make_chaos_henon_with_planner(params, std::make_shared<chaos::KeyDrivenPlanner>());
}

namespace {

Result<std::unique_ptr<Scheme>> make_paper_version(const SchemeParams& params, std::uint16_t version) {
  for (const auto& [k, v] : params) {
    if (k != "roi" || version < 2) {
      return make_error(ErrorCode::kUsage,
                        version < 2        ? "chaos-henon:paper version 1 takes no parameters"
                        : k == "roi-mode" ? "chaos-henon:paper has no selective mode (the paper ciphers every block)"
                                          : "chaos-henon:paper takes only roi= (the paper fixes the rest)");
    }
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::string roi, roi_param(params, "chaos-henon:paper"));
  return std::unique_ptr<Scheme>(std::make_unique<ChaosHenonPaper>(version, std::move(roi)));
}

}  // namespace

Result<std::unique_ptr<Scheme>> make_chaos_henon_paper(const SchemeParams& params) {
  return make_paper_version(params, kChaosHenonPaperVersion);
}

Result<std::unique_ptr<Scheme>> make_chaos_henon_paper_v1(const SchemeParams& params) {
  return make_paper_version(params, 1);
}

}  // namespace medcrypt::schemes
