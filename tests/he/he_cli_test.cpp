// `medcrypt he` end to end: keygen, request (the owner), evaluate (the service), open (the owner), giving
// the classes `medcrypt classify` gives in the clear; and each kind of bad input refused with one line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sys/stat.h>

#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

const std::filesystem::path kModels = std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models";
const std::filesystem::path kPneumonia = "train/kermany_pneumonia_cxr/images";

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st{};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(HeCli, KeygenWritesA3072BitPairAndRefusesBadRequests) {
  ScratchDir dir;
  auto r = run_medcrypt("he keygen alice -o " + quote(dir.path()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("3072-bit Paillier key"), std::string::npos) << r.out;
  EXPECT_EQ(mode_of(dir / "alice.hekey"), 0600u);
  EXPECT_EQ(mode_of(dir / "alice.hepub"), 0644u);
  EXPECT_NE(read_text(dir / "alice.hepub").find("-----BEGIN MEDCRYPT PAILLIER PUBLIC KEY-----"), std::string::npos);
  expect_one_line_failure(run_medcrypt("he keygen alice -o " + quote(dir.path())), "exists");
  expect_one_line_failure(run_medcrypt("he keygen bob --bits 1024 -o " + quote(dir.path())), "2048 to 8192");
  expect_one_line_failure(run_medcrypt("he keygen a/b -o " + quote(dir.path())), "plain NAME");
  EXPECT_FALSE(std::filesystem::exists(dir / "bob.hekey"));
}

struct Keys {
  ScratchDir dir;
  Keys() {
    std::ofstream(dir / "pass") << "s3cret\n";
    EXPECT_EQ(run_medcrypt("he keygen owner --bits 2048 -o " + quote(dir.path())).exit_code, 0);
    EXPECT_EQ(run_medcrypt("he keygen locked --bits 2048 --passphrase-file " + quote(dir / "pass") + " -o " + quote(dir.path())).exit_code, 0);
    EXPECT_EQ(run_medcrypt("he keygen stranger --bits 2048 -o " + quote(dir.path())).exit_code, 0);
  }
};

TEST(HeCli, TheServiceClassifiesWhatItCannotReadAsClassifyDoesInTheClear) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  Keys k;
  const ScratchDir& dir = k.dir;
  std::string images;
  for (const char* name : {"IM-0115-0001.png", "NORMAL2-IM-0798-0001.png", "person1482_virus_2571.png",
                           "person369_bacteria_1680.png", "IM-0600-0001.png"}) {
    images += " " + quote(shared_data() / kPneumonia / name);
  }
  auto r = run_medcrypt("he request" + images + " --key " + quote(dir / "owner.hekey") + " -o " + quote(dir / "request.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("5 images, 128 features each, 128 ciphertexts"), std::string::npos) << r.out;
  // The request holds ciphertexts and the public key, nothing of the images.
  const nlohmann::json request = nlohmann::json::parse(read_text(dir / "request.json"));
  EXPECT_EQ(json_keys(request), (std::set<std::string>{"format", "version", "request_id", "key_id", "modulus", "model", "images", "inputs",
                                                        "slot_bits", "feature_scale_bits", "ciphertexts"}));
  r = run_medcrypt("he evaluate " + quote(dir / "request.json") + " -o " + quote(dir / "reply.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string against = " --request " + quote(dir / "request.json");
  r = run_medcrypt("he open --json " + quote(dir / "reply.json") + against + " --key " + quote(dir / "owner.hekey"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json opened = nlohmann::json::parse(r.out);
  r = run_medcrypt("classify --json" + images);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json clear = nlohmann::json::parse(r.out);
  ASSERT_EQ(opened["images"].size(), 5u);
  EXPECT_EQ(opened["model"], clear["model"]);
  for (std::size_t s = 0; s < 5; ++s) {
    EXPECT_EQ(opened["images"][s]["class"], clear["images"][s]["class"]) << s;
    for (std::size_t j = 0; j < 2; ++j) {
      EXPECT_NEAR(opened["images"][s]["scores"][j].get<double>(), clear["images"][s]["scores"][j].get<double>(), 1e-3);
    }
  }
  // Plain output names the images when asked.
  r = run_medcrypt("he open " + quote(dir / "reply.json") + " a b c d e" + against + " --key " + quote(dir / "owner.hekey"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("a: ", 0), 0u) << r.out;

  // Another key cannot open the reply; another model's service refuses the request; a tampered reply
  // is refused; a failed evaluation leaves no reply file.
  expect_one_line_failure(run_medcrypt("he open " + quote(dir / "reply.json") + against + " --key " + quote(dir / "stranger.hekey")),
                          "another key");
  // A reply opened against another request (same key, same images) is refused: its scores belong to
  // other images.
  r = run_medcrypt("he request" + images + " --key " + quote(dir / "owner.hekey") + " -o " + quote(dir / "request2.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  expect_one_line_failure(run_medcrypt("he open " + quote(dir / "reply.json") + " --request " + quote(dir / "request2.json") +
                                       " --key " + quote(dir / "owner.hekey")),
                          "answers another request");
  r = run_medcrypt("he evaluate " + quote(dir / "request.json") + " --model " +
                   quote(kModels / "classifier-brain-tumour.weights") + " -o " + quote(dir / "wrong.json"));
  expect_one_line_failure(r, "holds the head of");
  EXPECT_FALSE(std::filesystem::exists(dir / "wrong.json"));
  nlohmann::json reply = nlohmann::json::parse(read_text(dir / "reply.json"));
  std::string c = reply["ciphertexts"][0].get<std::string>();
  c[10] = c[10] == 'A' ? 'B' : 'A';
  reply["ciphertexts"][0] = c;
  std::ofstream(dir / "tampered.json") << reply.dump();
  expect_one_line_failure(run_medcrypt("he open " + quote(dir / "tampered.json") + against + " --key " + quote(dir / "owner.hekey")),
                          "not made for this use");
  expect_one_line_failure(run_medcrypt("he open " + quote(dir / "request.json") + against + " --key " + quote(dir / "owner.hekey")),
                          "not a medcrypt-he-logits message");
  // The service refuses malformed requests with one line and writes nothing.
  std::ofstream(dir / "bad.json") << R"({"format": 1})";
  expect_one_line_failure(run_medcrypt("he evaluate " + quote(dir / "bad.json") + " -o " + quote(dir / "bad-reply.json")),
                          "not a medcrypt-he-features message");
  EXPECT_FALSE(std::filesystem::exists(dir / "bad-reply.json"));
}

TEST(HeCli, RefusesKeysItShouldNotUse) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  Keys k;
  const ScratchDir& dir = k.dir;
  const std::string image = quote(shared_data() / kPneumonia / "IM-0115-0001.png");
  const std::string out = " -o " + quote(dir / "request.json");
  expect_one_line_failure(run_medcrypt("he request " + image + " --key " + quote(dir / "locked.hekey") + out),
                          "passphrase-protected and no passphrase was given (give --passphrase-file)");
  // A public key file as --key: refused for its mode first, and for what it is once private.
  expect_one_line_failure(run_medcrypt("he request " + image + " --key " + quote(dir / "owner.hepub") + out), "mode 0644");
  std::filesystem::permissions(dir / "owner.hepub", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  expect_one_line_failure(run_medcrypt("he request " + image + " --key " + quote(dir / "owner.hepub") + out),
                          "not a medcrypt Paillier private key file");
  std::filesystem::permissions(dir / "owner.hekey", std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  expect_one_line_failure(run_medcrypt("he request " + image + " --key " + quote(dir / "owner.hekey") + out), "owner.hekey");
  EXPECT_FALSE(std::filesystem::exists(dir / "request.json"));
  auto r = run_medcrypt("he request " + image + " --key " + quote(dir / "locked.hekey") + " --passphrase-file " +
                        quote(dir / "pass") + out);
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// Without --passphrase-file, on a terminal, the owner is asked for the key's passphrase, as for an identity
// key (tests/support/pty_answer.py types it on a pseudo-terminal); a wrong one is refused.
TEST(HeCli, AsksForAProtectedKeysPassphraseOnTheTerminal) {
  MEDCRYPT_REQUIRE_SHARED_DATA();
  Keys k;
  const ScratchDir& dir = k.dir;
  std::ofstream(dir / "wrong") << "not it\n";
  const std::string on_terminal = system_python() + " " + quote(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/support/pty_answer.py");
  const std::string request = " " + quote(MEDCRYPT_CLI) + " he request " + quote(shared_data() / kPneumonia / "IM-0115-0001.png") +
                              " --key " + quote(dir / "locked.hekey") + " -o " + quote(dir / "request.json");
  auto r = run_command(on_terminal + " " + quote(dir / "pass") + request);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Passphrase for"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "request.json"));
  std::filesystem::remove(dir / "request.json");
  r = run_command(on_terminal + " " + quote(dir / "wrong") + request);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "request.json"));
}

}  // namespace
}  // namespace medcrypt::test
