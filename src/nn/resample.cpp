#include "nn/resample.hpp"

#include <algorithm>
#include <cmath>

#include "metrics/channel.hpp"

namespace medcrypt::nn {
namespace {

// Area-average weights of a 1-D resampling from n to m cells: output i covers [i n/m, (i+1) n/m).
struct Taps {
  std::vector<std::size_t> first;
  std::vector<std::vector<double>> weights;
};
Taps area_taps(std::size_t n, std::size_t m) {
  Taps taps;
  const double s = double(n) / double(m);
  for (std::size_t i = 0; i < m; ++i) {
    const double lo = i * s, hi = (i + 1) * s;
    const auto j0 = static_cast<std::size_t>(std::floor(lo));
    const auto j1 = std::min(n, static_cast<std::size_t>(std::ceil(hi)));
    std::vector<double> w;
    for (std::size_t j = j0; j < j1; ++j) w.push_back((std::min(hi, double(j + 1)) - std::max(lo, double(j))) / s);
    taps.first.push_back(j0);
    taps.weights.push_back(std::move(w));
  }
  return taps;
}

}  // namespace

std::vector<float> area_resample(const image::Image& img, int side, int channel, bool binary) {
  const image::Geometry& g = img.geometry();
  const Taps tx = area_taps(g.width, side), ty = area_taps(g.height, side);
  const double scale = 1.0 / g.max_value();
  const std::size_t stride = g.samples;
  std::vector<double> rows(std::size_t(side) * g.height);  // each source row resampled in x
  for (std::uint32_t y = 0; y < g.height; ++y) {
    for (int x = 0; x < side; ++x) {
      double sum = 0;
      for (std::size_t k = 0; k < tx.weights[x].size(); ++k) {
        const std::size_t pixel = std::size_t{y} * g.width + tx.first[x] + k;
        const std::uint32_t v = metrics::sample_value(img.word(pixel * stride + channel), g);
        sum += tx.weights[x][k] * (binary ? double(v != 0) : v * scale);
      }
      rows[std::size_t{y} * side + x] = sum;
    }
  }
  std::vector<float> out(std::size_t(side) * side);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      double sum = 0;
      for (std::size_t k = 0; k < ty.weights[y].size(); ++k) sum += ty.weights[y][k] * rows[(ty.first[y] + k) * side + x];
      out[std::size_t(y) * side + x] = static_cast<float>(sum);
    }
  }
  return out;
}

}  // namespace medcrypt::nn
