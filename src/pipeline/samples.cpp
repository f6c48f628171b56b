#include "pipeline/samples.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "image/image_file.hpp"

namespace medcrypt::pipeline {
namespace {

struct Ellipse {
  double intensity, a, b, x0, y0, phi_deg;
};

// Toft's modified Shepp-Logan parameters (better contrast than the original 1974 values).
constexpr Ellipse kSheppLogan[] = {
    {1.0, 0.69, 0.92, 0.0, 0.0, 0},         {-0.8, 0.6624, 0.8740, 0.0, -0.0184, 0},
    {-0.2, 0.11, 0.31, 0.22, 0.0, -18},     {-0.2, 0.16, 0.41, -0.22, 0.0, 18},
    {0.1, 0.21, 0.25, 0.0, 0.35, 0},        {0.1, 0.046, 0.046, 0.0, 0.1, 0},
    {0.1, 0.046, 0.046, 0.0, -0.1, 0},      {0.1, 0.046, 0.023, -0.08, -0.605, 0},
    {0.1, 0.023, 0.023, 0.0, -0.606, 0},    {0.1, 0.023, 0.046, 0.06, -0.605, 0},
};

// Phantom value at normalised coordinates (x right, y up, both in [-1, 1]).
double phantom_at(double x, double y) {
  double v = 0;
  for (const auto& e : kSheppLogan) {
    double phi = e.phi_deg * std::numbers::pi / 180.0;
    double dx = x - e.x0, dy = y - e.y0;
    double u = dx * std::cos(phi) + dy * std::sin(phi);
    double w = -dx * std::sin(phi) + dy * std::cos(phi);
    if ((u * u) / (e.a * e.a) + (w * w) / (e.b * e.b) <= 1.0) v += e.intensity;
  }
  return v;
}

// Samples the phantom on a width x height grid (aspect kept, centred).
std::vector<double> sample(std::uint32_t width, std::uint32_t height) {
  std::vector<double> out(std::size_t{width} * height);
  double scale = 2.0 / std::min(width, height);
  for (std::uint32_t r = 0; r < height; ++r) {
    for (std::uint32_t c = 0; c < width; ++c) {
      double x = (c + 0.5 - width / 2.0) * scale, y = (height / 2.0 - r - 0.5) * scale;
      out[std::size_t{r} * width + c] = phantom_at(x, y);
    }
  }
  return out;
}

}  // namespace

std::vector<double> shepp_logan(std::uint32_t size) { return sample(size, size); }

Result<std::vector<std::filesystem::path>> write_sample_images(const std::filesystem::path& dir) {
  std::mt19937 rng(20261121);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<std::filesystem::path> written;

  {  // CT: 12 bits stored; 0 is air (-1024 HU with the usual intercept), the skull near 2000
    image::Geometry g{512, 512, 1, 1, 16, 12, false, "MONOCHROME2"};
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image ct, image::Image::create(g));
    auto values = shepp_logan(512);
    for (std::size_t i = 0; i < values.size(); ++i) {
      double hu = values[i] * 2000.0 + (values[i] > 0 ? 12.0 * noise(rng) : 0.0);
      ct.set_word(i, static_cast<std::uint32_t>(std::clamp(std::lround(hu), 0L, 4095L)));
    }
    MEDCRYPT_ASSIGN_OR_RETURN(Bytes attributes, image::new_dicom_attributes("CT", g));
    auto path = dir / "ct_phantom.dcm";
    MEDCRYPT_TRY(image::write_image_file(path, ct, image::FileFormat::kDicom, attributes));
    written.push_back(path);
  }
  {  // 8-bit grey, as an MR slice exported to PNG
    image::Geometry g{256, 256, 1, 1, 8, 8, false, "MONOCHROME2"};
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image mr, image::Image::create(g));
    auto values = shepp_logan(256);
    for (std::size_t i = 0; i < values.size(); ++i) {
      double v = values[i] * 220.0 + 10.0 + 3.0 * noise(rng);
      mr.set_word(i, static_cast<std::uint32_t>(std::clamp(std::lround(v), 0L, 255L)));
    }
    auto path = dir / "mr_phantom.png";
    MEDCRYPT_TRY(image::write_image_file(path, mr, image::FileFormat::kPng));
    written.push_back(path);
  }
  {  // RGB: each channel weights the phantom differently, like a stained or photographed specimen
    image::Geometry g{320, 240, 1, 3, 8, 8, false, "RGB"};
    MEDCRYPT_ASSIGN_OR_RETURN(image::Image rgb, image::Image::create(g));
    auto values = sample(320, 240);
    constexpr double kGain[3] = {230.0, 140.0, 90.0}, kBase[3] = {20.0, 10.0, 40.0};
    for (std::size_t i = 0; i < values.size(); ++i) {
      for (int c = 0; c < 3; ++c) {
        double v = kBase[c] + kGain[c] * values[i] + 4.0 * noise(rng);
        rgb.set_word(i * 3 + c, static_cast<std::uint32_t>(std::clamp(std::lround(v), 0L, 255L)));
      }
    }
    auto path = dir / "rgb_phantom.png";
    MEDCRYPT_TRY(image::write_image_file(path, rgb, image::FileFormat::kPng));
    written.push_back(path);
  }
  return written;
}

}  // namespace medcrypt::pipeline
