// Round trips, recipients, shared keys, signatures and error classes of the container.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "container/payload_stream.hpp"
#include "container/repeatable.hpp"
#include "crypto/random.hpp"
#include "test_images.hpp"

namespace medcrypt::test {
namespace {

using container::OpenKeys;
using container::OpenOptions;
using container::Recipients;
using container::SealOptions;

struct GeometryCase {
  std::uint32_t w, h, frames;
  std::uint8_t samples, bits_allocated, bits_stored;
  bool is_signed;
};

class RoundTrip : public ::testing::TestWithParam<std::tuple<GeometryCase, crypto::AeadAlgorithm, unsigned>> {};

TEST_P(RoundTrip, DecryptsBitExactly) {
  auto [g, aead, threads] = GetParam();
  auto img = random_image(g.w, g.h, g.frames, g.samples, g.bits_allocated, g.bits_stored, g.is_signed, g.w * 31 + g.h);
  auto alice = fresh_identity("alice");
  SealOptions opt;
  opt.aead = aead;
  opt.chunk_log2 = 12;  // 4 KiB: many chunks even for small images
  opt.threads = threads;
  auto sealed = seal_to_memory(img, Recipients::identities({alice.public_identity}), opt);
  ASSERT_TRUE(sealed) << sealed.error().message;
  OpenOptions open_opt;
  open_opt.threads = threads;
  auto opened = open_from_memory(*sealed, OpenKeys::identity(alice), open_opt);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->image.geometry(), img.geometry());
  EXPECT_TRUE(std::equal(opened->image.bytes().begin(), opened->image.bytes().end(), img.bytes().begin(),
                         img.bytes().end()));
  EXPECT_EQ(opened->metadata.file_name, "scan.png");
  ASSERT_EQ(opened->metadata.notes.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, RoundTrip,
    ::testing::Combine(::testing::Values(GeometryCase{1, 1, 1, 1, 8, 8, false}, GeometryCase{7, 13, 1, 1, 16, 12, true},
                                         GeometryCase{511, 509, 1, 1, 8, 8, false},
                                         GeometryCase{100, 61, 1, 3, 8, 8, false},
                                         GeometryCase{64, 64, 10, 1, 16, 16, false},
                                         GeometryCase{33, 17, 3, 3, 16, 10, false}),
                       ::testing::Values(crypto::AeadAlgorithm::kAes256Gcm, crypto::AeadAlgorithm::kChaCha20Poly1305),
                       ::testing::Values(1u, 3u)));

TEST(Container, SameBytesWhateverTheThreadCount) {
  auto img = random_image(300, 200, 2, 1, 16, 16, false, 7);
  auto alice = kat_identity("alice");
  container::FixedRandomness fixed;
  fixed.content_key = kat_value("content");
  fixed.ephemeral_keys.push_back(kat_value("eph"));
  SealOptions opt;
  opt.chunk_log2 = 12;
  auto scheme = schemes::builtin_registry().create("aead").value();
  Bytes reference;
  for (unsigned threads : {1u, 2u, 5u}) {
    opt.threads = threads;
    container::MemorySink sink;
    ASSERT_TRUE(container::seal_repeatable(img, sample_metadata(), *scheme, Recipients::identities({alice.public_identity}),
                                           opt, fixed, sink));
    Bytes sealed = std::move(sink).take();
    if (reference.empty()) {
      reference = sealed;
    } else {
      EXPECT_EQ(sealed, reference) << threads << " threads";
    }
  }
}

TEST(Container, FreshKeysAndNoncesEveryMessage) {
  auto img = random_image(32, 32, 1, 1, 8, 8, false, 1);
  auto alice = fresh_identity("alice");
  auto a = seal_to_memory(img, Recipients::identities({alice.public_identity}), {});
  auto b = seal_to_memory(img, Recipients::identities({alice.public_identity}), {});
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->size(), b->size());
  // Same image, same recipient: the ciphertexts agree only by chance (1 byte in 256 on average).
  container::MemorySource source(*a);
  auto parsed = container::read_header(source);
  ASSERT_TRUE(parsed);
  std::size_t start = parsed->total_bytes(), same = 0;
  for (std::size_t i = start; i < a->size(); ++i) same += (*a)[i] == (*b)[i];
  EXPECT_LT(same, (a->size() - start) / 50);
  EXPECT_FALSE(std::equal(a->begin() + 15, a->begin() + 31, b->begin() + 15));  // message ids differ
}

TEST(Container, EveryRecipientCanOpenOthersCannot) {
  auto img = random_image(40, 30, 1, 3, 8, 8, false, 3);
  auto alice = fresh_identity("alice"), bob = fresh_identity("bob"), carol = fresh_identity("carol");
  auto eve = fresh_identity("eve");
  auto sealed = seal_to_memory(img, Recipients::identities({alice.public_identity, bob.public_identity, carol.public_identity}), {});
  ASSERT_TRUE(sealed);
  for (const auto* id : {&alice, &bob, &carol}) {
    auto opened = open_from_memory(*sealed, OpenKeys::identity(*id));
    ASSERT_TRUE(opened) << id->name << ": " << opened.error().message;
    EXPECT_EQ(opened->image, img);
  }
  auto denied = open_from_memory(*sealed, OpenKeys::identity(eve));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kWrongKey);

  SecretBytes some_key(32);
  auto with_key = open_from_memory(*sealed, OpenKeys::shared_key(some_key));
  ASSERT_FALSE(with_key);
  EXPECT_EQ(with_key.error().code, ErrorCode::kWrongKey);
}

TEST(Container, SharedKey) {
  auto img = random_image(50, 50, 1, 1, 16, 16, true, 4);
  auto key = crypto::random_secret(32).value();
  auto other = crypto::random_secret(32).value();
  auto sealed = seal_to_memory(img, Recipients::shared_key(key), {});
  ASSERT_TRUE(sealed);
  auto opened = open_from_memory(*sealed, OpenKeys::shared_key(key));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->image, img);
  auto wrong = open_from_memory(*sealed, OpenKeys::shared_key(other));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kWrongKey);
  auto alice = fresh_identity("alice");
  auto by_identity = open_from_memory(*sealed, OpenKeys::identity(alice));
  ASSERT_FALSE(by_identity);
  EXPECT_EQ(by_identity.error().code, ErrorCode::kWrongKey);
}

// A list of identities may be empty; seal refuses it, writing nothing.
TEST(Container, NoRecipientIsRefused) {
  auto img = random_image(9, 7, 1, 1, 8, 8, false, 9);
  auto scheme = schemes::builtin_registry().create("aead").value();
  container::MemorySink sink;
  auto sealed = container::seal(img, sample_metadata(), *scheme, Recipients::identities({}), {}, sink);
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().code, ErrorCode::kUsage);
  EXPECT_EQ(sealed.error().message, "no recipient: neither an identity nor a shared key given");
  EXPECT_TRUE(std::move(sink).take().empty());
}

TEST(Container, Signatures) {
  auto img = random_image(20, 20, 1, 1, 8, 8, false, 5);
  auto alice = fresh_identity("alice"), bob = fresh_identity("bob"), mallory = fresh_identity("mallory");
  SealOptions opt;
  opt.signer = &bob;
  auto signed_msg = seal_to_memory(img, Recipients::identities({alice.public_identity}), opt);
  auto unsigned_msg = seal_to_memory(img, Recipients::identities({alice.public_identity}), {});
  ASSERT_TRUE(signed_msg && unsigned_msg);

  OpenOptions from_bob;
  from_bob.expected_signer = bob.public_identity;
  EXPECT_TRUE(open_from_memory(*signed_msg, OpenKeys::identity(alice), from_bob));
  EXPECT_TRUE(open_from_memory(*signed_msg, OpenKeys::identity(alice)));  // verified even when not required

  OpenOptions from_mallory;
  from_mallory.expected_signer = mallory.public_identity;
  auto wrong_sender = open_from_memory(*signed_msg, OpenKeys::identity(alice), from_mallory);
  ASSERT_FALSE(wrong_sender);
  EXPECT_EQ(wrong_sender.error().code, ErrorCode::kSignature);
  auto not_signed = open_from_memory(*unsigned_msg, OpenKeys::identity(alice), from_bob);
  ASSERT_FALSE(not_signed);
  EXPECT_EQ(not_signed.error().code, ErrorCode::kSignature);

  // Bob's Ed25519 key naming another identity's X25519 key (which only Bob can do): a valid signature,
  // but not by the identity the recipient expects, as the Python decoder also rules.
  crypto::Identity bob_as_mallory = bob;
  bob_as_mallory.public_identity.x25519 = mallory.public_identity.x25519;
  SealOptions other_identity;
  other_identity.signer = &bob_as_mallory;
  auto renamed = seal_to_memory(img, Recipients::identities({alice.public_identity}), other_identity);
  ASSERT_TRUE(renamed);
  EXPECT_TRUE(open_from_memory(*renamed, OpenKeys::identity(alice)));
  auto mixed = open_from_memory(*renamed, OpenKeys::identity(alice), from_bob);
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().code, ErrorCode::kSignature);
  EXPECT_EQ(mixed.error().message, "the container is signed by the expected sender's Ed25519 key but names another identity");

  // Without any key, the structure and signature can still be checked (what a relay does).
  container::MemorySource source(*signed_msg);
  auto header = container::verify_signature_only(source, true);
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(header->signer, bob.public_identity.ed25519);
  container::MemorySource unsigned_source(*unsigned_msg);
  EXPECT_EQ(container::verify_signature_only(unsigned_source, true).error().code, ErrorCode::kSignature);

  // The relay's variant also hashes every byte, signature included, in the same pass.
  container::MemorySource again(*signed_msg);
  auto verified = container::verify_signed_container(again);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->header.signer, bob.public_identity.ed25519);
  const crypto::Sha256Digest whole = crypto::sha256(*signed_msg);
  EXPECT_EQ(verified->sha256, Bytes(whole.begin(), whole.end()));
  Bytes altered = *signed_msg;
  altered[altered.size() - 1] ^= 1;  // the signature's last byte
  container::MemorySource altered_source(altered);
  EXPECT_EQ(container::verify_signed_container(altered_source).error().code, ErrorCode::kSignature);
  container::MemorySource unsigned_again(*unsigned_msg);
  EXPECT_EQ(container::verify_signed_container(unsigned_again).error().code, ErrorCode::kSignature);
}

// What the streaming verifier concludes from bytes fed in pieces, as a relay receives them.
Result<container::VerifiedContainer> verify_streamed(ByteView bytes, std::size_t piece, std::uint64_t declared) {
  container::StreamingVerifier verifier(declared);
  for (std::size_t at = 0; at < bytes.size(); at += piece) verifier.update(bytes.subspan(at, std::min(piece, bytes.size() - at)));
  return verifier.finish();
}

Result<container::VerifiedContainer> verify_read(ByteView bytes) {
  container::MemorySource source(bytes);
  return container::verify_signed_container(source);
}

TEST(Container, StreamingVerifierAgreesWithTheOneThatReads) {
  auto bob = fresh_identity("bob"), alice = fresh_identity("alice");
  SealOptions opt;
  opt.signer = &bob;
  auto big = seal_to_memory(random_image(300, 200, 1, 1, 16, 16, false, 8), Recipients::identities({alice.public_identity}), opt);
  ASSERT_TRUE(big);
  const crypto::Sha256Digest whole = crypto::sha256(*big);
  for (std::size_t piece : {std::size_t{1}, std::size_t{13}, std::size_t{64}, std::size_t{4096}, big->size()}) {
    auto streamed = verify_streamed(*big, piece, big->size());
    ASSERT_TRUE(streamed) << "pieces of " << piece << ": " << streamed.error().message;
    EXPECT_EQ(streamed->header.signer, bob.public_identity.ed25519);
    EXPECT_EQ(streamed->header.message_id, verify_read(*big)->header.message_id);
    EXPECT_EQ(streamed->sha256, Bytes(whole.begin(), whole.end())) << "pieces of " << piece;
  }
  // Fewer or more bytes than declared.
  auto short_of = verify_streamed(ByteView(*big).first(big->size() - 1), 4096, big->size());
  ASSERT_FALSE(short_of);
  EXPECT_EQ(short_of.error().code, ErrorCode::kMalformed);
  Bytes longer = *big;
  longer.push_back(0);
  auto over = verify_streamed(longer, 4096, big->size());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kMalformed);

  // Every byte of a small container changed in turn, and every truncation (declared as sent, as a relay
  // sees a container that says less than it is): refused by both, for the same reason.
  auto small = seal_to_memory(random_image(9, 7, 1, 1, 8, 8, false, 9), Recipients::identities({alice.public_identity}), opt);
  ASSERT_TRUE(small);
  for (std::size_t i = 0; i < small->size(); ++i) {
    Bytes altered = *small;
    altered[i] ^= 0x41;
    auto read = verify_read(altered);
    auto streamed = verify_streamed(altered, 7, altered.size());
    ASSERT_FALSE(read) << "byte " << i;
    ASSERT_FALSE(streamed) << "byte " << i;
    EXPECT_EQ(streamed.error().code, read.error().code) << "byte " << i;
    EXPECT_EQ(streamed.error().message, read.error().message) << "byte " << i;
  }
  for (std::size_t n = 0; n < small->size(); ++n) {
    ByteView cut = ByteView(*small).first(n);
    auto read = verify_read(cut);
    auto streamed = verify_streamed(cut, 5, n);
    ASSERT_FALSE(read) << n << " bytes";
    ASSERT_FALSE(streamed) << n << " bytes";
    EXPECT_EQ(streamed.error().code, read.error().code) << n << " bytes";
    EXPECT_EQ(streamed.error().message, read.error().message) << n << " bytes";
  }
  auto unsigned_msg = seal_to_memory(random_image(9, 7, 1, 1, 8, 8, false, 9), Recipients::identities({alice.public_identity}), {});
  ASSERT_TRUE(unsigned_msg);
  auto not_signed = verify_streamed(*unsigned_msg, 64, unsigned_msg->size());
  ASSERT_FALSE(not_signed);
  EXPECT_EQ(not_signed.error().code, ErrorCode::kSignature);
}

// The memory flags (smaps "VmFlags") of the mapping that holds `p`.
std::string vm_flags_at(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2) {  // a mapping's first line
      inside = lo <= at && at < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return {};
}

// A large study is decrypted into memory marked for transparent huge pages, 2 MiB aligned: a fresh 64 MiB
// buffer faulted in 4 KiB at a time made opening a study ten times slower than the decryption itself.
TEST(Container, LargeImagesOpenIntoHugePageMemory) {
  auto img = random_image(2048, 2048, 4, 1, 16, 12, false, 11);  // 32 MiB
  auto key = crypto::random_secret(32).value();
  auto sealed = seal_to_memory(img, Recipients::shared_key(key), {});
  ASSERT_TRUE(sealed);
  auto opened = open_from_memory(*sealed, OpenKeys::shared_key(key), {});
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->image, img);
  const std::uint8_t* pixels = opened->image.bytes().data();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pixels) % (2u << 20), 0u);
  PixelBytes small(kHugePageMin - 1);  // a small image stays on the ordinary heap
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled")) {
    GTEST_SKIP() << "this kernel has no transparent huge pages: the advice is not checked";
  }
  ASSERT_FALSE(vm_flags_at(small.data()).empty()) << "no mapping in /proc/self/smaps holds the small buffer";
  EXPECT_NE(vm_flags_at(pixels).find(" hg"), std::string::npos) << vm_flags_at(pixels);
  EXPECT_EQ(vm_flags_at(small.data()).find(" hg"), std::string::npos) << vm_flags_at(small.data());
}

TEST(Container, CipherImageIsTheStoredCiphertext) {
  auto img = random_image(64, 48, 1, 1, 8, 8, false, 6);
  auto key = crypto::random_secret(32).value();
  SealOptions opt;
  opt.want_cipher_image = true;
  opt.chunk_log2 = 12;
  auto scheme = schemes::builtin_registry().create("aead").value();
  container::MemorySink sink;
  auto report = container::seal(img, sample_metadata(), *scheme, Recipients::shared_key(key), opt, sink);
  ASSERT_TRUE(report) << report.error().message;
  const image::Image& cipher = report->cipher_image;
  const Bytes sealed = std::move(sink).take();
  ASSERT_EQ(cipher.geometry().width, img.geometry().width);
  ASSERT_EQ(cipher.geometry().bits_stored, 8);
  EXPECT_NE(cipher, img);
  // The first chunk's data sits right after the header and metadata; compare it with the cipher image.
  container::MemorySource source(sealed);
  auto parsed = container::read_header(source);
  ASSERT_TRUE(parsed);
  std::size_t start = parsed->total_bytes() + parsed->header.metadata_bytes;
  ASSERT_EQ(cipher.bytes().size(), 3072u);  // one chunk
  EXPECT_TRUE(std::equal(cipher.bytes().begin(), cipher.bytes().end(), sealed.begin() + start));
}

TEST(Container, UnknownSchemeIsAVersionError) {
  // A registry with a scheme this medcrypt does not know, used only to write.
  class FutureScheme final : public schemes::Scheme {
   public:
    const schemes::SchemeInfo& info() const override {
      static const schemes::SchemeInfo kInfo{"future", 3, true, false, 256, schemes::Sealing::kEncrypt, "", ""};
      return kInfo;
    }
    std::uint64_t payload_size(const image::Geometry& g) const override { return g.byte_size(); }
    Result<schemes::Payload> encode(const image::Image& plain, const schemes::SchemeKey&) const override {
      return schemes::Payload::borrowed(plain.bytes());
    }
    Result<image::Image> decode(PixelBytes, const image::Geometry&, const schemes::SchemeKey&) const override {
      return make_error(ErrorCode::kInternal, "unused");
    }
  };
  auto img = random_image(8, 8, 1, 1, 8, 8, false, 8);
  auto key = crypto::random_secret(32).value();
  container::MemorySink sink;
  ASSERT_TRUE(container::seal(img, sample_metadata(), FutureScheme(), Recipients::shared_key(key), {}, sink));
  Bytes data = std::move(sink).take();
  auto opened = open_from_memory(data, OpenKeys::shared_key(key));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kVersion);
  EXPECT_NE(opened.error().message.find("future"), std::string::npos);
}

// A sender holding the key can seal any parameters into the header: ones the named scheme cannot take
// make a malformed container (exit 9), not a bad command line (2) or an unknown scheme (10).
TEST(Container, ParametersTheSchemeRefusesAreMalformed) {
  class WithParams final : public schemes::Scheme {
   public:
    WithParams(std::unique_ptr<schemes::Scheme> inner, std::string params)
        : inner_(std::move(inner)), params_(std::move(params)) {}
    const schemes::SchemeInfo& info() const override { return inner_->info(); }
    std::string params() const override { return params_; }
    std::uint64_t payload_size(const image::Geometry& g) const override { return inner_->payload_size(g); }
    Result<schemes::Payload> encode(const image::Image& plain, const schemes::SchemeKey& k) const override {
      return inner_->encode(plain, k);
    }
    Result<image::Image> decode(PixelBytes p, const image::Geometry& g, const schemes::SchemeKey& k) const override {
      return inner_->decode(std::move(p), g, k);
    }

   private:
    std::unique_ptr<schemes::Scheme> inner_;
    std::string params_;
  };
  auto img = random_image(16, 16, 1, 1, 8, 8, false, 8);
  auto key = crypto::random_secret(32).value();
  for (const std::string params : {"block;32", "block=32;rounds=0", "colour=blue"}) {
    SCOPED_TRACE(params);
    container::MemorySink sink;
    WithParams scheme(schemes::builtin_registry().create("chaos-henon").value(), params);
    ASSERT_TRUE(container::seal(img, sample_metadata(), scheme, Recipients::shared_key(key), {}, sink));
    Bytes data = std::move(sink).take();
    auto opened = open_from_memory(data, OpenKeys::shared_key(key));
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, ErrorCode::kMalformed) << opened.error().message;
  }
}

TEST(Container, UnknownVersionAndBadMagic) {
  auto img = random_image(8, 8, 1, 1, 8, 8, false, 9);
  auto key = crypto::random_secret(32).value();
  auto sealed = seal_to_memory(img, Recipients::shared_key(key), {});
  ASSERT_TRUE(sealed);
  EXPECT_EQ((*sealed)[8], container::kVersion);
  for (std::uint8_t version : {0, container::kVersion + 1, 255}) {
    Bytes other = *sealed;
    other[8] = version;
    EXPECT_EQ(open_from_memory(other, OpenKeys::shared_key(key)).error().code, ErrorCode::kVersion) << int(version);
  }
  // Relabelled as version 1 (same fields when unsigned): the header is authenticated, so it does not open.
  Bytes relabelled = *sealed;
  relabelled[8] = 1;
  auto downgraded = open_from_memory(relabelled, OpenKeys::shared_key(key));
  ASSERT_FALSE(downgraded);
  EXPECT_EQ(downgraded.error().code, ErrorCode::kAuthentication) << downgraded.error().message;
  Bytes bad_magic = *sealed;
  bad_magic[1] = 'X';
  EXPECT_EQ(open_from_memory(bad_magic, OpenKeys::shared_key(key)).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(open_from_memory({}, OpenKeys::shared_key(key)).error().code, ErrorCode::kMalformed);
}

TEST(Container, AbsurdGeometryIsRefusedBeforeAllocating) {
  container::Header h;
  h.scheme_name = "aead";
  h.geometry = image::Geometry{1u << 31, 1u << 31, 1, 1, 8, 8, false, "MONOCHROME2"};
  h.payload_bytes = std::uint64_t{1} << 62;
  h.metadata_bytes = 16;
  h.recipients.resize(1);
  Bytes data = container::serialize_header(h);
  data.resize(data.size() + 64);
  auto key = crypto::random_secret(32).value();
  auto opened = open_from_memory(data, OpenKeys::shared_key(key));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kLimits);

  // A plausible geometry with a payload length that does not match the file is a size error.
  h.geometry = image::Geometry{16, 16, 1, 1, 8, 8, false, "MONOCHROME2"};
  h.payload_bytes = std::uint64_t{1} << 35;
  Bytes data2 = container::serialize_header(h);
  auto opened2 = open_from_memory(data2, OpenKeys::shared_key(key));
  ASSERT_FALSE(opened2);
  EXPECT_EQ(opened2.error().code, ErrorCode::kMalformed);
}

// Every pixel kind an Image holds (docs/IMAGES.md) travels in a container bit-exactly with `aead`, the
// header carrying its geometry: 1-bit samples (a byte each), 32-bit words, 32- and 64-bit floats (bits stored
// 0). The image ciphers refuse the kinds they do not encrypt with one line.
TEST(Container, EveryPixelKindRoundTripsWithAeadAndImageCiphersSayWhatTheyRefuse) {
  const image::Geometry kinds[] = {
      {7, 5, 3, 1, 1, 1, false, "MONOCHROME2"},    {6, 4, 2, 1, 32, 24, true, "MONOCHROME2"},
      {5, 3, 1, 3, 32, 32, false, "RGB"},          {6, 5, 2, 1, 32, 0, false, "MONOCHROME2"},
      {4, 3, 1, 1, 64, 0, false, "MONOCHROME2"},
  };
  auto key = crypto::random_secret(32).value();
  std::mt19937 rng(27);
  for (const image::Geometry& g : kinds) {
    SCOPED_TRACE(std::to_string(g.bits_allocated) + "-bit, bits stored " + std::to_string(g.bits_stored));
    auto img = image::Image::create(g);
    ASSERT_TRUE(img) << img.error().message;
    for (auto& byte : img->bytes()) byte = static_cast<std::uint8_t>(g.bits_allocated == 1 ? rng() & 1 : rng());
    auto sealed = seal_to_memory(*img, Recipients::shared_key(key), {});
    ASSERT_TRUE(sealed) << sealed.error().message;
    auto opened = open_from_memory(*sealed, OpenKeys::shared_key(key));
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened->image, *img);
    for (const char* name : {"chaos-henon", "chaos-henon:paper", "ae-aes"}) {
      auto scheme = schemes::builtin_registry().create(name);
      if (!scheme) continue;  // ae-aes needs its model files
      container::MemorySink sink;
      auto refused = container::seal(*img, sample_metadata(), **scheme, Recipients::shared_key(key), {}, sink);
      ASSERT_FALSE(refused) << name;
      EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported) << refused.error().message;
      EXPECT_NE(refused.error().message.find("8- or 16-bit integer samples"), std::string::npos)
          << refused.error().message;
    }
  }
}

TEST(Container, EmptyPayloadStillHasAFinalChunk) {
  container::Header h;
  h.payload_bytes = 0;
  EXPECT_EQ(h.chunk_count(), 1u);
  auto nonce = container::chunk_nonce(h, 0, 1);
  EXPECT_EQ(nonce[11], 1);
}

}  // namespace
}  // namespace medcrypt::test
