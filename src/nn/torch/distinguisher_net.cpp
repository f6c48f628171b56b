// The distinguisher's CNN and its training (nn/distinguisher.hpp).
#include <chrono>
#include <numeric>
#include <random>

#include "nn/torch/network.hpp"

namespace medcrypt::nn {
namespace {

class DistinguisherNetImpl : public torch::nn::Module {
 public:
  explicit DistinguisherNetImpl(int channels)
      : c1_(register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 16, 3).padding(1)))),
        c2_(register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).stride(2).padding(1)))),
        c3_(register_module("c3", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).stride(2).padding(1)))),
        head_(register_module("head", torch::nn::Linear(64, 1))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(c1_->forward(x - 0.5));
    x = torch::relu(c2_->forward(x));
    x = torch::relu(c3_->forward(x));
    return head_->forward(x.mean({2, 3})).squeeze(1);
  }

 private:
  torch::nn::Conv2d c1_, c2_, c3_;
  torch::nn::Linear head_;
};
TORCH_MODULE(DistinguisherNet);

torch::Tensor stack(const std::vector<DistinguisherSample>& samples, const std::vector<std::size_t>& pick,
                    const DistinguisherOptions& o) {
  const long size = long(o.channels) * o.side * o.side;
  torch::Tensor x = torch::empty({long(pick.size()), o.channels, o.side, o.side});
  float* out = x.data_ptr<float>();
  for (std::size_t i = 0; i < pick.size(); ++i) {
    std::copy(samples[pick[i]].values.begin(), samples[pick[i]].values.end(), out + long(i) * size);
  }
  return x;
}

}  // namespace

Result<DistinguisherResult> train_distinguisher_net(const std::vector<DistinguisherSample>& train,
                                                    const std::vector<DistinguisherSample>& held_out,
                                                    const DistinguisherOptions& o) {
  return torch_call("distinguisher", [&]() -> Result<DistinguisherResult> {
    ThreadScope scope(o.threads);
    const auto start = std::chrono::steady_clock::now();
    torch::manual_seed(o.seed);
    DistinguisherNet net(o.channels);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(o.learning_rate));
    std::mt19937_64 rng(o.seed);
    std::vector<std::size_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);
    DistinguisherResult result;
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
      std::shuffle(order.begin(), order.end(), rng);
      double loss_sum = 0;
      std::size_t batches = 0;
      for (std::size_t at = 0; at < order.size(); at += o.batch) {
        const std::vector<std::size_t> pick(order.begin() + at, order.begin() + std::min(order.size(), at + o.batch));
        torch::Tensor labels = torch::empty({long(pick.size())});
        for (std::size_t i = 0; i < pick.size(); ++i) labels[long(i)] = float(train[pick[i]].label);
        adam.zero_grad();
        const torch::Tensor loss = torch::binary_cross_entropy_with_logits(net->forward(stack(train, pick, o)), labels);
        loss.backward();
        adam.step();
        loss_sum += loss.item<double>();
        ++batches;
      }
      result.epoch_loss.push_back(loss_sum / double(batches));
    }
    torch::NoGradGuard no_grad;
    net->eval();
    for (std::size_t at = 0; at < held_out.size(); at += 256) {
      std::vector<std::size_t> pick;
      for (std::size_t i = at; i < std::min(held_out.size(), at + 256); ++i) pick.push_back(i);
      const torch::Tensor logits = net->forward(stack(held_out, pick, o));
      for (long i = 0; i < logits.size(0); ++i) result.predictions.push_back(logits[i].item<float>() > 0 ? 1 : 0);
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  });
}

}  // namespace medcrypt::nn
