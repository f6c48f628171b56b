#include "analysis/thumbnails.hpp"

#include <algorithm>
#include <cmath>

#include "image/image_file.hpp"
#include "metrics/channel.hpp"

namespace medcrypt::analysis {
namespace {

// Frame 0's channels (1, or 3 for colour), values in [0, 2^bits - 1].
std::vector<metrics::Channel> first_frame(const image::Image& image) {
  std::vector<metrics::Channel> channels = metrics::split_channels(image);
  channels.resize(channels.size() == 3 ? 3 : 1);
  for (metrics::Channel& c : channels) c.frames = 1;
  return channels;
}

struct Window {
  double low = 0, high = 1;
};

Window full_range(const metrics::Channel& c) { return {0, double(c.max_value())}; }

Window plain_window(const std::vector<metrics::Channel>& channels) {
  if (channels[0].bits <= 8) return full_range(channels[0]);
  std::uint16_t low = 0xffff, high = 0;
  for (const metrics::Channel& c : channels) {
    const auto [lo, hi] = std::ranges::minmax_element(c.values());
    low = std::min(low, *lo);
    high = std::max(high, *hi);
  }
  return {double(low), double(std::max<std::uint16_t>(high, low + 1))};
}

// Box-filtered to fit `side`, mapped through `window` to 8 bits, as a PNG.
Result<Bytes> picture(const std::vector<metrics::Channel>& channels, Window window, std::uint32_t side) {
  const std::uint32_t w = channels[0].width, h = channels[0].height;
  const std::uint32_t step = std::max<std::uint32_t>(1, (std::max(w, h) + side - 1) / side);
  const std::uint32_t tw = std::max<std::uint32_t>(1, w / step), th = std::max<std::uint32_t>(1, h / step);
  const auto samples = static_cast<std::uint8_t>(channels.size());
  const image::Geometry g{tw, th, 1, samples, 8, 8, false, samples == 3 ? "RGB" : "MONOCHROME2"};
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image out, image::Image::create(g));
  const double scale = 255.0 / (window.high - window.low);
  for (std::uint32_t y = 0; y < th; ++y) {
    for (std::uint32_t x = 0; x < tw; ++x) {
      for (std::uint8_t s = 0; s < samples; ++s) {
        double sum = 0;
        std::uint32_t count = 0;
        for (std::uint32_t yy = y * step; yy < std::min(h, (y + 1) * step); ++yy) {
          for (std::uint32_t xx = x * step; xx < std::min(w, (x + 1) * step); ++xx, ++count) sum += channels[s].row(0, yy)[xx];
        }
        const double v = std::clamp((sum / std::max(count, 1u) - window.low) * scale, 0.0, 255.0);
        out.set_word((std::size_t{y} * tw + x) * samples + s, static_cast<std::uint32_t>(std::lround(v)));
      }
    }
  }
  return image::encode_image(out, image::FileFormat::kPng);
}

}  // namespace

Result<Thumbnails> make_thumbnails(const image::Image& plain, const image::Image* cipher,
                                   const image::Image& decrypted, std::uint32_t side) {
  const std::vector<metrics::Channel> p = first_frame(plain), d = first_frame(decrypted);
  const std::vector<metrics::Channel> c = cipher ? first_frame(*cipher) : std::vector<metrics::Channel>{};
  if (p.size() != d.size() || p[0].values().size() != d[0].values().size() ||
      (cipher && (p[0].width != c[0].width || p[0].height != c[0].height))) {
    return make_error(ErrorCode::kInternal, "thumbnails: the plain, cipher and decrypted images differ in shape");
  }
  Thumbnails t;
  std::vector<metrics::Channel> diff = p;
  for (std::size_t s = 0; s < p.size(); ++s) {
    const auto before = p[s].values(), after = d[s].values();
    diff[s].borrowed = nullptr;
    diff[s].owned.resize(before.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
      const int delta = std::abs(int(before[i]) - int(after[i]));
      diff[s].owned[i] = static_cast<std::uint16_t>(delta);
      t.max_difference = std::max<std::uint32_t>(t.max_difference, delta);
    }
  }
  const Window window = plain_window(p);
  MEDCRYPT_ASSIGN_OR_RETURN(t.plain, picture(p, window, side));
  if (cipher) {
    MEDCRYPT_ASSIGN_OR_RETURN(t.cipher, picture(c, full_range(c[0]), side));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(t.decrypted, picture(d, window, side));
  MEDCRYPT_ASSIGN_OR_RETURN(t.difference, picture(diff, {0, double(std::max<std::uint32_t>(t.max_difference, 1))}, side));
  return t;
}

}  // namespace medcrypt::analysis
