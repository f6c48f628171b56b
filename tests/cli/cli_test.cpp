// The CLI end to end: real files from ../shared/data through keygen, encrypt, info and decrypt, checked
// by independent tools (pydicom, DCMTK's decoders and dcmdump, Pillow); and every error class with its
// exit code and no output file left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::string kCli = MEDCRYPT_CLI;
const std::string kCompare = std::string(MEDCRYPT_SOURCE_DIR) + "/tests/cli/compare_images.py";

ProcessResult medcrypt(const std::string& args) { return run_command(shell_quote(kCli) + " " + args); }
std::string q(const std::filesystem::path& p) { return shell_quote(p.string()); }

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
    ASSERT_EQ(medcrypt("keygen alice -o " + q(dir / "keys")).exit_code, 0);
    ASSERT_EQ(medcrypt("keygen bob -o " + q(dir / "keys")).exit_code, 0);
    ASSERT_EQ(medcrypt("keygen eve -o " + q(dir / "keys")).exit_code, 0);
    std::filesystem::create_directories(dir / "out");
  }
  std::filesystem::path key(const std::string& name) const { return dir / "keys" / name; }

  ScratchDir dir;
};

TEST_F(Cli, KeygenWritesPrivateKeysMode0600AndNeverOverwrites) {
  struct stat st {};
  ASSERT_EQ(::stat(key("alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = medcrypt("keygen alice -o " + q(dir / "keys"));
  EXPECT_EQ(again.exit_code, 3) << again.out;
  ASSERT_EQ(medcrypt("keygen --symmetric " + q(dir / "shared.key")).exit_code, 0);
  EXPECT_EQ(std::filesystem::file_size(dir / "shared.key"), 32u);
  ASSERT_EQ(::stat((dir / "shared.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(Cli, RoundTripOfEverySharedImageMatchesIndependentDecoders) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto images = shared_images();
  ASSERT_GE(images.size(), 30u);
  for (const auto& image : images) {
    SCOPED_TRACE(image.string());
    auto sealed = dir / "sealed.mct";
    auto restored = dir / "out" / "restored";
    auto enc = medcrypt("encrypt " + q(image) + " -o " + q(sealed) + " --to " + q(key("bob.pub")) + " --sign " +
                        q(key("alice.key")) + " -q");
    ASSERT_EQ(enc.exit_code, 0) << enc.out;
    auto dec = medcrypt("decrypt " + q(sealed) + " -o " + q(restored) + " --identity " + q(key("bob.key")) +
                        " --from " + q(key("alice.pub")) + " -q");
    ASSERT_EQ(dec.exit_code, 0) << dec.out;
    auto cmp = run_command(system_python() + " " + q(kCompare) + " " + q(image) + " " + q(restored));
    EXPECT_EQ(cmp.exit_code, 0) << cmp.out;
    std::filesystem::remove(restored);
  }
}

TEST_F(Cli, DirectoriesKeepOriginalNames) {
  auto src = dir / "src";
  std::filesystem::create_directories(src);
  ASSERT_EQ(medcrypt("demo --work " + q(dir / "demo")).exit_code, 0);
  for (const auto& e : std::filesystem::directory_iterator(dir / "demo" / "samples")) {
    std::filesystem::copy_file(e.path(), src / e.path().filename());
  }
  auto enc = medcrypt("encrypt " + q(src) + " -o " + q(dir / "sealed") + " --to " + q(key("bob.pub")) + " -q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  EXPECT_EQ(listing(dir / "sealed"),
            (std::vector<std::string>{"ct_phantom.dcm.mct", "mr_phantom.png.mct", "rgb_phantom.png.mct"}));
  auto dec = medcrypt("decrypt " + q(dir / "sealed") + " -o " + q(dir / "restored") + " --identity " +
                      q(key("bob.key")) + " -q");
  ASSERT_EQ(dec.exit_code, 0) << dec.out;
  EXPECT_EQ(listing(dir / "restored"), (std::vector<std::string>{"ct_phantom.dcm", "mr_phantom.png", "rgb_phantom.png"}));
  for (const auto& name : listing(src)) {
    auto cmp = run_command(system_python() + " " + q(kCompare) + " " + q(src / name) + " " + q(dir / "restored" / name));
    EXPECT_EQ(cmp.exit_code, 0) << name << ": " << cmp.out;
  }
  // A second run into the same folder never overwrites: names get _2.
  ASSERT_EQ(medcrypt("decrypt " + q(dir / "sealed") + " -o " + q(dir / "restored") + " --identity " +
                     q(key("bob.key")) + " -q").exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir / "restored" / "ct_phantom_2.dcm"));
}

class CliErrors : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    ASSERT_EQ(medcrypt("demo --work " + q(dir / "demo")).exit_code, 0);
    plain = dir / "demo" / "samples" / "mr_phantom.png";
    sealed = dir / "sealed.mct";
    ASSERT_EQ(medcrypt("encrypt " + q(plain) + " -o " + q(sealed) + " --to " + q(key("bob.pub")) + " -q").exit_code, 0);
  }
  // Runs a decrypt expected to fail with `code`, and checks that it left nothing in out/.
  void expect_decrypt_fails(const std::filesystem::path& container, const std::string& keys, int code) {
    auto r = medcrypt("decrypt " + q(container) + " -o " + q(dir / "out" / "result.png") + " " + keys);
    EXPECT_EQ(r.exit_code, code) << r.out;
    EXPECT_NE(r.out.find("medcrypt: error:"), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line expected: " << r.out;
    EXPECT_TRUE(listing(dir / "out").empty()) << "output left behind";
  }
  std::filesystem::path plain, sealed;
};

TEST_F(CliErrors, WrongIdentityOrKey) {
  expect_decrypt_fails(sealed, "--identity " + q(key("eve.key")), 7);
  ASSERT_EQ(medcrypt("keygen --symmetric " + q(dir / "k1")).exit_code, 0);
  expect_decrypt_fails(sealed, "--key " + q(dir / "k1"), 7);
}

TEST_F(CliErrors, ModifiedContainer) {
  Bytes data = read_file(sealed, 1 << 30).value();
  data[data.size() - 100] ^= 0x04;
  ASSERT_TRUE(write_file_atomic(dir / "bad.mct", data));
  expect_decrypt_fails(dir / "bad.mct", "--identity " + q(key("bob.key")), 8);
}

TEST_F(CliErrors, TruncatedContainerAndUnknownVersion) {
  Bytes data = read_file(sealed, 1 << 30).value();
  ASSERT_TRUE(write_file_atomic(dir / "short.mct", ByteView(data).first(data.size() - 1)));
  expect_decrypt_fails(dir / "short.mct", "--identity " + q(key("bob.key")), 9);
  data[8] = 9;
  ASSERT_TRUE(write_file_atomic(dir / "v9.mct", data));
  expect_decrypt_fails(dir / "v9.mct", "--identity " + q(key("bob.key")), 10);
}

TEST_F(CliErrors, SignatureRequiredOrFromSomeoneElse) {
  expect_decrypt_fails(sealed, "--identity " + q(key("bob.key")) + " --from " + q(key("alice.pub")), 11);
  auto signed_by_eve = dir / "eve.mct";
  ASSERT_EQ(medcrypt("encrypt " + q(plain) + " -o " + q(signed_by_eve) + " --to " + q(key("bob.pub")) + " --sign " +
                     q(key("eve.key")) + " -q").exit_code, 0);
  expect_decrypt_fails(signed_by_eve, "--identity " + q(key("bob.key")) + " --from " + q(key("alice.pub")), 11);
}

TEST_F(CliErrors, WrongPassphrase) {
  ASSERT_TRUE(write_file_atomic(dir / "pass", as_bytes("right passphrase\n")));
  ASSERT_TRUE(write_file_atomic(dir / "wrong", as_bytes("wrong passphrase\n")));
  ASSERT_EQ(medcrypt("keygen carol -o " + q(dir / "keys") + " --passphrase-file " + q(dir / "pass")).exit_code, 0);
  auto for_carol = dir / "carol.mct";
  ASSERT_EQ(medcrypt("encrypt " + q(plain) + " -o " + q(for_carol) + " --to " + q(key("carol.pub")) + " -q").exit_code, 0);
  expect_decrypt_fails(for_carol, "--identity " + q(key("carol.key")) + " --passphrase-file " + q(dir / "wrong"), 12);
  auto ok = medcrypt("decrypt " + q(for_carol) + " -o " + q(dir / "carol.png") + " --identity " + q(key("carol.key")) +
                     " --passphrase-file " + q(dir / "pass") + " -q");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST_F(CliErrors, BadInputsToEncrypt) {
  auto expect_encrypt_fails = [&](const std::string& input_args, int code) {
    auto r = medcrypt("encrypt " + input_args + " -o " + q(dir / "out" / "x.mct") + " --to " + q(key("bob.pub")));
    EXPECT_EQ(r.exit_code, code) << input_args << ": " << r.out;
    EXPECT_TRUE(listing(dir / "out").empty()) << "output left behind";
  };
  expect_encrypt_fails(q(dir / "missing.dcm"), 3);
  ASSERT_TRUE(write_file_atomic(dir / "noise.bin", as_bytes("this is not an image at all")));
  expect_encrypt_fails(q(dir / "noise.bin"), 5);  // not a format medcrypt reads
  Bytes png = read_file(plain, 1 << 30).value();
  ASSERT_TRUE(write_file_atomic(dir / "cut.png", ByteView(png).first(png.size() / 2)));
  expect_encrypt_fails(q(dir / "cut.png"), 4);
  auto usage = medcrypt("encrypt " + q(plain) + " -o " + q(dir / "out" / "x.mct") + " --to " + q(key("bob.pub")) +
                        " --scheme no-such-scheme");
  EXPECT_EQ(usage.exit_code, 2) << usage.out;
  EXPECT_EQ(medcrypt("encrypt " + q(plain) + " -o " + q(dir / "out" / "x.mct")).exit_code, 2);
}

TEST_F(CliErrors, MalformedAndAbsurdDicom) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  auto r = medcrypt("encrypt " + q(shared_data() / "dicom" / "MR_truncated.dcm") + " -o " + q(dir / "out" / "t.mct") +
                    " --to " + q(key("bob.pub")));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  // A DICOM claiming 65535 x 65535 pixels in 2^31 frames, made with pydicom.
  auto absurd = dir / "absurd.dcm";
  std::string script =
      "import pydicom,sys\n"
      "ds=pydicom.dcmread(sys.argv[1])\n"
      "ds.Rows=65535; ds.Columns=65535; ds.NumberOfFrames=2147483647\n"
      "ds.save_as(sys.argv[2])\n";
  ASSERT_TRUE(write_file_atomic(dir / "absurd.py", as_bytes(script)));
  auto made = run_command(system_python() + " " + q(dir / "absurd.py") + " " +
                          q(shared_data() / "dicom" / "MR_small.dcm") + " " + q(absurd));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto a = medcrypt("encrypt " + q(absurd) + " -o " + q(dir / "out" / "a.mct") + " --to " + q(key("bob.pub")));
  EXPECT_EQ(a.exit_code, 6) << a.out;
  EXPECT_TRUE(listing(dir / "out").empty());
}

TEST_F(CliErrors, InfoNeedsNoKeyAndReportsTheHeader) {
  auto signed_path = dir / "signed.mct";
  ASSERT_EQ(medcrypt("encrypt " + q(plain) + " -o " + q(signed_path) + " --to " + q(key("bob.pub")) + " --to " +
                     q(key("eve.pub")) + " --sign " + q(key("alice.key")) + " -q").exit_code, 0);
  auto r = medcrypt("info --json " + q(signed_path));
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
  EXPECT_EQ(medcrypt("info " + q(dir / "bad.mct")).exit_code, 11);  // the signature catches it without a key
}

TEST_F(CliErrors, CipherImageIsExported) {
  auto cipher = dir / "cipher.png";
  ASSERT_EQ(medcrypt("encrypt " + q(plain) + " -o " + q(dir / "c.mct") + " --to " + q(key("bob.pub")) +
                     " --emit-cipher-image " + q(cipher) + " -q").exit_code, 0);
  std::string script =
      "import numpy as np, sys\nfrom PIL import Image\n"
      "a=np.asarray(Image.open(sys.argv[1])); b=np.asarray(Image.open(sys.argv[2]))\n"
      "assert a.shape==b.shape, (a.shape,b.shape)\n"
      "assert (a!=b).mean()>0.99, (a!=b).mean()\n"
      "h=np.bincount(b.ravel(),minlength=256); assert h.min()>0\n";
  ASSERT_TRUE(write_file_atomic(dir / "check.py", as_bytes(script)));
  auto r = run_command(system_python() + " " + q(dir / "check.py") + " " + q(plain) + " " + q(cipher));
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

}  // namespace
}  // namespace medcrypt::test
