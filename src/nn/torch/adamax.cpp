#include "nn/torch/adamax.hpp"

namespace medcrypt::nn {

torch::Tensor Adamax::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const AdamaxOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const torch::Tensor& g = p.grad();
      auto& slot = state_[c10::guts::to_string(p.unsafeGetTensorImpl())];
      if (!slot) {
        auto fresh = std::make_unique<AdamaxParamState>();
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_inf(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& s = static_cast<AdamaxParamState&>(*slot);
      s.step(s.step() + 1);
      s.exp_avg().mul_(options.beta1()).add_(g, 1 - options.beta1());
      torch::maximum_out(s.exp_inf(), s.exp_inf().mul(options.beta2()), g.abs());
      const double rate = options.lr() / (1 - std::pow(options.beta1(), static_cast<double>(s.step())));
      p.addcdiv_(s.exp_avg(), s.exp_inf() + options.eps(), -rate);
    }
  }
  return loss;
}

}  // namespace medcrypt::nn
