// Encrypted inference with a network's linear head (paper 004's idea in the one form an additively
// homomorphic scheme allows): the data owner runs the feature extractor, encrypts the features under its
// own Paillier key and sends them; a service holding only the head (weights in plaintext) computes
// Enc(W f + b) and sends it back; only the owner can read the scores.
//
// Fixed point, chosen so that nothing can overflow and the result is exact:
//   features  f_q = round(f 2^16), |f| < 2^8      (|f_q| < 2^24)
//   weights   w_q = round(w 2^16), |w| < 2^8      (|w_q| < 2^24)
//   bias      b_q = round(b 2^32), |b| < 2^24     (|b_q| < 2^56)
//   logit     l_q = sum_i w_q f_q + b_q at scale 2^32; with at most 2^13 inputs |l_q| < 2^61 + 2^56 < 2^63,
//             so every logit fits a signed 64-bit slot, and the decrypted value equals the integer sum.
// Batching: image s of a group sits in slot s of each feature ciphertext (64-bit slots, 47 images per
// ciphertext at 3072 bits, 31 at 2048), so one ciphertext per feature and one exponentiation per weight
// serve a whole group.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "he/paillier.hpp"

namespace medcrypt::he {

inline constexpr int kFeatureScaleBits = 16;
inline constexpr int kWeightScaleBits = 16;
inline constexpr int kLogitScaleBits = kFeatureScaleBits + kWeightScaleBits;
inline constexpr double kMaxFeature = 256.0;   // |f| < 2^8
inline constexpr double kMaxWeight = 256.0;    // |w| < 2^8
inline constexpr double kMaxBias = 16777216.0; // |b| < 2^24
inline constexpr int kMaxInputs = 8192;        // 2^13
inline constexpr int kSlotBits = 64;
inline constexpr int kMaxClasses = 1 << 16;
inline constexpr std::int64_t kMaxLogit = std::int64_t(1) << 62;  // |l_q| stays below this

// A linear layer: logits = weight (classes x inputs, row-major) * features + bias.
struct LinearHead {
  int classes = 0, inputs = 0;
  std::vector<float> weight, bias;
  std::string model;  // the digest of the network it comes from: features must come from the same one
};

struct QuantizedHead {
  int classes = 0, inputs = 0;
  std::vector<std::int64_t> weight, bias;
  std::string model;
};

// kLimits for values outside the bounds above, NaN or infinity, or more than kMaxInputs inputs.
Result<QuantizedHead> quantize_head(const LinearHead& head);
Result<std::vector<std::int64_t>> quantize_features(std::span<const float> features);
// The same sum in the clear (the reference the encrypted path must equal): images x classes at 2^32.
std::vector<std::int64_t> plain_logits(const QuantizedHead& head, std::span<const std::int64_t> features, int images);

// What the owner sends: the public key, and per group of images one ciphertext per feature. The request
// id (128 random bits, hex) comes back in the reply, so that a reply is opened against its own request.
struct FeatureRequest {
  std::string request_id;
  std::string key_id;
  Bytes modulus;
  std::string model;
  int images = 0, inputs = 0;
  std::vector<Ciphertext> ciphertexts;  // groups x inputs, group-major
};

// What the service returns: per group one ciphertext per class.
struct LogitReply {
  std::string request_id;
  std::string key_id;
  std::string model;
  int images = 0, classes = 0;
  std::vector<Ciphertext> ciphertexts;  // groups x classes
};

// Images per ciphertext for a modulus of `modulus_bits`.
std::size_t images_per_group(int modulus_bits);

// `features` holds images x inputs values (row-major) from the network `model`.
Result<FeatureRequest> encrypt_features(const PrivateKey& key, std::span<const float> features, int images, int inputs,
                                        const std::string& model, unsigned threads = 0);
// The service: the public key comes with the request; refuses a request for another model's features,
// the wrong number of inputs, and malformed ciphertexts.
Result<LogitReply> evaluate_head(const QuantizedHead& head, const FeatureRequest& request, unsigned threads = 0);
// images x classes logits at scale 2^kLogitScaleBits; kWrongKey for a reply to another key, kMalformed
// for a score outside the bound (a slot that overflowed: a damaged reply or a service that misbehaved).
Result<std::vector<std::int64_t>> decrypt_logits(const PrivateKey& key, const LogitReply& reply);
// The reply answers this request: same request id, key, image count (kMalformed otherwise).
Status check_reply_matches(const FeatureRequest& request, const LogitReply& reply);

// JSON messages ("medcrypt-he-features" / "medcrypt-he-logits", version 1, ciphertexts in base64).
std::string to_json(const FeatureRequest& request);
std::string to_json(const LogitReply& reply);
Result<FeatureRequest> parse_feature_request(std::string_view json);
Result<LogitReply> parse_logit_reply(std::string_view json);

}  // namespace medcrypt::he
