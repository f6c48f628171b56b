#include "analysis/report_html.hpp"

#include <fmt/format.h>

#include "analysis/report_tables.hpp"
#include "analysis/svg_plots.hpp"
#include "analysis/text_table.hpp"
#include "crypto/base64.hpp"

namespace medcrypt::analysis {
namespace {

constexpr char kStyle[] = R"(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
h3 { font-size: 15px; margin-bottom: 4px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13px; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
td { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #e8eef7; }
tr.section th { background: #f4f4f4; text-align: left; }
tbody th { text-align: left; font-weight: normal; }
.plots, .tables { display: flex; flex-wrap: wrap; gap: 8px 20px; align-items: flex-start; }
.plots svg { border: 1px solid #ddd; }
.notes li { margin: 4px 0; }
.refusal { max-width: 320px; font-size: 13px; }
.pictures { display: flex; flex-wrap: wrap; gap: 8px 16px; }
.pictures figure { margin: 0; }
.pictures img { height: 160px; image-rendering: pixelated; border: 1px solid #ddd; }
.pictures figcaption { font-size: 12px; max-width: 200px; }
)";

constexpr char kPlainColour[] = "#3465a4";
constexpr char kCipherColour[] = "#cc0000";

std::string figure(const Bytes& png, const std::string& caption) {
  if (png.empty()) return "";
  return fmt::format("<figure><img src=\"data:image/png;base64,{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
                     crypto::base64(png), html_escape(caption), html_escape(caption));
}

// The images themselves, frame 0, beside the figures that describe them.
std::string pictures_for(const ImageAnalysis& a) {
  const Thumbnails& t = a.thumbnails;
  const std::string difference =
      t.max_difference == 0 ? "Difference: none, the decryption is bit-exact"
                            : fmt::format("|plain - decrypted|, black 0 to white {} (stored values)", t.max_difference);
  const std::string cipher = a.cipher_image ? figure(t.cipher, "Cipher image")
                                            : "<figure><figcaption>No cipher image: the scheme sends no pixels"
                                              "</figcaption></figure>\n";
  return "<div class=\"pictures\">\n" + figure(t.plain, "Plain image") + cipher +
         figure(t.decrypted, "Decrypted image") + figure(t.difference, difference) + "</div>\n";
}

std::string plots_for(std::size_t n, const ImageAnalysis& a) {
  std::string out;
  for (std::size_t c = 0; c < a.plain_plots.channels.size(); ++c) {
    const std::string channel = a.plain_plots.channel_names[c];
    out += fmt::format("<h3>Channel {}</h3>\n<div class=\"plots\">\n", html_escape(channel));
    for (bool cipher : {false, true}) {
      if (cipher && !a.cipher_image) continue;
      const PlotData& plots = cipher ? a.cipher_plots : a.plain_plots;
      const char* which = cipher ? "cipher" : "plain";
      const char* colour = cipher ? kCipherColour : kPlainColour;
      out += histogram_svg(plots.channels[c].bars, plots.max_value, fmt::format("a{}-histogram-{}-c{}", n, which, c),
                           fmt::format("Histogram, {} ({})", which, channel), colour) + "\n";
      for (metrics::Direction d : metrics::kDirections) {
        const std::string direction(metrics::direction_name(d));
        out += scatter_svg(plots.channels[c].pairs[static_cast<std::size_t>(d)], plots.max_value,
                           fmt::format("a{}-scatter-{}-c{}-{}", n, which, c, direction),
                           fmt::format("Adjacent pairs, {} {} ({})", which, direction, channel), colour) + "\n";
      }
    }
    out += "</div>\n";
  }
  return out;
}

// The cipher image's statistics and the sensitivity tests, which only a scheme with a cipher image has.
std::string cipher_tables_for(const ImageAnalysis& a) {
  std::string out;
  out += render_html(stats_table(a.cipher, "Cipher image"));
  out += render_html(compare_table(a.plaintext_sensitivity.cipher,
                                   "Plaintext sensitivity: cipher images of the plain image and of the plain image "
                                   "with one sample changed (test mode)"));
  out += render_html(compare_table(a.key_sensitivity.cipher,
                                   fmt::format("Key sensitivity: cipher images under the key and under the key with "
                                               "bit {} flipped (test mode)",
                                               a.key_sensitivity.flipped_bit)));
  const WrongKeyDecryption& d = a.key_sensitivity.decrypt;
  if (d.comparison) {
    out += render_html(compare_table(*d.comparison, "Key sensitivity: plain image against its decryption with the "
                                                    "flipped key"));
  } else {
    out += "<p class=\"refusal\"><b>Key sensitivity, decryption with the flipped key:</b> refused (" +
           html_escape(d.rejected->message) + ").</p>\n";
  }
  return out;
}

std::string section_for(std::size_t n, const ImageAnalysis& a) {
  const image::Geometry& g = a.geometry;
  std::string out = fmt::format("<section id=\"a{}\">\n<h2>{} with scheme {}</h2>\n<p>{}x{}, {} frame(s), {} "
                                "sample(s), {} bits stored of {}{}, {}</p>\n",
                                n, html_escape(a.file), html_escape(a.scheme), g.width, g.height, g.frames, g.samples,
                                g.bits_stored, g.bits_allocated, g.is_signed ? ", signed" : "",
                                html_escape(g.photometric));
  out += "<ul class=\"notes\">\n";
  for (const std::string& note : a.notes) out += "<li>" + html_escape(note) + "</li>\n";
  out += "</ul>\n";
  out += pictures_for(a);
  out += plots_for(n, a);
  out += "<div class=\"tables\">\n";
  out += render_html(stats_table(a.plain, "Plain image"));
  if (a.cipher_image) out += cipher_tables_for(a);
  out += render_html(compare_table(a.quality, "Decryption quality: plain image against its decryption"));
  return out + "</div>\n</section>\n";
}

}  // namespace

std::string html_report(std::span<const ImageAnalysis> analyses) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>medcrypt security analysis"
      "</title>\n<style>{}</style>\n</head>\n<body>\n<h1>medcrypt security analysis</h1>\n",
      kStyle);
  out += render_html(analysis_table(analyses));
  for (std::size_t n = 0; n < analyses.size(); ++n) out += section_for(n, analyses[n]);
  return out + "</body>\n</html>\n";
}

}  // namespace medcrypt::analysis
