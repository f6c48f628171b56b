// The HTML report: self-contained (no scripts, no external files), every plot present with its id, the
// images themselves as PNG thumbnails (checked against numpy), and rendered by headless Chromium (Debian's chromium, installed by scripts/install-deps.sh) into a
// screenshot that has the page's size and is not blank.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "analysis/report_html.hpp"
#include "analysis/thumbnails.hpp"
#include "crypto/base64.hpp"
#include "image/image_file.hpp"
#include "analysis_test_util.hpp"
#include "core/file_io.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::string kChromium = "/usr/bin/chromium";

// Every plot id the page must have: per analysis and channel, a histogram of the plain and of the cipher
// image, and their horizontal, vertical and diagonal scatter plots.
std::set<std::string> expected_plot_ids(const std::vector<analysis::ImageAnalysis>& analyses) {
  std::set<std::string> ids;
  for (std::size_t n = 0; n < analyses.size(); ++n) {
    for (std::size_t c = 0; c < analyses[n].geometry.samples; ++c) {
      for (const char* which : {"plain", "cipher"}) {
        const std::string base = "a" + std::to_string(n) + "-";
        ids.insert(base + "histogram-" + which + "-c" + std::to_string(c));
        for (const char* d : {"horizontal", "vertical", "diagonal"}) {
          ids.insert(base + "scatter-" + which + "-c" + std::to_string(c) + "-" + d);
        }
      }
    }
  }
  return ids;
}

// The value of attribute `name` in one start tag, or "".
std::string attribute(const std::string& tag, const std::string& name) {
  const std::size_t at = tag.find(" " + name + "=\"");
  if (at == std::string::npos) return {};
  const std::size_t start = at + name.size() + 3;
  return tag.substr(start, tag.find('"', start) - start);
}

// The ids of the <svg class="plot histogram|scatter"> elements in a page.
std::set<std::string> plot_ids(const std::string& html) {
  std::set<std::string> ids;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
    const std::string tag = html.substr(at, html.find('>', at) - at);
    const std::string classes = attribute(tag, "class");
    if (classes == "plot histogram" || classes == "plot scatter") ids.insert(attribute(tag, "id"));
  }
  return ids;
}

class HtmlReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto scheme = schemes::builtin_registry().create("aead").value();
    analyses_ = new std::vector<analysis::ImageAnalysis>;
    analyses_->push_back(analysis_of(generated_image(200, 160, 1, 8, 0), "grey.png", *scheme, schemes::builtin_registry()));
    analyses_->push_back(analysis_of(generated_image(128, 96, 3, 8, 1), "colour.png", *scheme, schemes::builtin_registry()));
    analyses_->push_back(analysis_of(generated_image(96, 96, 1, 16, 2), "ct16.dcm", *scheme, schemes::builtin_registry()));
    html_ = new std::string(analysis::html_report(*analyses_));
  }
  static void TearDownTestSuite() {
    delete analyses_;
    delete html_;
  }
  static std::vector<analysis::ImageAnalysis>* analyses_;
  static std::string* html_;
};
std::vector<analysis::ImageAnalysis>* HtmlReport::analyses_ = nullptr;
std::string* HtmlReport::html_ = nullptr;

TEST_F(HtmlReport, IsOneSelfContainedPageWithEveryPlot) {
  const std::string& html = *html_;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* banned : {"<script", "href=", "url(", "@import", "<link", "<iframe"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }
  // Pictures only as data: URLs, four per analysis.
  std::size_t pictures = 0;
  for (std::size_t at = html.find("src="); at != std::string::npos; at = html.find("src=", at + 1), ++pictures) {
    EXPECT_EQ(html.compare(at, 32, "src=\"data:image/png;base64,iVBOR"), 0) << html.substr(at, 40);
  }
  EXPECT_EQ(pictures, 4 * analyses_->size());
  // The only URL is the SVG namespace name, which is never fetched.
  for (std::size_t at = html.find("://"); at != std::string::npos; at = html.find("://", at + 1)) {
    EXPECT_EQ(html.substr(html.rfind('"', at) + 1, html.find('"', at) - html.rfind('"', at) - 1),
              "http://www.w3.org/2000/svg");
  }
  const std::set<std::string> expected = expected_plot_ids(*analyses_);
  EXPECT_EQ(expected.size(), 3u * 8 + 8u + 8u);  // grey: 8 plots, colour: 24, 16-bit grey: 8
  EXPECT_EQ(plot_ids(html), expected);
  // The tables are there too, and the refusal of the flipped key.
  EXPECT_NE(html.find("<caption>Scheme aead"), std::string::npos);
  EXPECT_NE(html.find("refused (wrong key"), std::string::npos);
}

// The number of closed shapes (bars or points) in the first <path> of the plot with this id.
std::size_t shapes_in(const std::string& html, const std::string& id) {
  const std::size_t svg = html.find("id=\"" + id + "\"");
  if (svg == std::string::npos) return 0;
  const std::size_t d = html.find("<path d=\"", svg) + 9;
  const std::string path = html.substr(d, html.find('"', d) - d);
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), 'z'));
}

TEST_F(HtmlReport, PlotsHaveTheirData) {
  const std::string& html = *html_;
  // A 16-bit histogram is merged into 256 bars; a scatter plot has kScatterPoints points.
  const std::size_t start = html.find("id=\"a2-histogram-cipher-c0\"");
  ASSERT_NE(start, std::string::npos);
  const std::string svg = html.substr(start, html.find("</svg>", start) - start);
  const std::size_t bars = shapes_in(html, "a2-histogram-cipher-c0");
  EXPECT_GT(bars, 200u);  // empty bars are not drawn
  EXPECT_LE(bars, 256u);
  EXPECT_NE(svg.find(">65535<"), std::string::npos);  // the value axis ends at F
  EXPECT_EQ(shapes_in(html, "a0-scatter-plain-c0-diagonal"), analysis::kScatterPoints);
  EXPECT_EQ(shapes_in(html, "a1-scatter-cipher-c2-vertical"), analysis::kScatterPoints);
}

// The PNGs of the page, in order.
std::vector<Bytes> pictures_in(const std::string& html) {
  std::vector<Bytes> out;
  const std::string prefix = "src=\"data:image/png;base64,";
  for (std::size_t at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1)) {
    const std::size_t start = at + prefix.size();
    out.push_back(crypto::from_base64(html.substr(start, html.find('"', start) - start)).value());
  }
  return out;
}

// The grey 200x160 image: its thumbnail is the 2x2 block mean numpy computes (100x80, rounded), the cipher
// picture is noise (neighbours uncorrelated), and aead's decryption is bit-exact, so the difference is black and says so.
TEST_F(HtmlReport, ShowsThePlainCipherAndDecryptedImagesAndTheirDifference) {
  const std::vector<Bytes> png = pictures_in(*html_);
  ASSERT_EQ(png.size(), 12u);
  ScratchDir dir;
  const analysis::ImageAnalysis& grey = (*analyses_)[0];
  ASSERT_TRUE(image::write_image_file(dir / "plain.png", generated_image(200, 160, 1, 8, 0).image, image::FileFormat::kPng));
  const char* names[] = {"thumb.png", "cipher.png", "decrypted.png", "difference.png"};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(write_file_atomic(dir / names[i], png[i]));
  const auto py = run_command(
      system_python() + " -c " +
      shell_quote("import numpy as np, sys; from PIL import Image\n"
                  "d = sys.argv[1]; load = lambda n: np.asarray(Image.open(d + '/' + n)).astype(float)\n"
                  "a = load('plain.png'); t = load('thumb.png'); c = load('cipher.png')\n"
                  "m = np.floor(a.reshape(80, 2, 100, 2).mean(axis=(1, 3)) + 0.5)\n"
                  "print(t.shape[1], t.shape[0], int(np.abs(m - t).max()), int(np.array_equal(t, load('decrypted.png'))),"
                  " int(load('difference.png').max()), abs(np.corrcoef(c[:, :-1].ravel(), c[:, 1:].ravel())[0, 1]) < 0.1)") +
      " " + shell_quote(dir.path().string()));
  ASSERT_EQ(py.exit_code, 0) << py.out;
  EXPECT_EQ(py.out, "100 80 0 1 0 True\n");
  EXPECT_EQ(grey.thumbnails.max_difference, 0u);
  EXPECT_NE(html_->find("Difference: none, the decryption is bit-exact"), std::string::npos);
  // The colour image's pictures are RGB, the 16-bit one's grey.
  EXPECT_EQ(image::read_image_bytes(png[4]).value().image.geometry().samples, 3);
  EXPECT_EQ(image::read_image_bytes(png[8]).value().image.geometry().samples, 1);
}

// A decryption that differs: the largest difference is white, the rest black, its value in the caption's number.
TEST(Thumbnails, ShowTheDifferenceOfALossyDecryption) {
  const image::Image plain = generated_image(64, 48, 1, 12, 3).image;
  image::Image decrypted = plain;
  decrypted.set_word(10 * 64 + 20, decrypted.word(10 * 64 + 20) ^ 0x100);  // a difference of 256
  auto t = analysis::make_thumbnails(plain, &plain, decrypted);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->max_difference, 256u);
  const image::Image difference = image::read_image_bytes(t->difference).value().image;
  EXPECT_EQ(difference.geometry().width, 64u);  // no shrinking below 160 pixels
  for (std::size_t i = 0; i < difference.geometry().sample_count(); ++i) {
    EXPECT_EQ(difference.word(i), i == 10 * 64 + 20 ? 255u : 0u) << i;
  }
  image::Image other = image::Image::create({32, 32, 1, 1, 8, 8, false, "MONOCHROME2"}).value();
  EXPECT_EQ(analysis::make_thumbnails(plain, &plain, other).error().code, ErrorCode::kInternal);
}

TEST_F(HtmlReport, RendersInHeadlessChromium) {
  if (!std::filesystem::exists(kChromium)) {
    GTEST_SKIP() << "SKIPPED: " << kChromium << " is absent; scripts/install-deps.sh installs it (Debian chromium)";
  }
  ScratchDir dir;
  const auto page = dir / "report.html";
  ASSERT_TRUE(write_file_atomic(page, as_bytes(*html_)));
  const std::string flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                            "--disable-background-networking --disable-component-update --disable-sync "
                            "--user-data-dir=" + shell_quote((dir / "profile").string());
  const std::string url = shell_quote("file://" + page.string());
  const auto shot = run_command("cd " + shell_quote(dir.path().string()) + " && timeout 180 " + kChromium + " " + flags +
                                " --screenshot=" + shell_quote((dir / "shot.png").string()) +
                                " --window-size=1400,3000 " + url);
  ASSERT_EQ(shot.exit_code, 0) << shot.out;
  ASSERT_TRUE(std::filesystem::exists(dir / "shot.png")) << shot.out;

  // Size and content, read with Pillow: a blank or failed render has a handful of colours at most.
  const auto check = run_command(
      system_python() + " -c " +
      shell_quote("import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGB'); "
                  "colours = im.getcolors(1 << 24); top = max(colours)[0]; "
                  "print(im.size[0], im.size[1], len(colours), top / (im.size[0] * im.size[1]))") +
      " " + shell_quote((dir / "shot.png").string()));
  ASSERT_EQ(check.exit_code, 0) << check.out;
  std::istringstream figures(check.out);
  int width = 0, height = 0, colours = 0;
  double background = 1;
  figures >> width >> height >> colours >> background;
  EXPECT_EQ(width, 1400);
  EXPECT_EQ(height, 3000);
  EXPECT_GT(colours, 200) << "too few colours: blank or broken render";
  EXPECT_LT(background, 0.95) << "the page is almost all one colour";

  // The DOM Chromium built has every plot.
  const auto dom = run_command("timeout 180 " + kChromium + " " + flags + " --dump-dom " + url + " 2>/dev/null");
  ASSERT_EQ(dom.exit_code, 0);
  EXPECT_EQ(plot_ids(dom.out), expected_plot_ids(*analyses_));
}

}  // namespace
}  // namespace medcrypt::test
