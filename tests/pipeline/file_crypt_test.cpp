// Decrypting into a folder: the folder a container carries is the sender's word, so it must never lead a
// file outside the recipient's output folder, through a link, or over another file.
#include <gtest/gtest.h>

#include "core/file_io.hpp"
#include "crypto/random.hpp"
#include "pipeline/file_crypt.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

class DecryptIntoFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    key = crypto::random_secret(32).value();
    std::filesystem::create_directories(dir / "out");
  }

  // A container of a small grey PNG whose sealed metadata names `folder`.
  std::filesystem::path seal_with_folder(const std::string& folder) {
    image::Geometry g{4, 3, 1, 1, 8, 8, false, "MONOCHROME2"};
    auto img = image::Image::create(g).value();
    for (std::size_t i = 0; i < img.bytes().size(); ++i) img.bytes()[i] = static_cast<std::uint8_t>(i * 17);
    auto scheme = schemes::builtin_registry().create("aead").value();
    container::MemorySink sink;
    container::Metadata metadata{"scan.png", "png", {}, {}, folder};
    EXPECT_TRUE(container::seal(img, metadata, *scheme, container::Recipients::shared_key(key), {}, sink));
    auto path = dir / "sealed.mct";
    EXPECT_TRUE(write_file_atomic(path, std::move(sink).take()));
    return path;
  }

  Result<pipeline::DecryptReport> decrypt(const std::filesystem::path& container) {
    pipeline::DecryptOptions options;
    options.keys = container::OpenKeys::shared_key(key);
    return pipeline::decrypt_file(container, dir / "out", true, options);
  }

  SecretBytes key;
  ScratchDir dir;
};

TEST_F(DecryptIntoFolder, SealedFolderNamesStayBelowTheOutputFolder) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "scan.png"},
      {"series1/echo", "series1/echo/scan.png"},
      {"../../escape", "escape/scan.png"},
      {"a/../../b", "a/b/scan.png"},
      {"/etc/cron.d", "etc/cron.d/scan.png"},
      {"a/./b//c/", "a/b/c/scan.png"},
      {".hidden\\x", "_.hidden/x/scan.png"},
      {"esc\x1b[2J\nname\xe2\x80\xaegnp.exe", "esc_[2J_name_gnp.exe/scan.png"}};
  for (const auto& [folder, expected] : cases) {
    SCOPED_TRACE(folder);
    auto report = decrypt(seal_with_folder(folder));
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->output.lexically_relative(dir / "out").generic_string(), expected);
    EXPECT_TRUE(std::filesystem::is_regular_file(report->output));
  }
  // The same container again: a new name, the first file untouched.
  auto again = decrypt(seal_with_folder("series1/echo"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->output.lexically_relative(dir / "out").generic_string(), "series1/echo/scan_2.png");
}

TEST_F(DecryptIntoFolder, NoKeyIsRefused) {
  auto refused = pipeline::decrypt_file(seal_with_folder(""), dir / "out", true, pipeline::DecryptOptions{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
  EXPECT_TRUE(std::filesystem::is_empty(dir / "out"));
}

TEST_F(DecryptIntoFolder, NeverThroughALinkNorOverALinkOrFile) {
  std::filesystem::create_directories(dir / "out");
  std::filesystem::create_directories(dir / "elsewhere");
  std::filesystem::create_directory_symlink(dir / "elsewhere", dir / "out" / "link");
  auto through_link = decrypt(seal_with_folder("link/x"));
  ASSERT_FALSE(through_link);
  EXPECT_EQ(through_link.error().code, ErrorCode::kIo);
  EXPECT_NE(through_link.error().message.find("not a directory"), std::string::npos) << through_link.error().message;
  EXPECT_TRUE(std::filesystem::is_empty(dir / "elsewhere"));

  ASSERT_TRUE(write_file_atomic(dir / "out" / "file", as_bytes("a file, not a folder")));
  EXPECT_FALSE(decrypt(seal_with_folder("file/x")));

  // A dangling link where the file would go is a taken name, not a place to write.
  std::filesystem::create_symlink(dir / "elsewhere" / "target.png", dir / "out" / "scan.png");
  auto beside = decrypt(seal_with_folder(""));
  ASSERT_TRUE(beside) << beside.error().message;
  EXPECT_EQ(beside->output.filename(), "scan_2.png");
  EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere" / "target.png"));
}

}  // namespace
}  // namespace medcrypt::test
