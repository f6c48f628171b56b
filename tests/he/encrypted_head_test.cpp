// Encrypted inference (src/he/encrypted_head.hpp): the decrypted logits equal the fixed-point sum computed
// here in Int128 exactly, on every held-out image of the shipped pneumonia network; the classes agree with
// float inference; messages survive JSON; requests and replies for another key or model are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "he/encrypted_head.hpp"
#include "metrics/classification.hpp"
#include "nn/classifier.hpp"
#include "nn/classifier_data.hpp"
#include "nn/weights_file.hpp"
#include "support/test_support.hpp"

namespace medcrypt::he {
namespace {

__extension__ using Int128 = __int128;

const PrivateKey& key() {
  static const PrivateKey k = PrivateKey::generate(2048).value();
  return k;
}

LinearHead linear_head(const nn::Weights& w) {
  const nn::ClassifierHead h = nn::classifier_head(w).value();
  return {static_cast<int>(h.config.classes.size()), h.inputs, h.weight, h.bias, h.model};
}

// The fixed-point logits computed independently of he/: round(x 2^s) and Int128 sums.
std::vector<Int128> reference_logits(const LinearHead& head, const std::vector<float>& features, int images) {
  std::vector<Int128> out;
  for (int s = 0; s < images; ++s) {
    for (int j = 0; j < head.classes; ++j) {
      Int128 sum = std::llround(double(head.bias[j]) * 4294967296.0);
      for (int i = 0; i < head.inputs; ++i) {
        sum += Int128(std::llround(double(head.weight[std::size_t(j) * head.inputs + i]) * 65536.0)) *
               std::llround(double(features[std::size_t(s) * head.inputs + i]) * 65536.0);
      }
      out.push_back(sum);
    }
  }
  return out;
}

struct Study {
  int images = 0, exact = 0, agree_float_head = 0, agree_network = 0;
  double worst_margin_error = 0;  // |fixed-point - float| of logit 1 - logit 0
};

// The encrypted round trip of `features` through `head`, against the Int128 reference, the same head in
// double precision and (when given) the network's own probabilities.
Study run(const LinearHead& head, const std::vector<float>& features, int images,
          const std::vector<double>& network_probabilities = {}) {
  const QuantizedHead quantized = quantize_head(head).value();
  // Through the JSON messages, as between two processes.
  const FeatureRequest request =
      parse_feature_request(to_json(encrypt_features(key(), features, images, head.inputs, head.model).value())).value();
  const LogitReply reply = parse_logit_reply(to_json(evaluate_head(quantized, request).value())).value();
  const std::vector<std::int64_t> logits = decrypt_logits(key(), reply).value();
  const std::vector<Int128> expected = reference_logits(head, features, images);
  Study st;
  st.images = images;
  for (int s = 0; s < images; ++s) {
    std::vector<double> fixed(head.classes), plain(head.classes);
    bool exact = true;
    for (int j = 0; j < head.classes; ++j) {
      const std::size_t at = std::size_t(s) * head.classes + j;
      exact = exact && Int128(logits[at]) == expected[at];
      fixed[j] = std::ldexp(double(logits[at]), -kLogitScaleBits);
      plain[j] = head.bias[j];
      for (int i = 0; i < head.inputs; ++i) {
        plain[j] += double(head.weight[std::size_t(j) * head.inputs + i]) * features[std::size_t(s) * head.inputs + i];
      }
    }
    st.exact += exact;
    const int k = metrics::predicted_class(fixed);
    st.agree_float_head += k == metrics::predicted_class(plain);
    if (!network_probabilities.empty()) {
      st.agree_network += k == metrics::predicted_class(std::span<const double>(
                                   network_probabilities.data() + std::size_t(s) * head.classes, head.classes));
    }
    if (head.classes == 2) {
      st.worst_margin_error = std::max(st.worst_margin_error, std::fabs((fixed[1] - fixed[0]) - (plain[1] - plain[0])));
    }
  }
  return st;
}

// Real X-rays through a real (untrained, seeded) network's features and a seeded random head: two groups
// of packed images (31 per ciphertext at 2048 bits), exact against the Int128 sums.
TEST(EncryptedHead, GivesTheExactFixedPointLogitsOfRealFeatures) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  nn::ClassSetOptions o;
  o.folder = test::shared_data() / "train" / "kermany_pneumonia_cxr";
  o.limit = 40;  // a seeded sample of each split
  o.test_only = true;
  const nn::ClassSet set = nn::load_class_set(o).value();
  const nn::ClassifierConfig config{"resnet", "pneumonia", set.classes, 1, 32, 8};
  const nn::ClassifierModel model = nn::ClassifierModel::fresh(config, 3).value();
  const std::vector<nn::ClassifierSample> samples = nn::classifier_samples(set.test, 1, 32).value();
  std::vector<float> inputs;
  for (const auto& s : samples) inputs.insert(inputs.end(), s.input.begin(), s.input.end());
  ASSERT_GE(samples.size(), 35u);  // more than one group
  const int images = static_cast<int>(samples.size());
  const std::vector<float> features = model.features(inputs, images).value();
  ASSERT_EQ(features.size(), std::size_t(images) * model.feature_count());
  for (float f : features) ASSERT_GE(f, 0.0f);  // after ReLU and pooling

  LinearHead head{3, model.feature_count(), {}, {0.25f, -1.5f, 3.0f}, "fresh"};
  std::mt19937 rng(5);
  std::normal_distribution<float> w(0.0f, 2.0f);
  for (int i = 0; i < head.classes * head.inputs; ++i) head.weight.push_back(w(rng));
  const Study st = run(head, features, images);
  EXPECT_EQ(st.exact, images);
  EXPECT_EQ(st.agree_float_head, images);
}

TEST(EncryptedHead, RefusesOtherKeysModelsAndBrokenMessages) {
  LinearHead head{2, 3, {0.5f, -1.0f, 2.0f, 0.25f, 0.0f, -0.5f}, {0.1f, -0.2f}, "model-a"};
  const QuantizedHead q = quantize_head(head).value();
  const std::vector<float> features = {1.0f, 2.0f, 3.0f, 0.5f, 0.0f, 7.25f};
  const FeatureRequest request = encrypt_features(key(), features, 2, 3, "model-a").value();
  const LogitReply reply = evaluate_head(q, request).value();
  const std::vector<std::int64_t> logits = decrypt_logits(key(), reply).value();
  const std::vector<Int128> expected = reference_logits(head, features, 2);
  ASSERT_EQ(logits.size(), expected.size());
  for (std::size_t i = 0; i < logits.size(); ++i) EXPECT_EQ(Int128(logits[i]), expected[i]) << i;
  // 0.5*1 - 1*2 + 2*3 + 0.1 = 4.6 for image 1, class 0, at scale 2^32.
  EXPECT_NEAR(std::ldexp(double(logits[0]), -32), 4.6, 1e-4);
  // Fresh randomness: the same features give other ciphertexts, and every request its own id.
  const FeatureRequest again = encrypt_features(key(), features, 2, 3, "model-a").value();
  EXPECT_NE(again.ciphertexts[0].value, request.ciphertexts[0].value);
  EXPECT_NE(again.request_id, request.request_id);
  EXPECT_TRUE(check_reply_matches(request, reply));
  EXPECT_EQ(check_reply_matches(again, reply).error().code, ErrorCode::kMalformed);

  // Another model's head, another feature count.
  QuantizedHead other = q;
  other.model = "model-b";
  EXPECT_EQ(evaluate_head(other, request).error().code, ErrorCode::kUnsupported);
  LinearHead wider = head;
  wider.inputs = 2;
  wider.weight.resize(4);
  wider.model = "model-a";
  EXPECT_EQ(evaluate_head(quantize_head(wider).value(), request).error().code, ErrorCode::kUnsupported);
  // A reply to another key: refused by its key id before any decryption.
  const PrivateKey stranger = PrivateKey::generate(2048).value();
  EXPECT_EQ(decrypt_logits(stranger, reply).error().code, ErrorCode::kWrongKey);
  // A request whose key id does not name its modulus; a missing ciphertext; a tampered one.
  FeatureRequest lying = request;
  lying.key_id = stranger.public_key().key_id();
  EXPECT_EQ(evaluate_head(q, lying).error().code, ErrorCode::kMalformed);
  FeatureRequest short_request = request;
  short_request.ciphertexts.pop_back();
  EXPECT_EQ(evaluate_head(q, short_request).error().code, ErrorCode::kMalformed);
  LogitReply tampered = reply;
  tampered.ciphertexts[0].value[7] ^= 1;
  EXPECT_EQ(decrypt_logits(key(), tampered).error().code, ErrorCode::kMalformed);
  // Values outside the fixed-point range.
  const std::vector<float> huge = {1.0f, 300.0f, 0.0f};
  EXPECT_EQ(encrypt_features(key(), huge, 1, 3, "model-a").error().code, ErrorCode::kLimits);
  const std::vector<float> nan = {1.0f, std::nanf(""), 0.0f};
  EXPECT_EQ(encrypt_features(key(), nan, 1, 3, "model-a").error().code, ErrorCode::kLimits);
  LinearHead heavy = head;
  heavy.weight[2] = 1000.0f;
  EXPECT_EQ(quantize_head(heavy).error().code, ErrorCode::kLimits);
  // A slot beyond the bound (what a lower slot's overflow would leave) is refused, not passed on.
  LogitReply overflowed = reply;
  const std::int64_t beyond[] = {kMaxLogit, 0};
  overflowed.ciphertexts[0] = key().public_key().encrypt_packed(beyond, kSlotBits).value();
  EXPECT_EQ(decrypt_logits(key(), overflowed).error().code, ErrorCode::kMalformed);
  // Broken JSON messages: syntax, fields of the wrong type or out of range; none may throw.
  EXPECT_EQ(parse_feature_request("{").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_feature_request("{\"format\": 1}").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_feature_request("[1, 2]").error().code, ErrorCode::kMalformed);
  const auto edited = [](std::string json, const std::string& from, const std::string& to) {
    const std::size_t at = json.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? json : json.replace(at, from.size(), to);
  };
  const std::string request_json = to_json(request), reply_json = to_json(reply);
  EXPECT_EQ(parse_logit_reply(edited(reply_json, "\"version\":1", "\"version\":\"1\"")).error().code, ErrorCode::kVersion);
  EXPECT_EQ(parse_logit_reply(edited(reply_json, "\"version\":1", "\"version\":1.9")).error().code, ErrorCode::kVersion);
  EXPECT_EQ(parse_logit_reply(edited(reply_json, "\"classes\":2", "\"classes\":true")).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_feature_request(edited(request_json, "\"images\":2", "\"images\":4294967298")).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_feature_request(edited(request_json, "\"images\":2", "\"images\":1e300")).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_feature_request(edited(request_json, "\"images\":2", "\"images\":-1")).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_feature_request(edited(request_json, "\"model\":\"model-a\"", "\"model\":7")).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_feature_request(edited(request_json, "\"ciphertexts\":[", "\"ciphertexts\":[\"AAAA\",")).error().code,
            ErrorCode::kMalformed);  // a ciphertext of the wrong length
  EXPECT_EQ(parse_feature_request(to_json(reply)).error().code, ErrorCode::kMalformed);
  std::string json = to_json(request);
  json.replace(json.find("\"version\":1"), 11, "\"version\":9");
  EXPECT_EQ(parse_feature_request(json).error().code, ErrorCode::kVersion);
  json = to_json(reply);
  const std::size_t at = json.find("\"ciphertexts\":[\"") + 16;
  json[at] = '*';
  EXPECT_EQ(parse_logit_reply(json).error().code, ErrorCode::kMalformed);
}

// At the edges of the bound: the largest features, weights and bias, 8192 inputs, in the clear against
// Int128; then encrypted, with signs that make the largest positive and negative scores.
TEST(EncryptedHead, TheBoundHoldsAtItsEdges) {
  const float top = std::nextafter(256.0f, 0.0f);  // 256 - 2^-16
  const float top_bias = 16777215.0f;              // 2^24 - 1
  LinearHead head{2, kMaxInputs, {}, {top_bias, -top_bias}, "edge"};
  for (int i = 0; i < kMaxInputs; ++i) head.weight.push_back(top);
  for (int i = 0; i < kMaxInputs; ++i) head.weight.push_back(-top);
  const std::vector<float> features(kMaxInputs, top);
  const QuantizedHead q = quantize_head(head).value();
  const std::vector<std::int64_t> plain = plain_logits(q, quantize_features(features).value(), 1);
  const std::vector<Int128> expected = reference_logits(head, features, 1);
  EXPECT_EQ(Int128(plain[0]), expected[0]);
  EXPECT_EQ(Int128(plain[1]), expected[1]);
  EXPECT_LT(expected[0], Int128(kMaxLogit));
  EXPECT_GT(expected[1], -Int128(kMaxLogit));
  EXPECT_EQ(quantize_features(std::vector<float>{256.0f}).error().code, ErrorCode::kLimits);
  // Encrypted: 40 inputs at the edge, two images in one group, every slot near its extreme.
  LinearHead small{2, 40, {}, {top_bias, -top_bias}, "edge"};
  for (int i = 0; i < 80; ++i) small.weight.push_back(i < 40 ? top : -top);
  std::vector<float> two(80, top);
  for (int i = 40; i < 80; ++i) two[i] = i % 2 ? top : 0.0f;
  const LogitReply reply = evaluate_head(quantize_head(small).value(), encrypt_features(key(), two, 2, 40, "edge").value()).value();
  const std::vector<std::int64_t> logits = decrypt_logits(key(), reply).value();
  const std::vector<Int128> want = reference_logits(small, two, 2);
  for (std::size_t i = 0; i < logits.size(); ++i) EXPECT_EQ(Int128(logits[i]), want[i]) << i;
}

// Every held-out image of the shipped pneumonia network (254 X-rays, the split recorded in its weights).
TEST(ShippedModels, EncryptedHeadEqualsFixedPointOnEveryHeldOutXRay) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const std::filesystem::path path = nn::classifier_model_path("pneumonia");
  const nn::Weights weights = nn::read_weights_file(path).value();
  const nn::ClassifierModel model = nn::ClassifierModel::from_weights(weights).value();
  nn::ClassSetOptions o = nn::recorded_split(model).value();
  o.test_only = true;
  const nn::ClassSet set = nn::load_class_set(o).value();
  ASSERT_EQ(set.test.size(), 254u);
  const std::vector<nn::ClassifierSample> samples = nn::classifier_samples(set.test, model.config().channels, model.config().side).value();
  std::vector<float> inputs;
  for (const auto& s : samples) inputs.insert(inputs.end(), s.input.begin(), s.input.end());
  const int images = static_cast<int>(samples.size());
  const std::vector<float> features = model.features(inputs, images).value();
  const Study st = run(linear_head(weights), features, images, model.probabilities(inputs, images).value());
  std::printf("254 held-out X-rays: %d exact, %d agree with the float head, %d with the network; worst margin error %.3g\n",
              st.exact, st.agree_float_head, st.agree_network, st.worst_margin_error);
  EXPECT_EQ(st.exact, 254);
  EXPECT_EQ(st.agree_float_head, 254);
  EXPECT_EQ(st.agree_network, 254);
  // Steps of 2^-16 in 128 features and weights move the logit margin by far less than 0.01.
  EXPECT_LT(st.worst_margin_error, 0.01);
}

}  // namespace
}  // namespace medcrypt::he
