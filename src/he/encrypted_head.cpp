#include "he/encrypted_head.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include "core/parallel.hpp"
#include "crypto/base64.hpp"
#include "crypto/random.hpp"

namespace medcrypt::he {
namespace {

constexpr std::string_view kRequestFormat = "medcrypt-he-features";
constexpr std::string_view kReplyFormat = "medcrypt-he-logits";
constexpr int kMessageVersion = 1;
constexpr int kMaxImages = 1 << 20;
constexpr std::int64_t kMaxWeightFixed = std::int64_t(1) << 24, kMaxBiasFixed = std::int64_t(1) << 56;

Result<std::int64_t> fixed(double v, int scale_bits, double bound, std::string_view what) {
  if (!std::isfinite(v) || std::fabs(v) >= bound) {
    return make_error(ErrorCode::kLimits, std::string(what) + " " + std::to_string(v) +
                                              " is outside the fixed-point range (|x| < " + std::to_string(bound) + ")");
  }
  return static_cast<std::int64_t>(std::llround(std::ldexp(v, scale_bits)));
}

std::size_t groups_of(int images, std::size_t per_group) { return (std::size_t(images) + per_group - 1) / per_group; }

// The images [first, first + count) of one group.
struct Group {
  std::size_t first = 0, count = 0;
};
Group group(std::size_t g, int images, std::size_t per_group) {
  const std::size_t first = g * per_group;
  return {first, std::min(per_group, std::size_t(images) - first)};
}

// Runs fn(i) for i in [0, n) in parallel, then returns the first error by index (as chaos-henon's frames do).
Status parallel_status(std::size_t n, unsigned threads, const std::function<Status(std::size_t)>& fn) {
  std::vector<Status> results(n);
  parallel_for(n, threads == 0 ? default_threads() : threads, [&](std::size_t i, unsigned) { results[i] = fn(i); });
  for (Status& s : results) MEDCRYPT_TRY(s);
  return {};
}

// The shape both a float head and a quantized one must have.
Status check_shape(int classes, int inputs, std::size_t weights, std::size_t biases) {
  if (classes < 1 || classes > kMaxClasses || inputs < 1 || inputs > kMaxInputs ||
      weights != std::size_t(classes) * inputs || biases != std::size_t(classes)) {
    return make_error(ErrorCode::kLimits, "encrypted head: the head must have 1 to " + std::to_string(kMaxInputs) + " inputs, 1 to " +
                                              std::to_string(kMaxClasses) + " classes, and one weight row and bias per class");
  }
  return {};
}

// The invariants the bound rests on, for heads that did not come from quantize_head.
Status check_head(const QuantizedHead& h) {
  MEDCRYPT_TRY(check_shape(h.classes, h.inputs, h.weight.size(), h.bias.size()));
  for (std::int64_t w : h.weight) {
    if (w <= -kMaxWeightFixed || w >= kMaxWeightFixed) return make_error(ErrorCode::kLimits, "encrypted head: a weight is out of range");
  }
  for (std::int64_t b : h.bias) {
    if (b <= -kMaxBiasFixed || b >= kMaxBiasFixed) return make_error(ErrorCode::kLimits, "encrypted head: a bias is out of range");
  }
  return {};
}

}  // namespace

std::size_t images_per_group(int modulus_bits) { return packed_capacity(modulus_bits, kSlotBits); }

Result<QuantizedHead> quantize_head(const LinearHead& head) {
  MEDCRYPT_TRY(check_shape(head.classes, head.inputs, head.weight.size(), head.bias.size()));
  QuantizedHead q{head.classes, head.inputs, {}, {}, head.model};
  q.weight.reserve(head.weight.size());
  for (float w : head.weight) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t v, fixed(w, kWeightScaleBits, kMaxWeight, "a weight"));
    q.weight.push_back(v);
  }
  for (float b : head.bias) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t v, fixed(b, kLogitScaleBits, kMaxBias, "a bias"));
    q.bias.push_back(v);
  }
  return q;
}

Result<std::vector<std::int64_t>> quantize_features(std::span<const float> features) {
  std::vector<std::int64_t> out;
  out.reserve(features.size());
  for (float f : features) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t v, fixed(f, kFeatureScaleBits, kMaxFeature, "a feature"));
    out.push_back(v);
  }
  return out;
}

std::vector<std::int64_t> plain_logits(const QuantizedHead& head, std::span<const std::int64_t> features, int images) {
  std::vector<std::int64_t> out(std::size_t(images) * head.classes);
  for (int s = 0; s < images; ++s) {
    for (int j = 0; j < head.classes; ++j) {
      std::int64_t sum = head.bias[j];  // the bounds above keep every partial sum below 2^62
      for (int i = 0; i < head.inputs; ++i) {
        sum += head.weight[std::size_t(j) * head.inputs + i] * features[std::size_t(s) * head.inputs + i];
      }
      out[std::size_t(s) * head.classes + j] = sum;
    }
  }
  return out;
}

Result<FeatureRequest> encrypt_features(const PrivateKey& key, std::span<const float> features, int images, int inputs,
                                        const std::string& model, unsigned threads) {
  if (images < 1 || images > kMaxImages || inputs < 1 || inputs > kMaxInputs ||
      features.size() != std::size_t(images) * inputs) {
    return make_error(ErrorCode::kLimits, "encrypted head: 1 to " + std::to_string(kMaxImages) + " images of 1 to " +
                                              std::to_string(kMaxInputs) + " features each");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::int64_t> q, quantize_features(features));
  const PublicKey& pub = key.public_key();
  const std::size_t per_group = images_per_group(pub.modulus_bits());
  const std::size_t groups = groups_of(images, per_group);
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes id, crypto::random_bytes(16));
  FeatureRequest request{to_hex(id), pub.key_id(), pub.modulus(), model, images, inputs, {}};
  request.ciphertexts.resize(groups * inputs);
  MEDCRYPT_TRY(parallel_status(request.ciphertexts.size(), threads, [&](std::size_t at) -> Status {
    const std::size_t g = at / inputs, i = at % inputs;
    const Group grp = group(g, images, per_group);
    std::vector<std::int64_t> slots(grp.count);
    for (std::size_t s = 0; s < grp.count; ++s) slots[s] = q[(grp.first + s) * inputs + i];
    MEDCRYPT_ASSIGN_OR_RETURN(Randomness r, key.randomness());  // the key holder's CRT shortcut
    MEDCRYPT_ASSIGN_OR_RETURN(request.ciphertexts[at], pub.encrypt_packed(slots, kSlotBits, std::move(r)));
    return {};
  }));
  return request;
}

Result<LogitReply> evaluate_head(const QuantizedHead& head, const FeatureRequest& request, unsigned threads) {
  MEDCRYPT_TRY(check_head(head));
  MEDCRYPT_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::from_modulus(request.modulus));
  if (pub.key_id() != request.key_id) {
    return make_error(ErrorCode::kMalformed, "encrypted head: the request's key id does not match its public key");
  }
  if (!head.model.empty() && request.model != head.model) {
    return make_error(ErrorCode::kUnsupported, "encrypted head: the features come from model " + request.model.substr(0, 16) +
                                                   "..., this service holds the head of " + head.model.substr(0, 16) + "...");
  }
  if (request.inputs != head.inputs) {
    return make_error(ErrorCode::kUnsupported, "encrypted head: the request has " + std::to_string(request.inputs) +
                                                   " features per image; the head takes " + std::to_string(head.inputs));
  }
  if (request.images < 1 || request.images > kMaxImages) {
    return make_error(ErrorCode::kMalformed, "encrypted head: the request's image count is out of range");
  }
  const std::size_t per_group = images_per_group(pub.modulus_bits());
  const std::size_t groups = groups_of(request.images, per_group);
  if (request.ciphertexts.size() != groups * request.inputs) {
    return make_error(ErrorCode::kMalformed, "encrypted head: the request does not hold one ciphertext per feature per group");
  }
  LogitReply reply{request.request_id, request.key_id, head.model, request.images, head.classes, {}};
  reply.ciphertexts.resize(groups * head.classes);
  MEDCRYPT_TRY(parallel_status(reply.ciphertexts.size(), threads, [&](std::size_t at) -> Status {
    const std::size_t g = at / head.classes, j = at % head.classes;
    const Group grp = group(g, request.images, per_group);
    const std::span<const Ciphertext> features(request.ciphertexts.data() + g * head.inputs, head.inputs);
    const std::span<const std::int64_t> weights(head.weight.data() + j * head.inputs, head.inputs);
    const std::vector<std::int64_t> bias(grp.count, head.bias[j]);
    MEDCRYPT_ASSIGN_OR_RETURN(reply.ciphertexts[at], pub.linear_combination(features, weights, bias, kSlotBits));
    return {};
  }));
  return reply;
}

Result<std::vector<std::int64_t>> decrypt_logits(const PrivateKey& key, const LogitReply& reply) {
  const PublicKey& pub = key.public_key();
  if (reply.key_id != pub.key_id()) {
    return make_error(ErrorCode::kWrongKey, "encrypted head: the scores were encrypted for another key (" +
                                                reply.key_id.substr(0, 16) + "...), not this one (" + pub.key_id().substr(0, 16) + "...)");
  }
  if (reply.images < 1 || reply.images > kMaxImages || reply.classes < 1 || reply.classes > kMaxClasses) {
    return make_error(ErrorCode::kMalformed, "encrypted head: the reply's image or class count is out of range");
  }
  const std::size_t per_group = images_per_group(pub.modulus_bits());
  const std::size_t groups = groups_of(reply.images, per_group);
  if (reply.ciphertexts.size() != groups * reply.classes) {
    return make_error(ErrorCode::kMalformed, "encrypted head: the reply does not hold one ciphertext per class per group");
  }
  std::vector<std::int64_t> out(std::size_t(reply.images) * reply.classes);
  for (std::size_t g = 0; g < groups; ++g) {
    const Group grp = group(g, reply.images, per_group);
    for (int j = 0; j < reply.classes; ++j) {
      MEDCRYPT_ASSIGN_OR_RETURN(std::vector<std::int64_t> slots,
                                key.decrypt_packed(reply.ciphertexts[g * reply.classes + j], grp.count, kSlotBits));
      for (std::size_t s = 0; s < grp.count; ++s) {
        // An honest evaluation stays below the bound; a slot beyond it overflowed into its neighbour.
        if (slots[s] <= -kMaxLogit || slots[s] >= kMaxLogit) {
          return make_error(ErrorCode::kMalformed, "encrypted head: a score is beyond the fixed-point bound "
                                                   "(a damaged reply, or one not made for this use)");
        }
        out[(grp.first + s) * reply.classes + j] = slots[s];
      }
    }
  }
  return out;
}

Status check_reply_matches(const FeatureRequest& request, const LogitReply& reply) {
  if (reply.request_id != request.request_id || reply.key_id != request.key_id || reply.images != request.images) {
    return make_error(ErrorCode::kMalformed, "encrypted head: the reply answers another request (" +
                                                 reply.request_id.substr(0, 12) + "..., not " + request.request_id.substr(0, 12) + "...)");
  }
  return {};
}

namespace {

nlohmann::json ciphertext_array(const std::vector<Ciphertext>& c) {
  nlohmann::json a = nlohmann::json::array();
  for (const Ciphertext& x : c) a.push_back(crypto::base64(x.value));
  return a;
}

// Every ciphertext in base64, all of one length (`length`, or the first one's when 0).
Result<std::vector<Ciphertext>> read_ciphertexts(const nlohmann::json& a, std::size_t length) {
  if (!a.is_array()) return make_error(ErrorCode::kMalformed, "encrypted head: the ciphertexts are not a list");
  std::vector<Ciphertext> out;
  out.reserve(a.size());
  for (const nlohmann::json& x : a) {
    if (!x.is_string()) return make_error(ErrorCode::kMalformed, "encrypted head: a ciphertext is not a string");
    auto bytes = crypto::from_base64(x.get<std::string>());
    if (!bytes) return make_error(ErrorCode::kMalformed, "encrypted head: a ciphertext is not valid base64");
    if (length == 0) length = bytes->size();
    if (bytes->size() != length) return make_error(ErrorCode::kMalformed, "encrypted head: the ciphertexts differ in length");
    out.push_back(Ciphertext{std::move(*bytes)});
  }
  return out;
}

Error field_error(std::string_view format) {
  return make_error(ErrorCode::kMalformed, "encrypted head: a " + std::string(format) + " message lacks a field or has one of the wrong type");
}

// A JSON integer within [low, high]; anything else (a float, a string, true) is refused.
Result<std::int64_t> integer(const nlohmann::json& j, const char* name, std::int64_t low, std::int64_t high,
                             std::string_view format) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return field_error(format);
  const std::int64_t v = it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(high) ? high + 1 : it->get<std::int64_t>();
  if (v < low || v > high) {
    return make_error(ErrorCode::kMalformed, "encrypted head: " + std::string(name) + " is out of range in a " + std::string(format) + " message");
  }
  return v;
}

Result<std::string> text_field(const nlohmann::json& j, const char* name, std::string_view format) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return field_error(format);
  return it->get<std::string>();
}

Result<nlohmann::json> parse_message(std::string_view text, std::string_view format) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::kMalformed, "encrypted head: not a JSON message");
  const auto f = j.find("format");
  if (f == j.end() || !f->is_string() || f->get<std::string>() != format) {
    return make_error(ErrorCode::kMalformed, "encrypted head: not a " + std::string(format) + " message");
  }
  const auto v = j.find("version");
  if (v == j.end() || !v->is_number_integer() || v->get<std::int64_t>() != kMessageVersion) {
    return make_error(ErrorCode::kVersion, "encrypted head: unknown " + std::string(format) + " version");
  }
  return j;
}

}  // namespace

std::string to_json(const FeatureRequest& r) {
  return nlohmann::json{{"format", kRequestFormat}, {"version", kMessageVersion}, {"request_id", r.request_id}, {"key_id", r.key_id},
                        {"modulus", crypto::base64(r.modulus)}, {"model", r.model}, {"images", r.images},
                        {"inputs", r.inputs}, {"slot_bits", kSlotBits}, {"feature_scale_bits", kFeatureScaleBits},
                        {"ciphertexts", ciphertext_array(r.ciphertexts)}}
      .dump();
}

std::string to_json(const LogitReply& r) {
  return nlohmann::json{{"format", kReplyFormat}, {"version", kMessageVersion}, {"request_id", r.request_id},
                        {"key_id", r.key_id}, {"model", r.model},
                        {"images", r.images}, {"classes", r.classes}, {"slot_bits", kSlotBits},
                        {"logit_scale_bits", kLogitScaleBits}, {"ciphertexts", ciphertext_array(r.ciphertexts)}}
      .dump();
}

namespace {

// What both messages carry: the fixed-point layout (checked), the ids and the image count.
struct Common {
  std::string request_id, key_id, model;
  int images = 0;
};

Result<Common> read_common(const nlohmann::json& j, std::string_view format, const char* scale_name, int scale_bits) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t slots, integer(j, "slot_bits", 1, 4096, format));
  MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t scale, integer(j, scale_name, 0, 4096, format));
  if (slots != kSlotBits || scale != scale_bits) {
    return make_error(ErrorCode::kUnsupported, "encrypted head: the " + std::string(format) + " message uses another fixed-point layout");
  }
  Common c;
  MEDCRYPT_ASSIGN_OR_RETURN(c.request_id, text_field(j, "request_id", format));
  MEDCRYPT_ASSIGN_OR_RETURN(c.key_id, text_field(j, "key_id", format));
  MEDCRYPT_ASSIGN_OR_RETURN(c.model, text_field(j, "model", format));
  MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t images, integer(j, "images", 1, kMaxImages, format));
  c.images = static_cast<int>(images);
  return c;
}

Result<std::vector<Ciphertext>> ciphertexts_of(const nlohmann::json& j, std::size_t length, std::string_view format) {
  const auto c = j.find("ciphertexts");
  if (c == j.end()) return field_error(format);
  return read_ciphertexts(*c, length);
}

}  // namespace

Result<FeatureRequest> parse_feature_request(std::string_view text) {
  MEDCRYPT_ASSIGN_OR_RETURN(nlohmann::json j, parse_message(text, kRequestFormat));
  MEDCRYPT_ASSIGN_OR_RETURN(Common c, read_common(j, kRequestFormat, "feature_scale_bits", kFeatureScaleBits));
  FeatureRequest r{std::move(c.request_id), std::move(c.key_id), {}, std::move(c.model), c.images, 0, {}};
  MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t inputs, integer(j, "inputs", 1, kMaxInputs, kRequestFormat));
  r.inputs = static_cast<int>(inputs);
  MEDCRYPT_ASSIGN_OR_RETURN(std::string modulus, text_field(j, "modulus", kRequestFormat));
  auto n = crypto::from_base64(modulus);
  if (!n) return make_error(ErrorCode::kMalformed, "encrypted head: the modulus is not valid base64");
  r.modulus = std::move(*n);
  MEDCRYPT_ASSIGN_OR_RETURN(r.ciphertexts, ciphertexts_of(j, 2 * r.modulus.size(), kRequestFormat));
  return r;
}

Result<LogitReply> parse_logit_reply(std::string_view text) {
  MEDCRYPT_ASSIGN_OR_RETURN(nlohmann::json j, parse_message(text, kReplyFormat));
  MEDCRYPT_ASSIGN_OR_RETURN(Common c, read_common(j, kReplyFormat, "logit_scale_bits", kLogitScaleBits));
  LogitReply r{std::move(c.request_id), std::move(c.key_id), std::move(c.model), c.images, 0, {}};
  MEDCRYPT_ASSIGN_OR_RETURN(std::int64_t classes, integer(j, "classes", 1, kMaxClasses, kReplyFormat));
  r.classes = static_cast<int>(classes);
  MEDCRYPT_ASSIGN_OR_RETURN(r.ciphertexts, ciphertexts_of(j, 0, kReplyFormat));
  return r;
}

}  // namespace medcrypt::he
