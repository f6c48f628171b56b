#include "attacks/distinguisher.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <boost/math/distributions/binomial.hpp>
#include <fmt/format.h>

#include "attacks/oracle.hpp"
#include "crypto/random.hpp"
#include "nn/dataset.hpp"
#include "nn/distinguisher.hpp"

namespace medcrypt::attacks {
namespace {

struct SampleMaker {
  const schemes::Scheme* scheme;
  std::mt19937_64 rng;

  std::vector<float> values_of(const image::Image& image) const {
    const double scale = 1.0 / ((std::uint64_t{1} << image.geometry().bits_allocated) - 1);
    std::vector<float> v(image.geometry().sample_count());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(image.word(i) * scale);
    return v;
  }

  Result<image::Image> encrypt(const SecretBytes& key, const image::Image& plain) {
    MEDCRYPT_ASSIGN_OR_RETURN(const Bytes message_id, crypto::random_bytes(16));
    return Oracle::encrypt_under(*scheme, key, message_id, plain);
  }

  // Uniform words of `g`, or with the top bit set with probability 0.6 (the biased control).
  Result<image::Image> random_image(const image::Geometry& g, bool biased) {
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image out, image::Image::create(g));
    const std::uint32_t top = 1u << (g.bits_allocated - 1);
    std::bernoulli_distribution set(0.6);
    for (std::size_t i = 0; i < g.sample_count(); ++i) {
      std::uint32_t w = static_cast<std::uint32_t>(rng()) & (top * 2 - 1);
      if (biased) w = (w & (top - 1)) | (set(rng) ? top : 0);
      out.set_word(i, w);
    }
    return out;
  }

  static std::vector<float> concat(std::vector<float> a, const std::vector<float>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  // One sample of `label` from plain image `p` (and `q`, another plain image, for unrelated pairs).
  Result<nn::DistinguisherSample> make(const std::string& mode, int label, const image::Image& p, const image::Image& q) {
    if (scheme == nullptr) {
      MEDCRYPT_ASSIGN_OR_RETURN(const image::Image r, random_image(p.geometry(), label == 1));
      return nn::DistinguisherSample{values_of(r), label};
    }
    MEDCRYPT_ASSIGN_OR_RETURN(const SecretBytes key, crypto::random_secret(32));
    if (mode == "cipher") {
      if (label == 0) {
        MEDCRYPT_ASSIGN_OR_RETURN(const image::Image r, random_image(p.geometry(), false));
        return nn::DistinguisherSample{values_of(r), 0};
      }
      MEDCRYPT_ASSIGN_OR_RETURN(const image::Image c, encrypt(key, p));
      return nn::DistinguisherSample{values_of(c), 1};
    }
    MEDCRYPT_ASSIGN_OR_RETURN(const image::Image first, encrypt(key, p));
    image::Image second;
    if (mode == "plain") {
      image::Image other = q;
      if (label == 1) {
        other = p;
        const std::size_t at = rng() % p.geometry().sample_count();
        const std::uint32_t w = p.word(at);
        other.set_word(at, w == p.geometry().max_value() ? w - 1 : w + 1);
      }
      MEDCRYPT_ASSIGN_OR_RETURN(second, encrypt(key, other));
    } else {
      SecretBytes other_key(key.span());
      if (label == 1) {
        const std::size_t bit = rng() % 256;
        other_key.mutable_span()[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      } else {
        MEDCRYPT_ASSIGN_OR_RETURN(other_key, crypto::random_secret(32));
      }
      MEDCRYPT_ASSIGN_OR_RETURN(second, encrypt(other_key, p));
    }
    return nn::DistinguisherSample{concat(values_of(first), values_of(second)), label};
  }
};

}  // namespace

BinomialTest binomial_test(std::size_t correct, std::size_t n) {
  using boost::math::binomial_distribution;
  BinomialTest t;
  const double k = double(correct), trials = double(n);
  t.low = binomial_distribution<>::find_lower_bound_on_p(trials, k, 0.025);
  t.high = binomial_distribution<>::find_upper_bound_on_p(trials, k, 0.025);
  const binomial_distribution<> fair(trials, 0.5);
  // Two-sided: twice the smaller tail (the distribution is symmetric), at most 1.
  const double lower = boost::math::cdf(fair, k), upper = k == 0 ? 1.0 : boost::math::cdf(boost::math::complement(fair, k - 1));
  t.p_value = std::min(1.0, 2 * std::min(lower, upper));
  return t;
}

Result<DistinguisherReport> run_distinguisher(const schemes::Scheme* scheme, const DistinguisherSetup& setup) {
  if (setup.mode != "cipher" && setup.mode != "plain" && setup.mode != "key") {
    return make_error(ErrorCode::kUsage, "distinguisher: mode must be cipher, plain or key");
  }
  if (scheme == nullptr && setup.mode != "cipher") {
    return make_error(ErrorCode::kUsage, "distinguisher: the biased control has only the cipher mode");
  }
  if (scheme != nullptr && !scheme->info().exports_cipher_image) {
    return make_error(ErrorCode::kUnsupported, "scheme '" + scheme->info().name + "' has no cipher image to judge");
  }
  if (setup.images < 10 || setup.images > 1'000'000) {
    return make_error(ErrorCode::kUsage, "distinguisher: images must be from 10 to 1000000");
  }
  if (setup.data.empty()) return make_error(ErrorCode::kUsage, "distinguisher: data must name folders of plain images");
  nn::DistinguisherOptions net;
  net.channels = setup.mode == "cipher" ? 1 : 2;
  net.side = setup.side;
  net.epochs = setup.epochs;
  net.seed = setup.seed;
  net.threads = setup.threads;
  MEDCRYPT_TRY(nn::check_distinguisher_options(net));

  // Every sample is held in memory as floats: refuse what would not fit (4 GiB).
  const double sample_bytes = 4.0 * net.channels * double(setup.side) * setup.side;
  if (2.0 * double(setup.images) * sample_bytes > 4.0 * (1ull << 30)) {
    return make_error(ErrorCode::kLimits, "distinguisher: images x side^2 would take more than 4 GiB of samples");
  }
  const auto start = std::chrono::steady_clock::now();
  nn::DatasetOptions data;
  data.sources = setup.data;
  data.channels = 1;
  data.side = static_cast<std::uint32_t>(setup.side);
  data.test_fraction = 0.2;
  data.seed = setup.seed;
  MEDCRYPT_ASSIGN_OR_RETURN(const nn::Dataset plain, nn::load_dataset(data));
  if (plain.train.size() < 2 || plain.test.size() < 2) {
    return make_error(ErrorCode::kUsage, "distinguisher: data must hold at least two held-out and two training "
                                         "images (files: the frames of one file stay together)");
  }
  SampleMaker maker{scheme, std::mt19937_64(setup.seed)};
  const std::size_t held_per_label = std::max<std::size_t>(1, setup.images / 5);
  std::vector<nn::DistinguisherSample> train, held_out;
  // Training samples come from the dataset's training images, held-out ones from its held-out images.
  for (auto [set, pool, count] : {std::tuple{&train, &plain.train, setup.images - held_per_label},
                                  std::tuple{&held_out, &plain.test, held_per_label}}) {
    for (std::size_t i = 0; i < count; ++i) {
      for (int label : {0, 1}) {
        const std::size_t pi = maker.rng() % pool->size();
        const std::size_t qi = (pi + 1 + maker.rng() % (pool->size() - 1)) % pool->size();  // another image
        const image::Image& p = (*pool)[pi];
        const image::Image& q = (*pool)[qi];
        MEDCRYPT_ASSIGN_OR_RETURN(nn::DistinguisherSample s, maker.make(setup.mode, label, p, q));
        set->push_back(std::move(s));
      }
    }
  }
  MEDCRYPT_ASSIGN_OR_RETURN(const nn::DistinguisherResult r, nn::train_distinguisher(train, held_out, net));
  DistinguisherReport report;
  report.scheme = scheme == nullptr ? "biased control" : scheme->info().name;
  report.mode = setup.mode;
  report.train = train.size();
  report.held_out = held_out.size();
  for (std::size_t i = 0; i < held_out.size(); ++i) {
    report.correct += r.predictions[i] == held_out[i].label ? 1 : 0;
    report.predicted_cipher += r.predictions[i] == 1 ? 1 : 0;
  }
  report.accuracy = double(report.correct) / double(report.held_out);
  const BinomialTest t = binomial_test(report.correct, report.held_out);
  report.low = t.low;
  report.high = t.high;
  report.p_value = t.p_value;
  report.epoch_loss = r.epoch_loss;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace medcrypt::attacks
