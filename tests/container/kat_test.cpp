// The known-answer containers (written by tests/interop/mct_encode_kat.py from docs/FORMAT.md alone)
// must be reproduced byte for byte, and medcrypt's own containers must open in the independent
// Python decoder (tests/interop/mct_decode.py).
#include <gtest/gtest.h>

#include <fstream>

#include "container/repeatable.hpp"
#include "core/file_io.hpp"
#include "crypto/random.hpp"
#include "image/image_file.hpp"
#include "schemes/scheme.hpp"
#include "support/test_support.hpp"
#include "test_images.hpp"

namespace medcrypt::test {
namespace {

const std::filesystem::path kKatDir = MEDCRYPT_KAT_DIR;
const std::filesystem::path kInterop = MEDCRYPT_INTEROP_DIR;

// The image of mct_encode_kat.py's kat_image().
image::Image kat_image() {
  image::Geometry g{64, 40, 1, 1, 16, 12, false, "MONOCHROME2"};
  auto img = image::Image::create(g).value();
  for (std::size_t i = 0; i < g.sample_count(); ++i) img.set_word(i, (i * 37 + (i / 64) * 101) % 4096);
  return img;
}

container::FixedRandomness kat_randomness(std::size_t recipients) {
  container::FixedRandomness fixed;
  fixed.content_key = kat_value("kat content key");
  auto id = kat_value("kat message id", 16);
  std::copy(id.span().begin(), id.span().end(), fixed.message_id.begin());
  auto prefix = kat_value("kat nonce prefix", 7);
  std::copy(prefix.span().begin(), prefix.span().end(), fixed.nonce_prefix.begin());
  for (std::size_t i = 0; i < recipients; ++i) fixed.ephemeral_keys.push_back(kat_value("kat ephemeral " + std::to_string(i)));
  auto salt = kat_value("kat shared salt");
  std::copy(salt.span().begin(), salt.span().end(), fixed.shared_salt.begin());
  return fixed;
}

Bytes seal_kat(const container::Recipients& to, crypto::AeadAlgorithm aead, const crypto::Identity* signer,
               const container::FixedRandomness& fixed) {
  auto scheme = schemes::builtin_registry().create("aead").value();
  container::SealOptions opt;
  opt.aead = aead;
  opt.chunk_log2 = 12;
  opt.signer = signer;
  container::MemorySink sink;
  container::Metadata metadata{"kat.png", "png", {}, {}, {}};
  EXPECT_TRUE(container::seal_repeatable(kat_image(), metadata, *scheme, to, opt, fixed, sink));
  return std::move(sink).take();
}

Bytes read_bytes(const std::filesystem::path& p) { return read_file(p, 1u << 30).value(); }

TEST(KnownAnswer, RecipientsAesGcmSignedIsReproducedExactly) {
  auto alice = kat_identity("alice"), carol = kat_identity("carol"), bob = kat_identity("bob");
  auto fixed = kat_randomness(2);
  Bytes ours = seal_kat(container::Recipients::identities({alice.public_identity, carol.public_identity}),
                        crypto::AeadAlgorithm::kAes256Gcm, &bob, fixed);
  EXPECT_EQ(ours, read_bytes(kKatDir / "kat_recipients_aes256gcm_signed_v2.mct"));

  // Version 2 names the signer's whole identity; version 1 (older medcrypt) only its Ed25519 key, and
  // still opens.
  for (auto [file, version] : {std::pair{"kat_recipients_aes256gcm_signed_v2.mct", 2}, {"kat_recipients_aes256gcm_signed.mct", 1}}) {
    Bytes stored = read_bytes(kKatDir / file);
    for (const auto* id : {&alice, &carol}) {
      container::OpenOptions opt;
      opt.expected_signer = bob.public_identity;
      auto opened = open_from_memory(stored, container::OpenKeys::identity(*id), opt);
      ASSERT_TRUE(opened) << file << ": " << opened.error().message;
      EXPECT_EQ(opened->image, kat_image());
      EXPECT_EQ(opened->metadata.file_name, "kat.png");
      EXPECT_EQ(opened->header.version, version);
      auto signer = opened->header.signer_identity();
      ASSERT_EQ(signer.has_value(), version == 2) << file;
      if (signer) {
        EXPECT_EQ(signer->fingerprint(), bob.public_identity.fingerprint());
      }
    }
  }
}

TEST(KnownAnswer, SharedKeyChaChaIsReproducedExactly) {
  auto fixed = kat_randomness(0);
  SecretBytes key = kat_value("kat shared key");
  Bytes ours = seal_kat(container::Recipients::shared_key(key), crypto::AeadAlgorithm::kChaCha20Poly1305, nullptr, fixed);
  EXPECT_EQ(ours, read_bytes(kKatDir / "kat_shared_chacha20poly1305_v2.mct"));
  auto old = open_from_memory(read_bytes(kKatDir / "kat_shared_chacha20poly1305.mct"), container::OpenKeys::shared_key(key));
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->header.version, 1);
  EXPECT_EQ(old->image, kat_image());
  auto loaded = crypto::load_shared_key(kKatDir / "kat_shared.key");
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->equals(key));
}

TEST(KnownAnswer, KeyFilesOfTheScriptLoadAsTheSameIdentities) {
  auto alice = crypto::load_private_identity(kKatDir / "kat_alice.key", std::nullopt);
  ASSERT_TRUE(alice) << alice.error().message;
  EXPECT_EQ(alice->public_identity.fingerprint(), kat_identity("alice").public_identity.fingerprint());
  auto bob = crypto::load_public_identity(kKatDir / "kat_bob.pub");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->ed25519, kat_identity("bob").public_identity.ed25519);
}

// A container sealed with chaos-henon:paper version 1 by medcrypt at commit aea5c33, before version 2
// followed the paper's Algorithm 1: it names version 1 and still decrypts to its image bit for bit, while new
// containers name version 2.
TEST(KnownAnswer, ChaosHenonPaperVersionOneStillDecrypts) {
  auto key = crypto::load_shared_key(kKatDir / "kat_shared.key");
  ASSERT_TRUE(key);
  auto opened = open_from_memory(read_bytes(kKatDir / "chaos_henon_paper_v1.mct"), container::OpenKeys::shared_key(*key));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->header.scheme_name, "chaos-henon:paper");
  EXPECT_EQ(opened->header.scheme_version, 1);
  auto plain = image::read_image_file(kKatDir / "chaos_henon_paper_v1.png");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(opened->image, plain->image);
  EXPECT_EQ(schemes::builtin_registry().create("chaos-henon:paper").value()->info().version, 2);
}

TEST(KnownAnswer, TheScriptStillWritesTheStoredFiles) {
  ScratchDir dir;
  auto r = run_command(system_python() + " " + shell_quote((kInterop / "mct_encode_kat.py").string()) + " " +
                       shell_quote(dir.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* name : {"kat_recipients_aes256gcm_signed.mct", "kat_shared_chacha20poly1305.mct",
                           "kat_recipients_aes256gcm_signed_v2.mct", "kat_shared_chacha20poly1305_v2.mct"}) {
    EXPECT_EQ(read_bytes(dir / name), read_bytes(kKatDir / name)) << name;
  }
}

// The independent decoder opens the stored containers of both versions; version 2 names Bob's identity.
TEST(KnownAnswer, ThePythonDecoderOpensBothVersions) {
  ScratchDir dir;
  const image::Image kat = kat_image();
  const Bytes image(kat.bytes().begin(), kat.bytes().end());
  for (auto [file, version] : {std::pair{"kat_recipients_aes256gcm_signed.mct", 1}, {"kat_recipients_aes256gcm_signed_v2.mct", 2}}) {
    auto r = run_command(system_python() + " " + shell_quote((kInterop / "mct_decode.py").string()) + " " +
                         shell_quote((kKatDir / file).string()) + " --identity " +
                         shell_quote((kKatDir / "kat_alice.key").string()) + " --from " +
                         shell_quote((kKatDir / "kat_bob.pub").string()) + " --payload " +
                         shell_quote((dir / "out.bin").string()));
    ASSERT_EQ(r.exit_code, 0) << file << ": " << r.out;
    EXPECT_EQ(read_bytes(dir / "out.bin"), image) << file;
    EXPECT_NE(r.out.find("\"version\": " + std::to_string(version)), std::string::npos) << r.out;
    const std::string bob = to_hex(kat_identity("bob").public_identity.fingerprint());
    EXPECT_EQ(r.out.find("\"signer_identity\": \"" + bob + "\"") != std::string::npos, version == 2) << r.out;
  }
}

// medcrypt writes keys and containers; the Python decoder must open them.
class PythonDecoder : public ::testing::TestWithParam<std::tuple<crypto::AeadAlgorithm, bool, bool>> {};

TEST_P(PythonDecoder, OpensWhatMedcryptWrites) {
  auto [aead, shared, with_passphrase] = GetParam();
  ScratchDir dir;
  auto img = random_image(123, 77, 2, 3, 16, 16, false, 21);  // 113652 bytes over several 16 KiB chunks
  auto alice = fresh_identity("alice"), bob = fresh_identity("bob");
  std::optional<std::string_view> pass;
  if (with_passphrase) {
    pass = "correct horse battery staple";
    ASSERT_TRUE(write_file_atomic(dir / "pass.txt", as_bytes("correct horse battery staple\n")));
  }
  ASSERT_TRUE(write_file_atomic(dir / "alice.key", as_bytes(crypto::private_identity_pem(alice, pass).value())));
  ASSERT_TRUE(write_file_atomic(dir / "bob.pub", as_bytes(crypto::public_identity_pem(bob.public_identity))));
  auto key = crypto::random_secret(32).value();
  ASSERT_TRUE(write_file_atomic(dir / "shared.key", key.span()));

  container::SealOptions opt;
  opt.aead = aead;
  opt.chunk_log2 = 14;
  opt.signer = &bob;
  const auto to = shared ? container::Recipients::shared_key(key)
                         : container::Recipients::identities({fresh_identity("x").public_identity, alice.public_identity});
  ASSERT_TRUE(write_file_atomic(dir / "msg.mct", seal_to_memory(img, to, opt).value()));

  std::string cmd = system_python() + " " + shell_quote((kInterop / "mct_decode.py").string()) + " " +
                    shell_quote((dir / "msg.mct").string()) + " --payload " + shell_quote((dir / "out.bin").string()) +
                    " --from " + shell_quote((dir / "bob.pub").string());
  if (shared) {
    cmd += " --key " + shell_quote((dir / "shared.key").string());
  } else {
    cmd += " --identity " + shell_quote((dir / "alice.key").string());
    if (with_passphrase) cmd += " --passphrase-file " + shell_quote((dir / "pass.txt").string());
  }
  auto r = run_command(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Bytes payload = read_bytes(dir / "out.bin");
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), img.bytes().begin(), img.bytes().end()));
  EXPECT_NE(r.out.find("\"file_name\": \"scan.png\""), std::string::npos) << r.out;

  // And it refuses a modified container.
  Bytes bad = read_bytes(dir / "msg.mct");
  bad[bad.size() / 2] ^= 1;
  ASSERT_TRUE(write_file_atomic(dir / "bad.mct", bad));
  std::string bad_cmd = cmd;
  bad_cmd.replace(bad_cmd.find((dir / "msg.mct").string()), (dir / "msg.mct").string().size(), (dir / "bad.mct").string());
  EXPECT_NE(run_command(bad_cmd).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Variants, PythonDecoder,
                         ::testing::Values(std::make_tuple(crypto::AeadAlgorithm::kAes256Gcm, false, false),
                                           std::make_tuple(crypto::AeadAlgorithm::kChaCha20Poly1305, false, true),
                                           std::make_tuple(crypto::AeadAlgorithm::kAes256Gcm, true, false),
                                           std::make_tuple(crypto::AeadAlgorithm::kChaCha20Poly1305, true, false)));

}  // namespace
}  // namespace medcrypt::test
