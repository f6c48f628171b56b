#include "chaos/henon.hpp"

#include <cmath>

namespace medcrypt::chaos {

HenonStream::HenonStream(const HenonParams& p) : a_(p.a), b_(p.b), x_(p.x0), y_(p.y0) {
  double x = x_, y = y_;
  for (std::uint32_t i = 0; i < p.warmup; ++i) {
    double xn = (1.0 + y) - (a_ * x) * x;
    y = b_ * x;
    x = xn;
  }
  x_ = x;
  y_ = y;
}

bool HenonStream::finite() const { return std::isfinite(x_) && std::isfinite(y_) && std::fabs(x_) < 4.0; }

void HenonStream::fill(std::span<std::uint16_t> out) {
  std::size_t i = 0;
  if (pending_ && !out.empty()) {
    out[i++] = pending_word_;
    pending_ = false;
  }
  const double a = a_, b = b_;
  double x = x_, y = y_;
  for (; i + 2 <= out.size(); i += 2) {
    double xn = (1.0 + y) - (a * x) * x;
    y = b * x;
    x = xn;
    out[i] = quantise(x);
    out[i + 1] = quantise(y);
  }
  if (i < out.size()) {
    double xn = (1.0 + y) - (a * x) * x;
    y = b * x;
    x = xn;
    out[i] = quantise(x);
    pending_word_ = quantise(y);
    pending_ = true;
  }
  x_ = x;
  y_ = y;
}

std::uint16_t HenonStream::next() {
  std::uint16_t w;
  fill(std::span<std::uint16_t>(&w, 1));
  return w;
}

double HenonStream::lyapunov(std::uint32_t steps) const {
  // Tangent vector (u, w) under the Jacobian [[-2 a x, 1], [b, 0]], renormalised every step.
  double x = x_, y = y_, u = 1.0, w = 0.0, sum = 0.0;
  for (std::uint32_t i = 0; i < steps; ++i) {
    double un = -2.0 * a_ * x * u + w;
    w = b_ * u;
    u = un;
    double norm = std::sqrt(u * u + w * w);
    sum += std::log(norm);
    u /= norm;
    w /= norm;
    double xn = (1.0 + y) - (a_ * x) * x;
    y = b_ * x;
    x = xn;
  }
  return steps == 0 ? 0.0 : sum / steps;
}

}  // namespace medcrypt::chaos
