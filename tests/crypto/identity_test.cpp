// Identities: PEM round trips, passphrase protection, malformed files, shared-key and passphrase files, the
// fingerprint, and interoperability with Python's cryptography and the openssl command.
#include "crypto/identity.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "crypto/hash.hpp"
#include "crypto_test_util.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

using crypto::Identity;
using crypto::PublicIdentity;

// A passphrase with spaces and non-ASCII UTF-8: every tool must see the same bytes.
constexpr std::string_view kPassphrase = "correct horse battery staple \xc3\xbcnic\xc3\xb6" "de";

void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string_view::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

// The PEM blocks of a file, BEGIN to END line inclusive.
std::vector<std::string> pem_blocks(std::string_view pem) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = pem.find("-----BEGIN ", pos)) != std::string_view::npos) {
    auto end = pem.find("-----END ", pos);
    if (end == std::string_view::npos) break;
    end = pem.find('\n', end);
    end = end == std::string_view::npos ? pem.size() : end + 1;
    out.emplace_back(pem.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

Identity make_identity(const std::string& name) {
  auto id = crypto::generate_identity(name);
  if (!id) ADD_FAILURE() << id.error().message;
  return std::move(id).value();
}

void expect_same_public(const PublicIdentity& a, const PublicIdentity& b) {
  EXPECT_EQ(hex(a.x25519), hex(b.x25519));
  EXPECT_EQ(hex(a.ed25519), hex(b.ed25519));
  EXPECT_EQ(hex(a.fingerprint()), hex(b.fingerprint()));
}

void expect_same(const Identity& a, const Identity& b) {
  EXPECT_TRUE(a.x25519_private.equals(b.x25519_private)) << "X25519 private keys differ";
  EXPECT_TRUE(a.ed25519_private.equals(b.ed25519_private)) << "Ed25519 private keys differ";
  expect_same_public(a.public_identity, b.public_identity);
}

void expect_bad_key(const Result<Identity>& r, const std::string& what) {
  ASSERT_FALSE(r) << what << " was accepted";
  EXPECT_EQ(r.error().code, ErrorCode::kBadKey) << what << ": " << r.error().message;
}

void expect_bad_public(const Result<PublicIdentity>& r, const std::string& what) {
  ASSERT_FALSE(r) << what << " was accepted";
  EXPECT_EQ(r.error().code, ErrorCode::kBadKey) << what << ": " << r.error().message;
}

// Python with the cryptography package (Debian's /usr/bin/python3), or empty if it is absent.
std::string python_with_cryptography() {
  static const std::string python = [] {
    std::string p = system_python();
    auto r = run_command(shell_quote(p) + " -c 'import cryptography'");
    return r.exit_code == 0 ? p : std::string();
  }();
  return python;
}

#define REQUIRE_PYTHON()                                                                              \
  do {                                                                                                \
    if (python_with_cryptography().empty())                                                           \
      GTEST_SKIP() << "SKIPPED: " << system_python() << " lacks the cryptography package (python3-cryptography)"; \
  } while (0)

// Prints "x25519 <hex>" / "ed25519 <hex>" for each key in a PEM file, read by python-cryptography.
constexpr std::string_view kReadKeysScript = R"PY(
import re, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
kind, path = sys.argv[1], sys.argv[2]
password = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else None
text = open(path, "rb").read()
for block in re.findall(rb"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----\n?", text, re.S):
    if kind == "private":
        key = serialization.load_pem_private_key(block, password=password).public_key()
    else:
        key = serialization.load_pem_public_key(block)
    name = "x25519" if isinstance(key, x25519.X25519PublicKey) else \
           "ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else type(key).__name__
    print(name, key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())
)PY";

// Writes DIR/py.key (Ed25519 first, then X25519; encrypted if a passphrase file is given) and DIR/py.pub
// with keys of its own, and prints their raw public keys.
constexpr std::string_view kWriteKeysScript = R"PY(
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
out = sys.argv[1]
enc = serialization.NoEncryption()
if len(sys.argv) > 2:
    enc = serialization.BestAvailableEncryption(open(sys.argv[2], "rb").read())
x, e = x25519.X25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
with open(out + "/py.key", "wb") as f:
    f.write(b"# written by python-cryptography\n")
    for k in (e, x):
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))
with open(out + "/py.pub", "wb") as f:
    for k in (x, e):
        f.write(k.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo))
raw = lambda k: k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
print("x25519", raw(x))
print("ed25519", raw(e))
)PY";

std::map<std::string, std::string> run_python(const ScratchDir& dir, std::string_view script,
                                              const std::vector<std::string>& args) {
  auto script_path = dir / "script.py";
  write_text(script_path, script);
  std::string command = shell_quote(python_with_cryptography()) + " " + shell_quote(script_path.string());
  for (const auto& a : args) command += " " + shell_quote(a);
  auto r = run_command(command);
  std::map<std::string, std::string> keys;
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.out;
  std::istringstream lines(r.out);
  std::string name, value;
  while (lines >> name >> value) {
    EXPECT_EQ(keys.count(name), 0u) << "two " << name << " keys:\n" << r.out;
    keys[name] = value;
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------------------
// Round trips.

TEST(Identity, GeneratedKeysAreConsistent) {
  Identity id = make_identity("alice");
  EXPECT_EQ(id.name, "alice");
  EXPECT_EQ(id.public_identity.name, "alice");
  ASSERT_EQ(id.x25519_private.size(), 32u);
  ASSERT_EQ(id.ed25519_private.size(), 32u);
  auto x = crypto::x25519_public_key(id.x25519_private);
  auto e = crypto::ed25519_public_key(id.ed25519_private);
  ASSERT_TRUE(x && e);
  EXPECT_EQ(*x, id.public_identity.x25519);
  EXPECT_EQ(*e, id.public_identity.ed25519);

  Identity other = make_identity("alice");
  EXPECT_FALSE(id.x25519_private.equals(other.x25519_private));
  EXPECT_NE(hex(id.public_identity.fingerprint()), hex(other.public_identity.fingerprint()));
}

TEST(Identity, PlainPemRoundTrip) {
  Identity id = make_identity("Dr. \xc3\x9cnal, radiology");
  auto pem = crypto::private_identity_pem(id, std::nullopt);
  ASSERT_TRUE(pem) << pem.error().message;
  EXPECT_FALSE(crypto::pem_is_encrypted(*pem));
  EXPECT_EQ(count_of(*pem, "-----BEGIN PRIVATE KEY-----"), 2u);
  EXPECT_NE(pem->find("# medcrypt identity: Dr. \xc3\x9cnal, radiology\n"), std::string::npos) << *pem;
  EXPECT_NE(pem->find("# fingerprint: " + hex(id.public_identity.fingerprint()) + "\n"), std::string::npos) << *pem;

  auto parsed = crypto::parse_private_identity(*pem, std::nullopt);
  ASSERT_TRUE(parsed) << parsed.error().message;
  expect_same(id, *parsed);
  EXPECT_EQ(parsed->name, id.name);
  EXPECT_EQ(parsed->public_identity.name, id.name);

  // A passphrase given for an unencrypted file is not needed and does no harm.
  auto with_pass = crypto::parse_private_identity(*pem, kPassphrase);
  ASSERT_TRUE(with_pass) << with_pass.error().message;
  expect_same(id, *with_pass);

  // The two keys may come in either order.
  auto blocks = pem_blocks(*pem);
  ASSERT_EQ(blocks.size(), 2u);
  auto swapped = crypto::parse_private_identity(blocks[1] + blocks[0], std::nullopt);
  ASSERT_TRUE(swapped) << swapped.error().message;
  expect_same(id, *swapped);

  const std::string pub = crypto::public_identity_pem(id.public_identity);
  EXPECT_EQ(count_of(pub, "-----BEGIN PUBLIC KEY-----"), 2u);
  EXPECT_EQ(pub.find("PRIVATE"), std::string::npos);
  EXPECT_NE(pub.find("# medcrypt public identity: Dr. \xc3\x9cnal, radiology\n"), std::string::npos) << pub;
  EXPECT_NE(pub.find("# fingerprint: " + hex(id.public_identity.fingerprint()) + "\n"), std::string::npos);
  auto parsed_pub = crypto::parse_public_identity(pub);
  ASSERT_TRUE(parsed_pub) << parsed_pub.error().message;
  expect_same_public(id.public_identity, *parsed_pub);
  EXPECT_EQ(parsed_pub->name, id.name);
}

// A key file that went through a Windows editor: CRLF line endings everywhere.
std::string with_crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

TEST(Identity, CrlfLineEndingsParse) {
  Identity id = make_identity("frank");
  auto pem = crypto::private_identity_pem(id, std::nullopt);
  ASSERT_TRUE(pem);
  auto parsed = crypto::parse_private_identity(with_crlf(*pem), std::nullopt);
  ASSERT_TRUE(parsed) << parsed.error().message;
  expect_same(id, *parsed);
  auto pub = crypto::parse_public_identity(with_crlf(crypto::public_identity_pem(id.public_identity)));
  ASSERT_TRUE(pub) << pub.error().message;
  expect_same_public(id.public_identity, *pub);
}

// The name comes from the "# medcrypt identity: NAME" comment line; its line ending is not part of it.
TEST(Identity, CrlfLineEndingsKeepTheName) {
  Identity id = make_identity("frank");
  auto pem = crypto::private_identity_pem(id, std::nullopt);
  ASSERT_TRUE(pem);
  auto parsed = crypto::parse_private_identity(with_crlf(*pem), std::nullopt);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->name, "frank");
  EXPECT_EQ(parsed->public_identity.name, "frank");
  auto pub = crypto::parse_public_identity(with_crlf(crypto::public_identity_pem(id.public_identity)));
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->name, "frank");
}

TEST(Identity, FilesRoundTrip) {
  ScratchDir dir;
  Identity id = make_identity("bob");
  auto pem = crypto::private_identity_pem(id, std::nullopt);
  ASSERT_TRUE(pem);
  write_text(dir / "bob.key", *pem);
  write_text(dir / "bob.pub", crypto::public_identity_pem(id.public_identity));

  auto loaded = crypto::load_private_identity(dir / "bob.key", std::nullopt);
  ASSERT_TRUE(loaded) << loaded.error().message;
  expect_same(id, *loaded);
  auto loaded_pub = crypto::load_public_identity(dir / "bob.pub");
  ASSERT_TRUE(loaded_pub) << loaded_pub.error().message;
  expect_same_public(id.public_identity, *loaded_pub);

  // Empty files (an empty vector's data() may be null: the reader must cope).
  write_text(dir / "empty.key", "");
  write_text(dir / "empty.pub", "");
  expect_bad_key(crypto::load_private_identity(dir / "empty.key", std::nullopt), "an empty key file");
  expect_bad_public(crypto::load_public_identity(dir / "empty.pub"), "an empty public file");

  auto missing = crypto::load_private_identity(dir / "nobody.key", std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  auto missing_pub = crypto::load_public_identity(dir / "nobody.pub");
  ASSERT_FALSE(missing_pub);
  EXPECT_EQ(missing_pub.error().code, ErrorCode::kIo);

  // A key file in the wrong place: the public file where the private one belongs, and the reverse.
  auto crossed = crypto::load_private_identity(dir / "bob.pub", std::nullopt);
  ASSERT_FALSE(crossed);
  EXPECT_EQ(crossed.error().code, ErrorCode::kBadKey);
  EXPECT_NE(crossed.error().message.find("bob.pub"), std::string::npos) << "the message names the file";
  auto crossed_pub = crypto::load_public_identity(dir / "bob.key");
  ASSERT_FALSE(crossed_pub);
  EXPECT_EQ(crossed_pub.error().code, ErrorCode::kBadKey);
}

// ---------------------------------------------------------------------------------------------------------
// Passphrase protection. scrypt with N = 2^14, r = 8, p = 8 costs about 0.45 s a key (and OpenSSL runs it
// twice on a wrong passphrase), so one encrypted identity is written once per process and shared.

struct SharedEncryptedIdentity {
  Identity id;
  std::string pem;
};

const SharedEncryptedIdentity& encrypted_identity() {
  static const SharedEncryptedIdentity shared = [] {
    SharedEncryptedIdentity e{make_identity("carol"), {}};
    auto pem = crypto::private_identity_pem(e.id, kPassphrase);
    if (!pem) ADD_FAILURE() << pem.error().message;
    e.pem = pem ? *pem : std::string();
    return e;
  }();
  return shared;
}

TEST(EncryptedIdentity, RightPassphraseOpensWrongOrMissingDoesNot) {
  ScratchDir dir;
  const Identity& id = encrypted_identity().id;
  const std::string& pem = encrypted_identity().pem;
  ASSERT_FALSE(pem.empty());
  EXPECT_TRUE(crypto::pem_is_encrypted(pem));
  EXPECT_EQ(count_of(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"), 2u);
  EXPECT_EQ(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(pem.find("# fingerprint: " + hex(id.public_identity.fingerprint())), std::string::npos);
  write_text(dir / "carol.key", pem);

  auto loaded = crypto::load_private_identity(dir / "carol.key", kPassphrase);
  ASSERT_TRUE(loaded) << loaded.error().message;
  expect_same(id, *loaded);
  EXPECT_EQ(loaded->name, "carol");
  EXPECT_EQ(loaded->public_identity.name, "carol");

  expect_bad_key(crypto::parse_private_identity(pem, std::nullopt), "no passphrase");
  expect_bad_key(crypto::parse_private_identity(pem, "correct horse battery stapl"), "a wrong passphrase");
}

TEST(EncryptedIdentity, PythonAndOpensslReadTheFiles) {
  ScratchDir dir;
  const Identity& id = encrypted_identity().id;
  const std::string& pem = encrypted_identity().pem;
  ASSERT_FALSE(pem.empty());
  auto plain = crypto::private_identity_pem(id, std::nullopt);
  ASSERT_TRUE(plain);
  write_text(dir / "carol.key", pem);
  write_text(dir / "plain.key", *plain);
  write_text(dir / "carol.pub", crypto::public_identity_pem(id.public_identity));
  write_text(dir / "pass.txt", kPassphrase);
  const std::string want_x = hex(id.public_identity.x25519), want_e = hex(id.public_identity.ed25519);

  // The encryption is PBES2 with scrypt (N = 2^14, r = 8, p = 8) and AES-256-CBC, as identity.hpp says.
  auto blocks = pem_blocks(pem);
  ASSERT_EQ(blocks.size(), 2u);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    write_text(dir / "block.pem", blocks[i]);
    auto asn1 = run_command("openssl asn1parse -in " + shell_quote((dir / "block.pem").string()));
    if (asn1.exit_code == 127) GTEST_SKIP() << "SKIPPED: no openssl command";
    ASSERT_EQ(asn1.exit_code, 0) << asn1.out;
    EXPECT_NE(asn1.out.find("PBES2"), std::string::npos) << asn1.out;
    EXPECT_NE(asn1.out.find(":scrypt"), std::string::npos) << asn1.out;
    EXPECT_NE(asn1.out.find("aes-256-cbc"), std::string::npos) << asn1.out;
    EXPECT_NE(asn1.out.find("INTEGER           :4000"), std::string::npos) << "N = 16384\n" << asn1.out;
    EXPECT_EQ(count_of(asn1.out, "INTEGER           :08"), 2u) << "r = p = 8\n" << asn1.out;
  }

  // openssl pkey decrypts the file (its first key, the X25519 one) with -passin.
  auto der = dir / "x25519.der";
  auto pkey = run_command("openssl pkey -in " + shell_quote((dir / "carol.key").string()) + " -passin " +
                          shell_quote("file:" + (dir / "pass.txt").string()) + " -pubout -outform DER -out " +
                          shell_quote(der.string()));
  ASSERT_EQ(pkey.exit_code, 0) << pkey.out;
  const std::string spki = read_text(der);
  ASSERT_GE(spki.size(), 32u);
  EXPECT_EQ(hex(as_bytes(std::string_view(spki).substr(spki.size() - 32))), want_x);

  REQUIRE_PYTHON();
  // python-cryptography loads every key of NAME.key (encrypted and not) and NAME.pub to the same keys.
  for (auto [file, pass] : {std::pair<std::string, bool>{"carol.key", true}, {"plain.key", false}}) {
    std::vector<std::string> args = {"private", (dir / file).string()};
    if (pass) args.push_back((dir / "pass.txt").string());
    auto keys = run_python(dir, kReadKeysScript, args);
    EXPECT_EQ(keys.size(), 2u) << file;
    EXPECT_EQ(keys["x25519"], want_x) << file;
    EXPECT_EQ(keys["ed25519"], want_e) << file;
  }
  auto pub_keys = run_python(dir, kReadKeysScript, {"public", (dir / "carol.pub").string()});
  EXPECT_EQ(pub_keys.size(), 2u);
  EXPECT_EQ(pub_keys["x25519"], want_x);
  EXPECT_EQ(pub_keys["ed25519"], want_e);
}

// The other way round: keys written by python-cryptography (PKCS#8, encrypted with its best available
// scheme, Ed25519 first) and SubjectPublicKeyInfo public keys load in medcrypt.
TEST(Identity, ReadsKeysWrittenByPython) {
  REQUIRE_PYTHON();
  for (bool encrypted : {false, true}) {
    SCOPED_TRACE(encrypted ? "encrypted" : "plain");
    ScratchDir dir;
    write_text(dir / "pass.txt", kPassphrase);
    std::vector<std::string> args = {dir.path().string()};
    if (encrypted) args.push_back((dir / "pass.txt").string());
    auto keys = run_python(dir, kWriteKeysScript, args);
    ASSERT_EQ(keys.size(), 2u);

    const std::string text = read_text(dir / "py.key");
    EXPECT_EQ(crypto::pem_is_encrypted(text), encrypted);
    auto id = crypto::parse_private_identity(text, encrypted ? std::optional<std::string_view>(kPassphrase)
                                                             : std::nullopt);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(hex(id->public_identity.x25519), keys["x25519"]);
    EXPECT_EQ(hex(id->public_identity.ed25519), keys["ed25519"]);
    if (encrypted) expect_bad_key(crypto::parse_private_identity(text, "not it"), "a wrong passphrase");

    auto pub = crypto::load_public_identity(dir / "py.pub");
    ASSERT_TRUE(pub) << pub.error().message;
    EXPECT_EQ(hex(pub->x25519), keys["x25519"]);
    EXPECT_EQ(hex(pub->ed25519), keys["ed25519"]);
    EXPECT_EQ(pub->name, "");
  }
}

// ---------------------------------------------------------------------------------------------------------
// Malformed files: always kBadKey, never a crash.

// An EC P-256 key: a valid PKCS#8 key of a type an identity never holds.
constexpr std::string_view kP256PrivatePem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggk4A5SHdA105TU79\n"
    "gYJ3AGnjfBnXBxlLPTEAxFfUkNihRANCAATLxBE+L7sLUrxFncRfmFxBwKJJd3NY\n"
    "tI0lDBClxFPBkQ41DQUyOizFzVx1RoKXS7b1wKL+Op4C8tcqBAk33aSb\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kP256PublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEy8QRPi+7C1K8RZ3EX5hcQcCiSXdz\n"
    "WLSNJQwQpcRTwZEONQ0FMjosxc1cdUaCl0u29cCi/jqeAvLXKgQJN92kmw==\n"
    "-----END PUBLIC KEY-----\n";

TEST(Identity, MalformedPrivatePemIsBadKey) {
  Identity a = make_identity("a"), b = make_identity("b");
  auto pa = crypto::private_identity_pem(a, std::nullopt);
  auto pb = crypto::private_identity_pem(b, std::nullopt);
  ASSERT_TRUE(pa && pb);
  auto ba = pem_blocks(*pa), bb = pem_blocks(*pb);
  ASSERT_EQ(ba.size(), 2u);
  ASSERT_EQ(bb.size(), 2u);
  const std::string x_a = ba[0], e_a = ba[1], x_b = bb[0], e_b = bb[1];
  ASSERT_NE(x_a.find("BEGIN PRIVATE KEY"), std::string::npos);

  expect_bad_key(crypto::parse_private_identity("", std::nullopt), "an empty file");
  expect_bad_key(crypto::parse_private_identity(std::string_view(), std::nullopt), "a null string_view");
  expect_bad_key(crypto::parse_private_identity("# medcrypt identity: x\n", std::nullopt), "only a comment");
  expect_bad_key(crypto::parse_private_identity(x_a, std::nullopt), "one X25519 key only");
  expect_bad_key(crypto::parse_private_identity(e_a, std::nullopt), "one Ed25519 key only");
  expect_bad_key(crypto::parse_private_identity(x_a + x_b, std::nullopt), "two X25519 keys");
  expect_bad_key(crypto::parse_private_identity(e_a + e_b, std::nullopt), "two Ed25519 keys");
  expect_bad_key(crypto::parse_private_identity(x_a + std::string(kP256PrivatePem), std::nullopt), "a P-256 key");
  expect_bad_key(crypto::parse_private_identity(std::string(kP256PrivatePem) + e_a, std::nullopt), "P-256 first");
  expect_bad_key(crypto::parse_private_identity(crypto::public_identity_pem(a.public_identity), std::nullopt),
                 "a public identity");
  expect_bad_key(crypto::parse_private_identity("garbage \x01\x02\xff not a key at all", std::nullopt), "garbage");
  expect_bad_key(crypto::parse_private_identity(std::string(4096, '\0'), std::nullopt), "zero bytes");
  expect_bad_key(crypto::parse_private_identity(
                     "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + e_a, std::nullopt),
                 "a block of nonsense base64");
  // A mixed file: one key encrypted, one not, with no passphrase.
  expect_bad_key(crypto::parse_private_identity(
                     "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n" + e_a,
                     std::nullopt),
                 "an encrypted-looking block without a passphrase");
}

TEST(Identity, MalformedPublicPemIsBadKey) {
  Identity a = make_identity("a"), b = make_identity("b");
  auto ba = pem_blocks(crypto::public_identity_pem(a.public_identity));
  auto bb = pem_blocks(crypto::public_identity_pem(b.public_identity));
  ASSERT_EQ(ba.size(), 2u);
  ASSERT_EQ(bb.size(), 2u);
  auto private_pem = crypto::private_identity_pem(a, std::nullopt);
  ASSERT_TRUE(private_pem);

  expect_bad_public(crypto::parse_public_identity(""), "an empty file");
  expect_bad_public(crypto::parse_public_identity(std::string_view()), "a null string_view");
  expect_bad_public(crypto::parse_public_identity(ba[0]), "one X25519 key only");
  expect_bad_public(crypto::parse_public_identity(ba[1]), "one Ed25519 key only");
  expect_bad_public(crypto::parse_public_identity(ba[0] + bb[0]), "two X25519 keys");
  expect_bad_public(crypto::parse_public_identity(ba[1] + bb[1]), "two Ed25519 keys");
  expect_bad_public(crypto::parse_public_identity(ba[0] + std::string(kP256PublicPem)), "a P-256 key");
  expect_bad_public(crypto::parse_public_identity(*private_pem), "a private identity");
  expect_bad_public(crypto::parse_public_identity("garbage \x01\x02\xff"), "garbage");

  auto swapped = crypto::parse_public_identity(ba[1] + ba[0]);
  ASSERT_TRUE(swapped) << swapped.error().message;
  expect_same_public(a.public_identity, *swapped);
}

// Cut a valid file at every length, or damage each byte in turn: the result is the original identity
// or kBadKey, and nothing crashes (run under the asan preset for the memory-safety half of this).
TEST(Identity, TruncatedOrDamagedPemNeverCrashes) {
  Identity id = make_identity("eve");
  auto pem = crypto::private_identity_pem(id, std::nullopt);
  ASSERT_TRUE(pem);
  const std::string pub = crypto::public_identity_pem(id.public_identity);

  std::size_t accepted = 0;
  for (std::size_t n = 0; n <= pem->size(); ++n) {
    auto r = crypto::parse_private_identity(std::string_view(*pem).substr(0, n), std::nullopt);
    if (r) {
      ++accepted;
      expect_same(id, *r);
    } else {
      EXPECT_EQ(r.error().code, ErrorCode::kBadKey) << "cut at " << n;
    }
  }
  EXPECT_GE(accepted, 1u);
  EXPECT_LE(accepted, 2u) << "only the cut of the final newline may still parse";

  for (std::size_t n = 0; n <= pub.size(); ++n) {
    auto r = crypto::parse_public_identity(std::string_view(pub).substr(0, n));
    if (r) {
      expect_same_public(id.public_identity, *r);
    } else {
      EXPECT_EQ(r.error().code, ErrorCode::kBadKey) << "cut at " << n;
    }
  }

  for (std::size_t i = 0; i < pem->size(); i += 3) {  // every third byte: each parse costs OpenSSL ~2 ms
    std::string damaged = *pem;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    auto r = crypto::parse_private_identity(damaged, std::nullopt);
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kBadKey) << "byte " << i;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The fingerprint: SHA-256("medcrypt identity v1" || 0x00 || x25519 || ed25519).

TEST(Fingerprint, PinnedValue) {
  // The X25519 key is RFC 7748 section 6.1's Alice public key, the Ed25519 key RFC 8032 TEST 1's public key;
  // the expected value was computed with Python hashlib:
  //   sha256(b"medcrypt identity v1\x00" + x25519 + ed25519)
  PublicIdentity id;
  id.name = "pinned";
  auto x = from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  auto e = from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  ASSERT_TRUE(x && e);
  std::copy(x->begin(), x->end(), id.x25519.begin());
  std::copy(e->begin(), e->end(), id.ed25519.begin());
  EXPECT_EQ(hex(id.fingerprint()), "bc4ab13534789d274d9713ff0c0251aff8097d0dff645062ba8be8ab154ba888");

  // The same construction through medcrypt's own SHA-256, and the name is not part of it.
  Bytes input = concat({as_bytes(std::string_view("medcrypt identity v1\0", 21)), *x, *e});
  EXPECT_EQ(hex(id.fingerprint()), hex(crypto::sha256(input)));
  PublicIdentity renamed = id;
  renamed.name = "someone else";
  EXPECT_EQ(hex(renamed.fingerprint()), hex(id.fingerprint()));
}

TEST(Fingerprint, EveryKeyBitMatters) {
  Identity id = make_identity("f");
  const std::string base = hex(id.public_identity.fingerprint());
  for (std::size_t bit = 0; bit < 256; ++bit) {
    PublicIdentity changed = id.public_identity;
    changed.x25519[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_NE(hex(changed.fingerprint()), base) << "X25519 bit " << bit;
    changed = id.public_identity;
    changed.ed25519[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_NE(hex(changed.fingerprint()), base) << "Ed25519 bit " << bit;
  }
  // The two keys are not interchangeable.
  PublicIdentity swapped = id.public_identity;
  std::swap_ranges(swapped.x25519.begin(), swapped.x25519.end(), swapped.ed25519.begin());
  EXPECT_NE(hex(swapped.fingerprint()), base);
}

TEST(Fingerprint, MatchesPythonHashlib) {
  REQUIRE_PYTHON();
  Identity id = make_identity("g");
  const std::string script = "import hashlib, sys; print(hashlib.sha256(b'medcrypt identity v1\\x00' + "
                             "bytes.fromhex(sys.argv[1]) + bytes.fromhex(sys.argv[2])).hexdigest())";
  auto r = run_command(shell_quote(python_with_cryptography()) + " -c " + shell_quote(script) + " " +
                       hex(id.public_identity.x25519) + " " + hex(id.public_identity.ed25519));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, hex(id.public_identity.fingerprint()) + "\n");
}

// ---------------------------------------------------------------------------------------------------------
// Shared-key files: 32 raw bytes, or 64 hex digits and an optional newline.

class SharedKeyFile : public testing::Test {
 protected:
  Result<SecretBytes> load(std::string_view content) {
    write_text(dir_ / "shared.key", content);
    return crypto::load_shared_key(dir_ / "shared.key");
  }
  void expect_bad(std::string_view content, const std::string& what) {
    auto r = load(content);
    ASSERT_FALSE(r) << what << " was accepted";
    EXPECT_EQ(r.error().code, ErrorCode::kBadKey) << what;
  }
  ScratchDir dir_;
};

TEST_F(SharedKeyFile, AcceptsRawBytes) {
  Bytes raw = TestRng(7).bytes(32);
  raw[31] = '\n';  // 32 raw bytes that happen to end in a newline are still 32 raw bytes
  raw[0] = '\r';
  auto r = load(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(hex(r->span()), hex(raw));
}

TEST_F(SharedKeyFile, AcceptsHexWithOrWithoutNewline) {
  const Bytes key = TestRng(8).bytes(32);
  const std::string lower = hex(key);
  std::string upper = lower;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& text : {lower, lower + "\n", lower + "\r\n", upper + "\n"}) {
    auto r = load(text);
    ASSERT_TRUE(r) << r.error().message << " for " << text.size() << " bytes";
    EXPECT_EQ(hex(r->span()), lower);
  }
}

TEST_F(SharedKeyFile, RefusesEverythingElse) {
  const Bytes raw = TestRng(9).bytes(64);
  const std::string lower = hex(ByteView(raw).first(32));
  auto raw_text = [&](std::size_t n) { return std::string(reinterpret_cast<const char*>(raw.data()), n); };
  expect_bad("", "an empty file");
  expect_bad(raw_text(31), "31 raw bytes");
  expect_bad(raw_text(33), "33 raw bytes");
  expect_bad(raw_text(32) + "\n", "32 raw bytes and a newline");
  expect_bad(lower.substr(0, 63) + "\n", "63 hex digits");
  expect_bad(lower + "0\n", "65 hex digits");
  expect_bad(lower.substr(0, 62) + "\n", "62 hex digits (31 bytes)");
  expect_bad(hex(raw).substr(0, 66) + "\n", "66 hex digits (33 bytes)");
  expect_bad("g" + lower.substr(1) + "\n", "a non-hex digit");
  expect_bad(lower.substr(0, 63) + "-\n", "a dash");
  expect_bad(lower + " \n", "a trailing space");
  expect_bad(" " + lower + "\n", "a leading space");
  expect_bad("0x" + lower.substr(2) + "\n", "a 0x prefix");

  auto big = load(std::string(2000, 'a'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kLimits);
  auto missing = crypto::load_shared_key(dir_ / "absent.key");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

TEST(PassphraseFile, FirstLineWithoutItsEnding) {
  ScratchDir dir;
  auto load = [&](std::string_view content) {
    write_text(dir / "pass.txt", content);
    return crypto::load_passphrase(dir / "pass.txt");
  };
  for (auto [content, want] : std::vector<std::pair<std::string, std::string>>{
           {"secret", "secret"},
           {"secret\n", "secret"},
           {"secret\r\n", "secret"},
           {"two words \n second line\n", "two words "},
           {std::string(kPassphrase) + "\n", std::string(kPassphrase)}}) {
    auto r = load(content);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, want);
  }
  for (std::string_view empty : {"", "\n", "\r\n"}) {
    auto r = load(empty);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  }
  auto missing = crypto::load_passphrase(dir / "absent.txt");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace medcrypt::test
