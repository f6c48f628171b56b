#include "chaos/henon.hpp"

#include <cmath>

namespace medcrypt::chaos {
namespace {

// One step of the map, in the documented evaluation order (henon.hpp). Every loop below takes it on
// local variables, so the state stays in registers.
inline void step(double& x, double& y, double a, double b) {
  const double xn = (1.0 + y) - (a * x) * x;
  y = b * x;
  x = xn;
}

}  // namespace

HenonStream::HenonStream(const HenonParams& p) : a_(p.a), b_(p.b), x_(p.x0), y_(p.y0) {
  double x = x_, y = y_;
  for (std::uint32_t i = 0; i < p.warmup; ++i) {
    step(x, y, a_, b_);
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
    step(x, y, a, b);
    out[i] = quantise(x);
    out[i + 1] = quantise(y);
  }
  if (i < out.size()) {
    step(x, y, a, b);
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
    step(x, y, a_, b_);
  }
  return steps == 0 ? 0.0 : sum / steps;
}

}  // namespace medcrypt::chaos
