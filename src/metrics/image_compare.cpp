#include "metrics/image_compare.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "metrics/ssim.hpp"

namespace medcrypt::metrics {
namespace {

std::string describe(const image::Geometry& g) {
  return fmt::format("{}x{}, {} frame(s), {} sample(s), {}-bit words", g.width, g.height, g.frames, g.samples,
                     g.bits_allocated);
}

ChannelComparison finish(std::string name, const DifferenceSums& sums, std::uint32_t max_value, double ssim_value) {
  ChannelComparison c;
  c.name = std::move(name);
  c.sums = sums;
  c.differential = differential_test(sums, max_value);
  c.error = error_measures(sums, max_value);
  c.ssim = ssim_value;
  return c;
}

}  // namespace

ImageComparison compare_channels(std::span<const Channel> a, std::span<const Channel> b,
                                 const std::vector<std::string>& names) {
  ImageComparison out;
  std::uint8_t bits = 0;
  for (std::size_t c = 0; c < a.size(); ++c) bits = std::max({bits, a[c].bits, b[c].bits});
  out.max_value = (1u << bits) - 1u;
  DifferenceSums all;
  double ssim_sum = 0;
  for (std::size_t c = 0; c < a.size(); ++c) {
    const DifferenceSums sums = difference_sums(a[c], b[c]);
    all += sums;
    const double s = ssim(a[c], b[c], out.max_value);
    ssim_sum += s;
    out.channels.push_back(finish(names[c], sums, out.max_value, s));
  }
  out.overall = finish("all", all, out.max_value, ssim_sum / static_cast<double>(a.size()));
  return out;
}

Result<ImageComparison> compare_images(const image::ImageView& a, const image::ImageView& b) {
  const image::Geometry& ga = a.geometry();
  const image::Geometry& gb = b.geometry();
  if (ga.width != gb.width || ga.height != gb.height || ga.frames != gb.frames || ga.samples != gb.samples ||
      ga.bits_allocated != gb.bits_allocated) {
    return make_error(ErrorCode::kUsage,
                      fmt::format("the images differ in geometry: {} against {}", describe(ga), describe(gb)));
  }
  return compare_channels(split_channels(a), split_channels(b), channel_names(ga));
}

}  // namespace medcrypt::metrics
