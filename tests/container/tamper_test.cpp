// Every byte of a small container changed in turn, truncation at every length, chunks moved: all rejected.
#include <gtest/gtest.h>

#include "crypto/random.hpp"
#include "test_images.hpp"

namespace medcrypt::test {
namespace {

using container::OpenKeys;
using container::Recipients;
using container::SealOptions;

struct Fixture {
  crypto::Identity alice = kat_identity("alice");
  crypto::Identity bob = kat_identity("bob");
  image::Image img = random_image(48, 40, 1, 1, 16, 12, false, 11);  // 3840 bytes: one chunk
};

// A container in 4 KiB chunks, signed by bob, for alice.
Bytes small_signed_container(const Fixture& f, const image::Image& img) {
  SealOptions opt;
  opt.chunk_log2 = 12;
  opt.signer = &f.bob;
  return seal_to_memory(img, Recipients::identities({f.alice.public_identity}), opt).value();
}

TEST(Tamper, EveryByteFlippedIsRejected) {
  Fixture f;
  auto img = random_image(80, 60, 1, 1, 16, 16, false, 12);  // 9600 payload bytes: three chunks
  Bytes good = small_signed_container(f, img);
  ASSERT_TRUE(open_from_memory(good, OpenKeys::identity(f.alice)));
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x80}) {
      Bytes bad = good;
      bad[i] ^= mask;
      auto opened = open_from_memory(bad, OpenKeys::identity(f.alice));
      ASSERT_FALSE(opened) << "byte " << i << " flipped with 0x" << std::hex << int(mask) << " was accepted";
    }
  }
}

TEST(Tamper, EveryByteFlippedInASharedKeyContainerIsRejected) {
  auto key = crypto::random_secret(32).value();
  auto img = random_image(50, 40, 1, 3, 8, 8, false, 13);  // 6000 bytes: two chunks
  SealOptions opt;
  opt.chunk_log2 = 12;
  opt.aead = crypto::AeadAlgorithm::kChaCha20Poly1305;
  Bytes good = seal_to_memory(img, Recipients::shared_key(key), opt).value();
  for (std::size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0x20;
    auto opened = open_from_memory(bad, OpenKeys::shared_key(key));
    ASSERT_FALSE(opened) << "byte " << i << " flipped was accepted";
  }
}

TEST(Tamper, TruncationAtEveryLengthIsRejected) {
  Fixture f;
  Bytes good = small_signed_container(f, f.img);
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto opened = open_from_memory(ByteView(good).first(n), OpenKeys::identity(f.alice));
    ASSERT_FALSE(opened) << "truncated to " << n << " bytes was accepted";
    ASSERT_EQ(opened.error().code, ErrorCode::kMalformed) << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_EQ(open_from_memory(longer, OpenKeys::identity(f.alice)).error().code, ErrorCode::kMalformed);
}

// Rewrites a container's payload with chunks rearranged by `edit`, keeping the header consistent,
// so that only the STREAM nonces can catch it.
Bytes rearrange_chunks(const Bytes& good, const std::function<void(std::vector<Bytes>&)>& edit) {
  container::MemorySource source(good);
  auto parsed = container::read_header(source).value();
  const auto& h = parsed.header;
  std::size_t start = parsed.total_bytes() + h.metadata_bytes;
  std::vector<Bytes> chunks;
  for (std::uint64_t i = 0, pos = start; i < h.chunk_count(); ++i) {
    std::size_t len = std::min<std::uint64_t>(h.chunk_bytes(), h.payload_bytes - i * h.chunk_bytes()) + 16;
    chunks.emplace_back(good.begin() + pos, good.begin() + pos + len);
    pos += len;
  }
  edit(chunks);
  Bytes out(good.begin(), good.begin() + start);
  for (const auto& c : chunks) out.insert(out.end(), c.begin(), c.end());
  return out;
}

TEST(Tamper, ReorderedOrRepeatedChunksFailAuthentication) {
  auto key = crypto::random_secret(32).value();
  auto img = random_image(64, 64, 3, 1, 8, 8, false, 14);  // 12288 bytes: three full 4 KiB chunks
  SealOptions opt;
  opt.chunk_log2 = 12;
  Bytes good = seal_to_memory(img, Recipients::shared_key(key), opt).value();
  Bytes swapped = rearrange_chunks(good, [](std::vector<Bytes>& c) { std::swap(c[0], c[1]); });
  ASSERT_EQ(swapped.size(), good.size());
  EXPECT_EQ(open_from_memory(swapped, OpenKeys::shared_key(key)).error().code, ErrorCode::kAuthentication);
  Bytes repeated = rearrange_chunks(good, [](std::vector<Bytes>& c) { c[1] = c[0]; });
  EXPECT_EQ(open_from_memory(repeated, OpenKeys::shared_key(key)).error().code, ErrorCode::kAuthentication);
  // The last chunk moved forward: its last-chunk flag no longer matches its position.
  Bytes last_first = rearrange_chunks(good, [](std::vector<Bytes>& c) { std::swap(c[1], c[2]); });
  EXPECT_EQ(open_from_memory(last_first, OpenKeys::shared_key(key)).error().code, ErrorCode::kAuthentication);
}

TEST(Tamper, StreamCutAtAChunkBoundaryFailsEvenWithAConsistentSize) {
  // Simulate a truncation attack that also rewrites payload_len: the header hash changes, and the
  // last kept chunk was sealed as "not last", so the stream cannot be shortened.
  auto key = crypto::random_secret(32).value();
  auto img = random_image(64, 64, 2, 1, 8, 8, false, 15);
  SealOptions opt;
  opt.chunk_log2 = 12;
  Bytes good = seal_to_memory(img, Recipients::shared_key(key), opt).value();
  Bytes cut = rearrange_chunks(good, [](std::vector<Bytes>& c) { c.pop_back(); });
  container::MemorySource source(good);
  auto parsed = container::read_header(source).value();
  container::Header h = parsed.header;
  h.payload_bytes -= 4096;
  h.geometry.frames = 1;
  Bytes header = container::serialize_header(h);
  ASSERT_EQ(header.size(), parsed.total_bytes());
  std::copy(header.begin(), header.end(), cut.begin());
  auto opened = open_from_memory(cut, OpenKeys::shared_key(key));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kAuthentication);
}

}  // namespace
}  // namespace medcrypt::test
