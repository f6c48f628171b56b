// Adamax (Kingma and Ba 2015, section 7.1) as a libtorch optimizer: libtorch 1.13 has none, and paper 002
// trains with Keras's 'adamax'. The update is Keras's, with its defaults:
//   m   = beta1 m + (1 - beta1) g
//   u   = max(beta2 u, |g|)
//   p  -= lr / (1 - beta1^t) * m / (u + eps)          lr 0.001, beta1 0.9, beta2 0.999, eps 1e-7
// (torch's Python Adamax puts eps inside the max instead; the two differ only where |g| is near eps.)
#pragma once

#include <torch/torch.h>

namespace medcrypt::nn {

struct AdamaxOptions : public torch::optim::OptimizerCloneableOptions<AdamaxOptions> {
  explicit AdamaxOptions(double lr = 1e-3) : lr_(lr) {}
  TORCH_ARG(double, lr) = 1e-3;
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.999;
  TORCH_ARG(double, eps) = 1e-7;
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct AdamaxParamState : public torch::optim::OptimizerCloneableParamState<AdamaxParamState> {
  TORCH_ARG(std::int64_t, step) = 0;
  TORCH_ARG(torch::Tensor, exp_avg);  // m
  TORCH_ARG(torch::Tensor, exp_inf);  // u
};

class Adamax : public torch::optim::Optimizer {
 public:
  Adamax(std::vector<torch::Tensor> params, AdamaxOptions defaults = AdamaxOptions())
      : Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                  std::make_unique<AdamaxOptions>(defaults)) {}
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace medcrypt::nn
