// The CLI end to end: real files from ../shared/data through keygen, encrypt, info and decrypt, checked
// by independent tools (pydicom, DCMTK's decoders and dcmdump, Pillow); and every error class with its
// exit code and no output file left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::string kCompare = std::string(MEDCRYPT_SOURCE_DIR) + "/tests/cli/compare_images.py";

// Nothing but the expected files in a folder: no partial output, no temporary left behind.
std::vector<std::string> listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_medcrypt("keygen alice -o " + quote(dir / "keys")).exit_code, 0);
    ASSERT_EQ(run_medcrypt("keygen bob -o " + quote(dir / "keys")).exit_code, 0);
    ASSERT_EQ(run_medcrypt("keygen eve -o " + quote(dir / "keys")).exit_code, 0);
    std::filesystem::create_directories(dir / "out");
  }
  std::filesystem::path key(const std::string& name) const { return dir / "keys" / name; }

  ScratchDir dir;
};

// The demo ends with the security analysis of every scheme with a cipher image, one section and four
// pictures per image and scheme. zigzag-gan runs libtorch, whose OpenMP threads crash LeakSanitizer's
// exit-time scan in the ASan build: this one command runs without it.
TEST_F(Cli, DemoEndsWithTheSecurityAnalysisOfEveryScheme) {
  auto r = run_command("ASAN_OPTIONS=detect_leaks=0 " + shell_quote(MEDCRYPT_CLI) + " demo --work " + quote(dir / "demo"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Security analysis"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find((dir / "demo" / "analysis.html").string()), std::string::npos) << r.out;
  std::ifstream in(dir / "demo" / "analysis.html");
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto at = page.find(what); at != std::string::npos; at = page.find(what, at + 1)) ++n;
    return n;
  };
  // Every scheme `medcrypt schemes` lists ("NAME@VERSION  lossless, exports a cipher image" and the like).
  std::vector<std::string> schemes;
  std::size_t without_cipher_image = 0;
  std::istringstream listing(run_medcrypt("schemes").out);
  for (std::string line; std::getline(listing, line);) {
    if (line.empty() || line[0] == ' ' || line.find('@') == std::string::npos) continue;
    schemes.push_back(line.substr(0, line.find('@')));
    without_cipher_image += line.find("exports a cipher image") == std::string::npos;
  }
  ASSERT_GE(schemes.size(), 8u);
  const std::size_t sections = count("<section");
  EXPECT_GE(sections, 3 * schemes.size());  // the three generated images (and the real scan where ../shared is in reach)
  EXPECT_EQ(sections % schemes.size(), 0u);
  // Four pictures a section; a scheme that sends no cipher image (ae-aes) has three.
  const std::size_t no_cipher_sections = count("No cipher image: the scheme sends no pixels");
  EXPECT_EQ(no_cipher_sections, without_cipher_image * sections / schemes.size());
  EXPECT_GT(no_cipher_sections, 0u);
  EXPECT_EQ(count("data:image/png"), 4 * sections - no_cipher_sections);
  for (const std::string& scheme : schemes) {
    EXPECT_NE(page.find("with scheme " + scheme + "</h2>"), std::string::npos) << scheme;
  }
}

TEST_F(Cli, KeygenWritesPrivateKeysMode0600AndNeverOverwrites) {
  struct stat st {};
  ASSERT_EQ(::stat(key("alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = run_medcrypt("keygen alice -o " + quote(dir / "keys"));
  EXPECT_EQ(again.exit_code, 3) << again.out;
  ASSERT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "shared.key")).exit_code, 0);
  EXPECT_EQ(std::filesystem::file_size(dir / "shared.key"), 32u);
  ASSERT_EQ(::stat((dir / "shared.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// A dangling link where a key would go is a taken name: the key is not written through it. Twenty
// concurrent keygens of one name: exactly one succeeds, and the key on disk is the one it reported.
TEST_F(Cli, KeygenNeverReplacesALinkAndOneOfManyRacersWins) {
  std::filesystem::create_symlink(dir / "elsewhere.key", dir / "keys" / "mallory.key");
  EXPECT_EQ(run_medcrypt("keygen mallory -o " + quote(dir / "keys")).exit_code, 3);
  std::filesystem::create_symlink(dir / "elsewhere.bin", dir / "link.bin");
  EXPECT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "link.bin")).exit_code, 3);
  EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere.key"));
  EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere.bin"));

  std::string racers;
  for (int i = 0; i < 20; ++i) {
    racers += "(" + shell_quote(MEDCRYPT_CLI) + " keygen racer -o " + quote(dir / "race") + " >" +
              quote(dir / ("r" + std::to_string(i) + ".out")) + " 2>&1; echo $? >" +
              quote(dir / ("r" + std::to_string(i) + ".rc")) + ") & ";
  }
  ASSERT_EQ(run_command(racers + "wait").exit_code, 0);
  int winners = 0;
  std::string reported;
  for (int i = 0; i < 20; ++i) {
    auto rc = read_file(dir / ("r" + std::to_string(i) + ".rc"), 100).value();
    if (rc.front() == '0') {
      ++winners;
      auto out = read_file(dir / ("r" + std::to_string(i) + ".out"), 10000).value();
      reported.assign(out.begin(), out.end());
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_NE(reported.find("fingerprint"), std::string::npos) << reported;
  // The key and the public identity left on disk are one pair, not halves of two racers' keys.
  ASSERT_EQ(run_medcrypt("demo --no-analysis --work " + quote(dir / "demo")).exit_code, 0);
  ASSERT_EQ(run_medcrypt("encrypt " + quote(dir / "demo" / "samples" / "mr_phantom.png") + " -o " + quote(dir / "r.mct") +
                         " --to " + quote(dir / "race" / "racer.pub") + " -q").exit_code, 0);
  EXPECT_EQ(run_medcrypt("decrypt " + quote(dir / "r.mct") + " -o " + quote(dir / "r.png") + " --identity " +
                         quote(dir / "race" / "racer.key") + " -q").exit_code, 0);
}

// A private key others can read is refused, as ssh refuses one.
TEST_F(Cli, PrivateKeysReadableByOthersAreRefused) {
  std::filesystem::permissions(key("alice.key"), std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  ASSERT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "k")).exit_code, 0);
  std::filesystem::permissions(dir / "k", std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  ASSERT_EQ(run_medcrypt("demo --no-analysis --work " + quote(dir / "demo")).exit_code, 0);
  auto image = quote(dir / "demo" / "samples" / "mr_phantom.png");
  for (const std::string& keys : {"--to " + quote(key("bob.pub")) + " --sign " + quote(key("alice.key")),
                                  "--key " + quote(dir / "k")}) {
    auto r = run_medcrypt("encrypt " + image + " -o " + quote(dir / "out" / "x.mct") + " " + keys);
    EXPECT_EQ(r.exit_code, 12) << r.out;
    EXPECT_NE(r.out.find("chmod 600"), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
  EXPECT_TRUE(listing(dir / "out").empty());
  std::filesystem::permissions(key("alice.key"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(run_medcrypt("encrypt " + image + " -o " + quote(dir / "out" / "x.mct") + " --to " + quote(key("bob.pub")) +
                         " --sign " + quote(key("alice.key")) + " -q").exit_code, 0);
}

TEST_F(Cli, RoundTripOfEverySharedImageMatchesIndependentDecoders) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto images = shared_images();
  ASSERT_GE(images.size(), 30u);
  for (const auto& image : images) {
    SCOPED_TRACE(image.string());
    auto sealed = dir / "sealed.mct";
    auto restored = dir / "out" / "restored";
    auto enc = run_medcrypt("encrypt " + quote(image) + " -o " + quote(sealed) + " --to " + quote(key("bob.pub")) + " --sign " +
                        quote(key("alice.key")) + " -q");
    ASSERT_EQ(enc.exit_code, 0) << enc.out;
    auto dec = run_medcrypt("decrypt " + quote(sealed) + " -o " + quote(restored) + " --identity " + quote(key("bob.key")) +
                        " --from " + quote(key("alice.pub")) + " -q");
    ASSERT_EQ(dec.exit_code, 0) << dec.out;
    auto cmp = run_command(system_python() + " " + quote(kCompare) + " " + quote(image) + " " + quote(restored));
    EXPECT_EQ(cmp.exit_code, 0) << cmp.out;
    std::filesystem::remove(restored);
  }
}

TEST_F(Cli, DirectoriesKeepOriginalNames) {
  auto src = dir / "src";
  std::filesystem::create_directories(src);
  ASSERT_EQ(run_medcrypt("demo --no-analysis --work " + quote(dir / "demo")).exit_code, 0);
  for (const auto& e : std::filesystem::directory_iterator(dir / "demo" / "samples")) {
    std::filesystem::copy_file(e.path(), src / e.path().filename());
  }
  auto enc = run_medcrypt("encrypt " + quote(src) + " -o " + quote(dir / "sealed") + " --to " + quote(key("bob.pub")) + " -q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  EXPECT_EQ(listing(dir / "sealed"),
            (std::vector<std::string>{"ct_phantom.dcm.mct", "mr_phantom.png.mct", "rgb_phantom.png.mct"}));
  auto dec = run_medcrypt("decrypt " + quote(dir / "sealed") + " -o " + quote(dir / "restored") + " --identity " +
                      quote(key("bob.key")) + " -q");
  ASSERT_EQ(dec.exit_code, 0) << dec.out;
  EXPECT_EQ(listing(dir / "restored"), (std::vector<std::string>{"ct_phantom.dcm", "mr_phantom.png", "rgb_phantom.png"}));
  for (const auto& name : listing(src)) {
    auto cmp = run_command(system_python() + " " + quote(kCompare) + " " + quote(src / name) + " " + quote(dir / "restored" / name));
    EXPECT_EQ(cmp.exit_code, 0) << name << ": " << cmp.out;
  }
  // A second run into the same folder never overwrites: names get _2.
  ASSERT_EQ(run_medcrypt("decrypt " + quote(dir / "sealed") + " -o " + quote(dir / "restored") + " --identity " +
                     quote(key("bob.key")) + " -q").exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir / "restored" / "ct_phantom_2.dcm"));
}

// Every file below `dir`, as paths relative to it.
std::vector<std::string> tree(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) names.push_back(e.path().lexically_relative(dir).generic_string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A DICOM export reuses IM00001 in every series: the folder's tree is kept through encrypt and decrypt,
// so that no image replaces another.
TEST_F(Cli, RepeatedNamesInAFolderTreeAllComeBack) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  const std::vector<std::pair<std::string, std::string>> study = {
      {"IM00001", "CT_small.dcm"},
      {"series1/IM00001", "MR_small.dcm"},
      {"series1/echo/IM00001", "US1_UNCR.dcm"},
      {"series2/IM00001", "emri_small.dcm"}};
  for (const auto& [name, source] : study) {
    std::filesystem::create_directories((dir / "study" / name).parent_path());
    std::filesystem::copy_file(shared_data() / "dicom" / source, dir / "study" / name);
  }
  auto enc = run_medcrypt("encrypt " + quote(dir / "study") + " -o " + quote(dir / "sealed") + " --to " +
                          quote(key("bob.pub")) + " -q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  EXPECT_EQ(tree(dir / "sealed"), (std::vector<std::string>{"IM00001.mct", "series1/IM00001.mct",
                                                              "series1/echo/IM00001.mct", "series2/IM00001.mct"}));
  auto dec = run_medcrypt("decrypt " + quote(dir / "sealed") + " -o " + quote(dir / "restored") + " --identity " +
                          quote(key("bob.key")) + " -q");
  ASSERT_EQ(dec.exit_code, 0) << dec.out;
  EXPECT_EQ(tree(dir / "restored"), tree(dir / "study"));
  for (const auto& [name, source] : study) {
    auto cmp = run_command(system_python() + " " + quote(kCompare) + " " + quote(shared_data() / "dicom" / source) + " " +
                           quote(dir / "restored" / name));
    EXPECT_EQ(cmp.exit_code, 0) << name << ": " << cmp.out;
  }

  // Containers gathered in one flat folder (as a relay's inbox holds them) still rebuild the tree.
  std::filesystem::create_directories(dir / "flat");
  int n = 0;
  for (const auto& name : tree(dir / "sealed")) {
    std::filesystem::copy_file(dir / "sealed" / name, dir / "flat" / ("m" + std::to_string(++n) + ".mct"));
  }
  dec = run_medcrypt("decrypt " + quote(dir / "flat") + " -o " + quote(dir / "from_flat") + " --identity " +
                     quote(key("bob.key")) + " -q");
  ASSERT_EQ(dec.exit_code, 0) << dec.out;
  EXPECT_EQ(tree(dir / "from_flat"), tree(dir / "study"));

  // Two folders named at once each keep their own name; two same-named files named at once are refused
  // before anything is written.
  enc = run_medcrypt("encrypt " + quote(dir / "study" / "series1") + " " + quote(dir / "study" / "series2") + " -o " +
                     quote(dir / "two") + " --to " + quote(key("bob.pub")) + " -q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  EXPECT_EQ(tree(dir / "two"), (std::vector<std::string>{"series1/IM00001.mct", "series1/echo/IM00001.mct",
                                                           "series2/IM00001.mct"}));
  auto clash = run_medcrypt("encrypt " + quote(dir / "study" / "series1" / "IM00001") + " " +
                            quote(dir / "study" / "series2" / "IM00001") + " -o " + quote(dir / "clash") + " --to " +
                            quote(key("bob.pub")));
  EXPECT_EQ(clash.exit_code, 2) << clash.out;
  EXPECT_NE(clash.out.find("would both be written as IM00001"), std::string::npos) << clash.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "clash"));
}

// A name near NAME_MAX (255 bytes) is restored: the temporary file beside it may not add to its length.
TEST_F(Cli, LongFileNamesComeBack) {
  ASSERT_EQ(run_medcrypt("demo --no-analysis --work " + quote(dir / "demo")).exit_code, 0);
  const std::string name = std::string(247, 'n') + ".png";  // 251 bytes; its .mct 255
  std::filesystem::create_directories(dir / "long");
  std::filesystem::copy_file(dir / "demo" / "samples" / "mr_phantom.png", dir / "long" / name);
  auto enc = run_medcrypt("encrypt " + quote(dir / "long") + " -o " + quote(dir / "sealed") + " --to " +
                          quote(key("bob.pub")) + " -q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  auto dec = run_medcrypt("decrypt " + quote(dir / "sealed") + " -o " + quote(dir / "restored") + " --identity " +
                          quote(key("bob.key")) + " -q");
  ASSERT_EQ(dec.exit_code, 0) << dec.out;
  EXPECT_EQ(listing(dir / "restored"), std::vector<std::string>{name});
  // One byte more and the container's name is over the limit: one clear line, nothing left behind.
  std::filesystem::rename(dir / "long" / name, dir / "long" / ("n" + name));
  auto over = run_medcrypt("encrypt " + quote(dir / "long") + " -o " + quote(dir / "sealed2") + " --to " +
                           quote(key("bob.pub")));
  EXPECT_EQ(over.exit_code, 3) << over.out;
  EXPECT_EQ(std::count(over.out.begin(), over.out.end(), '\n'), 1) << over.out;
  EXPECT_TRUE(listing(dir / "sealed2").empty());
}

// encrypt FOLDER/ stays within the folder: a link out of it, a link to a folder and a dangling link are
// skipped with a warning each; a link to a file inside it is read.
TEST_F(Cli, FoldersAreReadWithinTheirBoundary) {
  ASSERT_EQ(run_medcrypt("demo --no-analysis --work " + quote(dir / "demo")).exit_code, 0);
  auto samples = dir / "demo" / "samples";
  std::filesystem::create_directories(dir / "study" / "sub");
  std::filesystem::copy_file(samples / "mr_phantom.png", dir / "study" / "sub" / "mr.png");
  std::filesystem::create_symlink(samples / "ct_phantom.dcm", dir / "study" / "outside.dcm");
  std::filesystem::create_symlink(dir / "study" / "sub" / "mr.png", dir / "study" / "inside.png");
  std::filesystem::create_directory_symlink(samples, dir / "study" / "folder");
  std::filesystem::create_symlink(dir / "nothing.png", dir / "study" / "dangling.png");
  auto enc = run_medcrypt("encrypt " + quote(dir / "study") + " -o " + quote(dir / "sealed") + " --to " +
                          quote(key("bob.pub")) + " -q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  EXPECT_EQ(tree(dir / "sealed"), (std::vector<std::string>{"inside.png.mct", "sub/mr.png.mct"}));
  for (const char* line : {"outside.dcm: skipped, a link out of the folder",
                                  "folder: skipped, a link to a folder, not followed",
                                  "dangling.png: skipped, a link to nothing"}) {
    EXPECT_NE(enc.out.find(line), std::string::npos) << line << "\n" << enc.out;
  }
}

class CliErrors : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    ASSERT_EQ(run_medcrypt("demo --no-analysis --work " + quote(dir / "demo")).exit_code, 0);
    plain = dir / "demo" / "samples" / "mr_phantom.png";
    sealed = dir / "sealed.mct";
    ASSERT_EQ(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(sealed) + " --to " + quote(key("bob.pub")) + " -q").exit_code, 0);
  }
  // Runs a decrypt expected to fail with `code` (saying `says`, if given), and checks that it left nothing in
  // out/.
  void expect_decrypt_fails(const std::filesystem::path& container, const std::string& keys, int code,
                            const std::string& says = {}) {
    auto r = run_medcrypt("decrypt " + quote(container) + " -o " + quote(dir / "out" / "result.png") + " " + keys);
    EXPECT_EQ(r.exit_code, code) << r.out;
    EXPECT_NE(r.out.find("medcrypt: error:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line expected: " << r.out;
    EXPECT_TRUE(listing(dir / "out").empty()) << "output left behind";
  }
  std::filesystem::path plain, sealed;
};

TEST_F(CliErrors, WrongIdentityOrKey) {
  expect_decrypt_fails(sealed, "--identity " + quote(key("eve.key")), 7);
  ASSERT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "k1")).exit_code, 0);
  // The library says which kind of key the container needs; the command names its option.
  expect_decrypt_fails(sealed, "--key " + quote(dir / "k1"), 7,
                       "addressed to identities, not to a shared key (give --identity NAME.key)");
  auto shared = dir / "shared.mct";
  ASSERT_EQ(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(shared) + " --key " + quote(dir / "k1") + " -q").exit_code, 0);
  expect_decrypt_fails(shared, "--identity " + quote(key("bob.key")), 7,
                       "encrypted with a shared key, not to identities (give --key FILE)");
}

TEST_F(CliErrors, ModifiedContainer) {
  Bytes data = read_file(sealed, 1 << 30).value();
  data[data.size() - 100] ^= 0x04;
  ASSERT_TRUE(write_file_atomic(dir / "bad.mct", data));
  expect_decrypt_fails(dir / "bad.mct", "--identity " + quote(key("bob.key")), 8);
}

TEST_F(CliErrors, TruncatedContainerAndUnknownVersion) {
  Bytes data = read_file(sealed, 1 << 30).value();
  ASSERT_TRUE(write_file_atomic(dir / "short.mct", ByteView(data).first(data.size() - 1)));
  expect_decrypt_fails(dir / "short.mct", "--identity " + quote(key("bob.key")), 9);
  data[8] = 9;
  ASSERT_TRUE(write_file_atomic(dir / "v9.mct", data));
  expect_decrypt_fails(dir / "v9.mct", "--identity " + quote(key("bob.key")), 10);
}

TEST_F(CliErrors, SignatureRequiredOrFromSomeoneElse) {
  expect_decrypt_fails(sealed, "--identity " + quote(key("bob.key")) + " --from " + quote(key("alice.pub")), 11);
  auto signed_by_eve = dir / "eve.mct";
  ASSERT_EQ(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(signed_by_eve) + " --to " + quote(key("bob.pub")) + " --sign " +
                     quote(key("eve.key")) + " -q").exit_code, 0);
  expect_decrypt_fails(signed_by_eve, "--identity " + quote(key("bob.key")) + " --from " + quote(key("alice.pub")), 11);
}

TEST_F(CliErrors, WrongPassphrase) {
  ASSERT_TRUE(write_file_atomic(dir / "pass", as_bytes("right passphrase\n")));
  ASSERT_TRUE(write_file_atomic(dir / "wrong", as_bytes("wrong passphrase\n")));
  ASSERT_EQ(run_medcrypt("keygen carol -o " + quote(dir / "keys") + " --passphrase-file " + quote(dir / "pass")).exit_code, 0);
  auto for_carol = dir / "carol.mct";
  ASSERT_EQ(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(for_carol) + " --to " + quote(key("carol.pub")) + " -q").exit_code, 0);
  expect_decrypt_fails(for_carol, "--identity " + quote(key("carol.key")) + " --passphrase-file " + quote(dir / "wrong"), 12);
  // No passphrase and no terminal to ask on: the command names its option.
  expect_decrypt_fails(for_carol, "--identity " + quote(key("carol.key")) + " < /dev/null", 12,
                       "passphrase-protected and no passphrase was given (give --passphrase-file)");
  auto ok = run_medcrypt("decrypt " + quote(for_carol) + " -o " + quote(dir / "carol.png") + " --identity " + quote(key("carol.key")) +
                     " --passphrase-file " + quote(dir / "pass") + " -q");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  // On a terminal, without --passphrase-file, the passphrase is asked for (typed by pty_answer.py).
  auto asked = run_command(system_python() + " " + quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/support/pty_answer.py") +
                           " " + quote(dir / "pass") + " " + quote(MEDCRYPT_CLI) + " decrypt " + quote(for_carol) + " -o " +
                           quote(dir / "carol2.png") + " --identity " + quote(key("carol.key")) + " -q");
  EXPECT_EQ(asked.exit_code, 0) << asked.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "carol2.png"));
}

TEST_F(CliErrors, BadInputsToEncrypt) {
  auto expect_encrypt_fails = [&](const std::string& input_args, int code) {
    auto r = run_medcrypt("encrypt " + input_args + " -o " + quote(dir / "out" / "x.mct") + " --to " + quote(key("bob.pub")));
    EXPECT_EQ(r.exit_code, code) << input_args << ": " << r.out;
    EXPECT_TRUE(listing(dir / "out").empty()) << "output left behind";
  };
  expect_encrypt_fails(quote(dir / "missing.dcm"), 3);
  ASSERT_TRUE(write_file_atomic(dir / "noise.bin", as_bytes("this is not an image at all")));
  expect_encrypt_fails(quote(dir / "noise.bin"), 5);  // not a format medcrypt reads
  Bytes png = read_file(plain, 1 << 30).value();
  ASSERT_TRUE(write_file_atomic(dir / "cut.png", ByteView(png).first(png.size() / 2)));
  expect_encrypt_fails(quote(dir / "cut.png"), 4);
  auto usage = run_medcrypt("encrypt " + quote(plain) + " -o " + quote(dir / "out" / "x.mct") + " --to " + quote(key("bob.pub")) +
                        " --scheme no-such-scheme");
  EXPECT_EQ(usage.exit_code, 2) << usage.out;
  EXPECT_EQ(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(dir / "out" / "x.mct")).exit_code, 2);
  // The library says aead takes no parameters; the CLI says where its one choice is made.
  expect_one_line_failure(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(dir / "out" / "x.mct") + " --to " +
                                       quote(key("bob.pub")) + " --scheme-params cipher=chacha"),
                          "takes no parameters (its cipher is a sealing option, not a scheme parameter); choose the "
                          "cipher with --aead");
  EXPECT_TRUE(listing(dir / "out").empty()) << "output left behind";
}

TEST_F(CliErrors, MalformedAndAbsurdDicom) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto r = run_medcrypt("encrypt " + quote(shared_data() / "dicom" / "MR_truncated.dcm") + " -o " + quote(dir / "out" / "t.mct") +
                    " --to " + quote(key("bob.pub")));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  // A DICOM claiming 65535 x 65535 pixels in 2^31 frames, made with pydicom.
  auto absurd = dir / "absurd.dcm";
  std::string script =
      "import pydicom,sys\n"
      "ds=pydicom.dcmread(sys.argv[1])\n"
      "ds.Rows=65535; ds.Columns=65535; ds.NumberOfFrames=2147483647\n"
      "ds.save_as(sys.argv[2])\n";
  ASSERT_TRUE(write_file_atomic(dir / "absurd.py", as_bytes(script)));
  auto made = run_command(system_python() + " " + quote(dir / "absurd.py") + " " +
                          quote(shared_data() / "dicom" / "MR_small.dcm") + " " + quote(absurd));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto a = run_medcrypt("encrypt " + quote(absurd) + " -o " + quote(dir / "out" / "a.mct") + " --to " + quote(key("bob.pub")));
  EXPECT_EQ(a.exit_code, 6) << a.out;
  EXPECT_TRUE(listing(dir / "out").empty());
}

TEST_F(CliErrors, InfoNeedsNoKeyAndReportsTheHeader) {
  auto signed_path = dir / "signed.mct";
  ASSERT_EQ(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(signed_path) + " --to " + quote(key("bob.pub")) + " --to " +
                     quote(key("eve.pub")) + " --sign " + quote(key("alice.key")) + " -q").exit_code, 0);
  auto r = run_medcrypt("info --json " + quote(signed_path));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["scheme"], "aead");
  EXPECT_EQ(j["lossless"], true);
  EXPECT_EQ(j["geometry"]["width"], 256);
  EXPECT_EQ(j["geometry"]["bits_stored"], 8);
  EXPECT_EQ(j["recipients"].size(), 2u);
  EXPECT_EQ(j["signed"], true);
  Bytes data = read_file(signed_path, 1 << 30).value();
  data[data.size() / 2] ^= 1;
  ASSERT_TRUE(write_file_atomic(dir / "bad.mct", data));
  EXPECT_EQ(run_medcrypt("info " + quote(dir / "bad.mct")).exit_code, 11);  // the signature catches it without a key
}

// Without a key nothing in the header is authenticated, so anyone can put bytes that are not UTF-8, a
// newline or an escape sequence into the scheme name: `info` must neither abort nor print them raw.
TEST_F(CliErrors, InfoEscapesForgedHeaderStrings) {
  Bytes data = read_file(sealed, 1 << 30).value();
  const std::string name = "aead";
  auto at = std::search(data.begin(), data.end(), name.begin(), name.end());
  ASSERT_NE(at, data.end());
  const std::string forged = "\xff\n\x1b[";  // same length, so the header still parses
  std::copy(forged.begin(), forged.end(), at);
  ASSERT_TRUE(write_file_atomic(dir / "forged.mct", data));

  auto j = run_medcrypt("info --json " + quote(dir / "forged.mct"));
  ASSERT_EQ(j.exit_code, 0) << j.out;
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["scheme"], "\xef\xbf\xbd\n\x1b[");  // U+FFFD for the byte; JSON escapes the rest

  auto text = run_medcrypt("info " + quote(dir / "forged.mct"));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("scheme:      \\xff\\n\\x1b[@"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find('\x1b'), std::string::npos);
  auto plain_info = run_medcrypt("info " + quote(sealed));
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), std::count(plain_info.out.begin(), plain_info.out.end(), '\n'));

  // Decrypting it fails (the header is authenticated then), in one escaped line.
  auto r = run_medcrypt("decrypt " + quote(dir / "forged.mct") + " -o " + quote(dir / "out" / "x.png") + " --identity " +
                        quote(key("bob.key")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
}

TEST_F(CliErrors, CipherImageIsExported) {
  auto cipher = dir / "cipher.png";
  ASSERT_EQ(run_medcrypt("encrypt " + quote(plain) + " -o " + quote(dir / "c.mct") + " --to " + quote(key("bob.pub")) +
                     " --emit-cipher-image " + quote(cipher) + " -q").exit_code, 0);
  std::string script =
      "import numpy as np, sys\nfrom PIL import Image\n"
      "a=np.asarray(Image.open(sys.argv[1])); b=np.asarray(Image.open(sys.argv[2]))\n"
      "assert a.shape==b.shape, (a.shape,b.shape)\n"
      "assert (a!=b).mean()>0.99, (a!=b).mean()\n"
      "h=np.bincount(b.ravel(),minlength=256); assert h.min()>0\n";
  ASSERT_TRUE(write_file_atomic(dir / "check.py", as_bytes(script)));
  auto r = run_command(system_python() + " " + quote(dir / "check.py") + " " + quote(plain) + " " + quote(cipher));
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

}  // namespace
}  // namespace medcrypt::test
