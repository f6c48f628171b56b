#include "analysis/utility.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/test_mode.hpp"
#include "analysis/text_table.hpp"
#include "container/container.hpp"
#include "container/stream_io.hpp"
#include "crypto/base64.hpp"
#include "crypto/random.hpp"
#include "image/image_file.hpp"
#include "metrics/image_compare.hpp"
#include "metrics/json.hpp"
#include "nn/classifier_eval.hpp"
#include "nn/resample.hpp"

namespace medcrypt::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kThumbnailSide = 128;
constexpr std::string_view kSpeckle = "0.04";

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

double mean(const std::vector<double>& v, bool finite_only = false) {
  double sum = 0;
  std::size_t n = 0;
  for (double x : v) {
    if (finite_only && !std::isfinite(x)) continue;
    sum += x;
    ++n;
  }
  return n == 0 ? kNaN : sum / double(n);
}

// The first frame resampled to kThumbnailSide, each channel on [0, 1].
std::vector<std::vector<float>> thumbnail_planes(const image::Image& img) {
  const int channels = img.geometry().samples == 3 ? 3 : 1;
  std::vector<std::vector<float>> planes;
  for (int c = 0; c < channels; ++c) planes.push_back(nn::area_resample(img, kThumbnailSide, c));
  return planes;
}

Result<Bytes> png_of(const std::vector<std::vector<float>>& planes, double scale) {
  image::Geometry g;
  g.width = g.height = kThumbnailSide;
  g.samples = static_cast<std::uint8_t>(planes.size());
  g.bits_allocated = g.bits_stored = 8;
  g.photometric = planes.size() == 3 ? "RGB" : "MONOCHROME2";
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image out, image::Image::create(g));
  const std::size_t n = std::size_t(kThumbnailSide) * kThumbnailSide;
  for (std::size_t p = 0; p < n; ++p) {
    for (std::size_t c = 0; c < planes.size(); ++c) {
      out.set_word(p * planes.size() + c, static_cast<std::uint32_t>(std::lround(std::clamp(planes[c][p] * scale, 0.0, 1.0) * 255)));
    }
  }
  return image::encode_image(out, image::FileFormat::kPng);
}

Result<UtilityThumbnails> thumbnails_of(const std::string& file, const image::Image& original, const image::Image* cipher,
                                        const image::Image& decrypted) {
  UtilityThumbnails t;
  t.file = file;
  const auto a = thumbnail_planes(original), b = thumbnail_planes(decrypted);
  MEDCRYPT_ASSIGN_OR_RETURN(t.original, png_of(a, 1));
  MEDCRYPT_ASSIGN_OR_RETURN(t.decrypted, png_of(b, 1));
  if (cipher != nullptr) {
    MEDCRYPT_ASSIGN_OR_RETURN(t.cipher, png_of(thumbnail_planes(*cipher), 1));
  }
  std::vector<std::vector<float>> diff = a;
  for (std::size_t c = 0; c < diff.size(); ++c) {
    for (std::size_t p = 0; p < diff[c].size(); ++p) {
      diff[c][p] = std::abs(b[std::min(c, b.size() - 1)][p] - a[c][p]);
      t.difference_max = std::max(t.difference_max, double(diff[c][p]));
    }
  }
  MEDCRYPT_ASSIGN_OR_RETURN(t.difference, png_of(diff, t.difference_max > 0 ? 1 / t.difference_max : 1));
  return t;
}

struct RoundTrip {
  image::Image decrypted;
  double encrypt_ms = 0, decrypt_ms = 0;
};

// The normal path: a fresh random shared key, seal, open.
Result<RoundTrip> round_trip(const image::Image& plain, const std::string& file, const schemes::Scheme& scheme,
                             const schemes::SchemeRegistry& registry, unsigned threads) {
  MEDCRYPT_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_secret(container::kContentKeyBytes));
  container::SealOptions seal_options;
  seal_options.threads = threads;
  container::OpenOptions open_options;
  open_options.threads = threads;
  open_options.registry = &registry;
  const container::Metadata metadata{file, "png", {}, {}, {}};
  RoundTrip out;
  container::MemorySink sink;
  auto start = std::chrono::steady_clock::now();
  MEDCRYPT_TRY(container::seal(plain, metadata, scheme, container::Recipients::shared_key(key), seal_options, sink));
  out.encrypt_ms = elapsed_ms(start);
  const Bytes sealed = std::move(sink).take();
  container::MemorySource source(sealed);
  start = std::chrono::steady_clock::now();
  MEDCRYPT_ASSIGN_OR_RETURN(container::Opened opened, container::open(source, container::OpenKeys::shared_key(key), open_options));
  out.decrypt_ms = elapsed_ms(start);
  out.decrypted = std::move(opened.image);
  return out;
}

// Thumbnails of one image: the original, the cipher image of what was encrypted (the noisy image in a
// noise run; test mode, where the scheme has one), the decrypted image and the difference, with the
// classifier's prediction on each.
Result<UtilityThumbnails> illustrate(const nn::ClassExample& e, const image::Image& encrypted, const schemes::Scheme* scheme,
                                     const image::Image& decrypted, const nn::ClassifierModel& model,
                                     const std::vector<double>& original_scores, std::uint64_t seed) {
  std::optional<image::Image> cipher;
  if (scheme != nullptr && scheme->info().exports_cipher_image) {
    MEDCRYPT_ASSIGN_OR_RETURN(TestModeSetup setup, test_mode_setup(seed));
    MEDCRYPT_ASSIGN_OR_RETURN(TestModeCipher sealed, encrypt_test_mode(encrypted, *scheme, setup.shared_key, setup.fixed));
    cipher = std::move(sealed.cipher);
  }
  MEDCRYPT_ASSIGN_OR_RETURN(UtilityThumbnails t, thumbnails_of(e.file, e.image, cipher ? &*cipher : nullptr, decrypted));
  t.predicted_original = metrics::predicted_class(original_scores);
  if (cipher) {
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> p, model.classify(*cipher));
    t.predicted_cipher = metrics::predicted_class(p);
  }
  return t;
}

Status run_one(UtilityRun& run, const nn::ClassifierModel& model, const nn::ClassSet& set, const UtilityReport& report,
               const UtilityOptions& o, const schemes::SchemeRegistry& registry, std::size_t& done, std::size_t total) {
  std::unique_ptr<schemes::Scheme> scheme;
  run.lossless = !run.spec.noise;
  if (!run.spec.scheme.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(scheme, registry.create(run.spec.scheme, run.spec.params));
    if (scheme->info().control_only) {
      return make_error(ErrorCode::kUsage, "'" + run.spec.scheme + "' is a deliberately broken control, never sent");
    }
    run.lossless = run.lossless && scheme->info().lossless;
  }
  std::vector<nn::ClassExample> decrypted;
  std::vector<int> predicted_cipher;
  const unsigned threads = o.threads == 0 ? default_threads() : o.threads;
  for (std::size_t i = 0; i < set.test.size(); ++i) {
    const nn::ClassExample& e = set.test[i];
    image::Image input = run.spec.noise ? nn::add_noise(e.image, *run.spec.noise, o.seed * 1000003 + i) : e.image;
    const image::Image input_copy = run.thumbnails.size() < o.thumbnails ? input : image::Image{};
    RoundTrip trip{std::move(input), 0, 0};
    if (scheme) {
      auto r = round_trip(trip.decrypted, e.file, *scheme, registry, threads);
      if (!r) return make_error(r.error().code, e.file + ": " + r.error().message);
      trip = std::move(*r);
    }
    MEDCRYPT_ASSIGN_OR_RETURN(metrics::ImageComparison c, metrics::compare_images(e.image, trip.decrypted));
    run.psnr.push_back(c.overall.error.psnr);
    run.rmse.push_back(c.overall.error.rmse);
    run.ssim.push_back(c.overall.ssim);
    run.encrypt_ms.push_back(trip.encrypt_ms);
    run.decrypt_ms.push_back(trip.decrypt_ms);
    run.identical += trip.decrypted.bytes().size() == e.image.bytes().size() &&
                     std::equal(trip.decrypted.bytes().begin(), trip.decrypted.bytes().end(), e.image.bytes().begin());
    if (run.thumbnails.size() < o.thumbnails) {
      // The pictures only illustrate the figures: one that cannot be made is left out, not the run.
      auto t = illustrate(e, input_copy, scheme.get(), trip.decrypted, model, report.scores[i], o.seed);
      if (t) run.thumbnails.push_back(std::move(*t));
    }
    decrypted.push_back(nn::ClassExample{e.file, std::move(trip.decrypted), e.label});
    if (o.progress) o.progress(++done, total);
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> flat, nn::classify_all(model, decrypted));
  const std::size_t k = report.classes.size();
  std::size_t changed = 0;
  for (std::size_t i = 0; i < decrypted.size(); ++i) {
    run.scores.emplace_back(flat.begin() + i * k, flat.begin() + (i + 1) * k);
    changed += metrics::predicted_class(run.scores[i]) != metrics::predicted_class(report.scores[i]);
    if (i < run.thumbnails.size()) run.thumbnails[i].predicted_decrypted = metrics::predicted_class(run.scores[i]);
  }
  MEDCRYPT_ASSIGN_OR_RETURN(run.figures, metrics::score_classification(report.labels, flat, static_cast<int>(k)));
  run.changed = double(changed) / double(decrypted.size());
  run.mean_psnr = mean(run.psnr, true);
  run.mean_rmse = mean(run.rmse);
  run.mean_ssim = mean(run.ssim);
  run.mean_encrypt_ms = mean(run.encrypt_ms);
  run.mean_decrypt_ms = mean(run.decrypt_ms);
  return {};
}

std::string figure(double x, int digits = 4) {
  if (std::isnan(x)) return "-";
  if (std::isinf(x)) return "inf";
  return fmt::format("{:.{}f}", x, digits);
}

Table table_of(const UtilityReport& r) {
  Table t;
  t.title = fmt::format("Diagnostic utility: the {} classifier on {} held-out images ({}); originals: accuracy {}, MAP {}, "
                        "ROC AUC {}",
                        r.set, r.files.size(), r.split, figure(r.figures.accuracy), figure(r.figures.mean_average_precision),
                        figure(r.figures.roc_auc));
  t.columns = {"scheme", "lossless", "accuracy", "MAP", "ROC AUC", "changed", "identical", "PSNR dB", "RMSE", "SSIM",
               "enc ms", "dec ms"};
  for (const UtilityRun& run : r.runs) {
    if (!run.error.empty()) {
      t.add_row({run.spec.label(), run.lossless ? "yes" : "no", "refused: " + run.error});
      continue;
    }
    t.add_row({run.spec.label(), run.lossless ? "yes" : "no", figure(run.figures.accuracy), figure(run.figures.mean_average_precision),
               figure(run.figures.roc_auc), fmt::format("{:.1f}%", 100 * run.changed), fmt::format("{}/{}", run.identical, r.files.size()),
               run.identical == r.files.size() ? "inf" : figure(run.mean_psnr, 2), figure(run.mean_rmse, 3), figure(run.mean_ssim),
               figure(run.mean_encrypt_ms, 2), figure(run.mean_decrypt_ms, 2)});
  }
  return t;
}

}  // namespace

std::string UtilityRunSpec::label() const {
  std::string text = scheme.empty() ? "no encryption" : scheme;
  if (!params.empty()) text += "[" + schemes::format_params(params) + "]";
  if (noise) text += " + " + nn::describe(*noise);
  return text;
}

Result<std::vector<UtilityRunSpec>> utility_runs(const std::vector<std::string>& specs, const std::vector<nn::NoiseSpec>& noises,
                                                 const schemes::SchemeRegistry& registry) {
  std::vector<UtilityRunSpec> runs;
  for (const std::string& spec : specs.empty() ? std::vector<std::string>{"all"} : specs) {
    if (spec == "all") {
      for (const schemes::SchemeInfo& info : registry.list()) {
        if (!info.control_only) runs.push_back({info.name, {}, {}});
      }
      runs.push_back({"ae-aes:paper", {{"latent", "features"}}, {}});
      runs.push_back({"zigzag-gan", {{"speckle", std::string(kSpeckle)}}, {}});
      runs.push_back({"zigzag-gan:paper", {{"speckle", std::string(kSpeckle)}}, {}});
      continue;
    }
    UtilityRunSpec run;
    const std::size_t open = spec.find('[');
    run.scheme = spec.substr(0, open);
    if (open != std::string::npos) {
      if (spec.back() != ']') return make_error(ErrorCode::kUsage, "scheme '" + spec + "': parameters go in [k=v;k=v]");
      MEDCRYPT_ASSIGN_OR_RETURN(run.params, schemes::parse_params(spec.substr(open + 1, spec.size() - open - 2)));
    }
    MEDCRYPT_ASSIGN_OR_RETURN(std::unique_ptr<schemes::Scheme> scheme, registry.create(run.scheme, run.params));
    if (scheme->info().control_only) {
      return make_error(ErrorCode::kUsage, "'" + run.scheme + "' is a deliberately broken control; it is never sent");
    }
    runs.push_back(std::move(run));
  }
  // Noise: the noise alone, then each lossy scheme with it.
  const std::vector<UtilityRunSpec> plain_runs = runs;
  for (const nn::NoiseSpec& noise : noises) {
    runs.push_back({"", {}, noise});
    for (const UtilityRunSpec& run : plain_runs) {
      auto scheme = registry.create(run.scheme, run.params);
      if (scheme && !(*scheme)->info().lossless) runs.push_back({run.scheme, run.params, noise});
    }
  }
  return runs;
}

Result<UtilityReport> evaluate_utility(const nn::ClassifierModel& model, const nn::ClassSet& set, const UtilityOptions& o,
                                       const schemes::SchemeRegistry& registry) {
  if (model.config().classes != set.classes) {
    return make_error(ErrorCode::kUsage, "the classifier was trained for other classes than this set's (" + model.config().set + ")");
  }
  UtilityReport report;
  report.model_digest = model.digest_hex();
  report.set = model.config().set;
  report.split = set.split;
  report.classes = set.classes;
  report.threads = o.threads == 0 ? default_threads() : o.threads;
  for (const auto& e : set.test) {
    report.files.push_back(e.file);
    report.labels.push_back(e.label);
  }
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<double> flat, nn::classify_all(model, set.test));
  const std::size_t k = set.classes.size();
  for (std::size_t i = 0; i < set.test.size(); ++i) report.scores.emplace_back(flat.begin() + i * k, flat.begin() + (i + 1) * k);
  MEDCRYPT_ASSIGN_OR_RETURN(report.figures, metrics::score_classification(report.labels, flat, static_cast<int>(k)));
  std::size_t done = 0;
  const std::size_t total = o.runs.size() * set.test.size();
  for (const UtilityRunSpec& spec : o.runs) {
    UtilityRun run;
    run.spec = spec;
    const std::size_t done_before = done;
    if (Status s = run_one(run, model, set, report, o, registry, done, total); !s) {
      // One scheme that cannot take these images does not hide the others' figures.
      const bool lossless = run.lossless;
      run = UtilityRun{};
      run.spec = spec;
      run.lossless = lossless;
      run.error = s.error().message;
      done = done_before + set.test.size();
    }
    report.runs.push_back(std::move(run));
  }
  return report;
}

std::string utility_json(const UtilityReport& r) {
  using metrics::json_number;
  const auto numbers = [](const std::vector<double>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (double x : v) a.push_back(json_number(x));
    return a;
  };
  nlohmann::json images = nlohmann::json::array();
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    images.push_back({{"file", r.files[i]}, {"label", r.labels[i]}, {"scores", numbers(r.scores[i])},
                      {"prediction", metrics::predicted_class(r.scores[i])}});
  }
  nlohmann::json runs = nlohmann::json::array();
  for (const UtilityRun& run : r.runs) {
    nlohmann::json j = {{"label", run.spec.label()}, {"scheme", run.spec.scheme}, {"params", schemes::format_params(run.spec.params)},
                        {"noise", run.spec.noise ? nlohmann::json(nn::describe(*run.spec.noise)) : nlohmann::json(nullptr)},
                        {"lossless", run.lossless}};
    if (!run.error.empty()) {
      j["error"] = run.error;
      runs.push_back(j);
      continue;
    }
    nlohmann::json per_image = nlohmann::json::array();
    for (std::size_t i = 0; i < run.scores.size(); ++i) {
      per_image.push_back({{"scores", numbers(run.scores[i])}, {"prediction", metrics::predicted_class(run.scores[i])},
                           {"psnr", json_number(run.psnr[i])}, {"rmse", json_number(run.rmse[i])}, {"ssim", json_number(run.ssim[i])},
                           {"encrypt_ms", run.encrypt_ms[i]}, {"decrypt_ms", run.decrypt_ms[i]}});
    }
    j["figures"] = metrics::to_json(run.figures);
    j["changed"] = run.changed;
    j["identical"] = run.identical;
    j["mean_psnr"] = json_number(run.mean_psnr);
    j["mean_rmse"] = json_number(run.mean_rmse);
    j["mean_ssim"] = json_number(run.mean_ssim);
    j["mean_encrypt_ms"] = json_number(run.mean_encrypt_ms);
    j["mean_decrypt_ms"] = json_number(run.mean_decrypt_ms);
    j["images"] = per_image;
    runs.push_back(j);
  }
  return nlohmann::json{{"model", r.model_digest}, {"set", r.set}, {"classes", r.classes}, {"split", r.split},
                        {"threads", r.threads}, {"original", metrics::to_json(r.figures)}, {"images", images}, {"runs", runs}}
      .dump(2);
}

std::string utility_table(const UtilityReport& r) { return render_text(table_of(r)); }

std::string utility_html(const UtilityReport& r) {
  const auto img = [](const Bytes& png, const std::string& caption) {
    if (png.empty()) return fmt::format("<figure><div class=\"none\">no cipher image</div><figcaption>{}</figcaption></figure>", html_escape(caption));
    return fmt::format("<figure><img src=\"data:image/png;base64,{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
                       crypto::base64(png), html_escape(caption), html_escape(caption));
  };
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>medcrypt: diagnostic utility</title><style>"
                     "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                     "padding:3px 8px;text-align:right}td:first-child{text-align:left}figure{display:inline-block;margin:4px;"
                     "text-align:center;font-size:small}img,.none{width:128px;height:128px;image-rendering:pixelated}"
                     ".none{display:flex;align-items:center;justify-content:center;background:#eee}</style></head><body>\n";
  html += "<h1>Does the decrypted image still serve the diagnosis?</h1>\n";
  html += fmt::format("<p>Classifier {} (SHA-256 {}), classes: {}. Every image went through each scheme with a fresh random "
                      "key (seal, then open); the cipher images shown come from analysis test mode.</p>\n",
                      html_escape(r.set), r.model_digest, html_escape(fmt::format("{}", fmt::join(r.classes, ", "))));
  html += render_html(table_of(r));
  for (const UtilityRun& run : r.runs) {
    if (run.thumbnails.empty()) continue;
    html += "<h2>" + html_escape(run.spec.label()) + "</h2>\n";
    for (const UtilityThumbnails& t : run.thumbnails) {
      const auto name = [&](int k) { return k >= 0 && std::size_t(k) < r.classes.size() ? r.classes[k] : std::string("-"); };
      html += "<div>" + html_escape(t.file) + "<br>";
      html += img(t.original, "original: " + name(t.predicted_original));
      html += img(t.cipher, t.cipher.empty() ? "cipher" : "cipher: " + name(t.predicted_cipher));
      html += img(t.decrypted, "decrypted: " + name(t.predicted_decrypted));
      html += img(t.difference, t.difference_max > 0 ? fmt::format("difference (x{:.0f})", 1 / t.difference_max) : "difference: none");
      html += "</div>\n";
    }
  }
  html += "</body></html>\n";
  return html;
}

}  // namespace medcrypt::analysis
