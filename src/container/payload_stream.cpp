#include "container/payload_stream.hpp"


#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "core/parallel.hpp"
#include "core/secret_bytes.hpp"

namespace medcrypt::container {
namespace {

constexpr std::size_t kTag = crypto::kAeadTagBytes;

// Chunks per window: at least 8 MiB at the default chunk size, so that a typical image is one window
// and its threads start once (starting them per 4 MiB window cost a third of the two-thread speed-up),
// and 16 per thread so that they stay busy; still a bounded window, whatever the payload size.
std::uint64_t window_chunks(unsigned threads) { return std::max<std::uint64_t>(32, threads * 16ull); }

Result<std::vector<crypto::Aead>> make_ciphers(const StreamContext& ctx, unsigned workers) {
  std::vector<crypto::Aead> ciphers;
  ciphers.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) {
    MEDCRYPT_ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::create(ctx.header.aead, ctx.key));
    ciphers.push_back(std::move(aead));
  }
  return ciphers;
}

struct Window {
  std::uint64_t first = 0, end = 0;  // chunk indices [first, end)
  std::uint64_t data_offset = 0;     // payload offset of chunk `first`
  std::uint64_t data_bytes = 0;      // payload bytes in the window
  std::uint64_t stored_bytes() const { return data_bytes + (end - first) * kTag; }
};

Window window_at(const Header& h, std::uint64_t first, std::uint64_t chunks) {
  Window w;
  w.first = first;
  w.end = std::min(h.chunk_count(), first + chunks);
  w.data_offset = first * h.chunk_bytes();
  w.data_bytes = std::min(h.payload_bytes, w.end * h.chunk_bytes()) - w.data_offset;
  return w;
}

}  // namespace

Status seal_payload(const StreamContext& ctx, ByteView payload, Sink& sink, std::span<std::uint8_t> stored_data) {
  const Header& h = ctx.header;
  if (payload.size() != h.payload_bytes) return make_error(ErrorCode::kInternal, "payload length mismatch");
  const std::uint64_t count = h.chunk_count(), chunk = h.chunk_bytes();
  const unsigned workers = std::max(1u, ctx.threads);
  MEDCRYPT_ASSIGN_OR_RETURN(auto ciphers, make_ciphers(ctx, workers));
  const ByteView aad_header = ctx.header_hash;

  for (std::uint64_t first = 0; first < count; first += window_chunks(workers)) {
    Window w = window_at(h, first, window_chunks(workers));
    MEDCRYPT_ASSIGN_OR_RETURN(std::span<std::uint8_t> out, sink.region(w.stored_bytes()));
    std::atomic<bool> failed{false};
    parallel_for(w.end - w.first, workers, [&](std::size_t k, unsigned worker) {
      std::uint64_t i = w.first + k, off = i * chunk;
      std::size_t len = std::min(chunk, h.payload_bytes - off);
      std::span<std::uint8_t> data = out.subspan(k * (chunk + kTag), len);
      std::span<std::uint8_t> tag = out.subspan(k * (chunk + kTag) + len, kTag);
      auto nonce = chunk_nonce(h, i, count);
      ByteView plain = payload.subspan(off, len);
      Status s;
      if (h.sealing == schemes::Sealing::kEncrypt) {
        s = ciphers[worker].seal(nonce, aad_header, plain, data, tag);
      } else {
        if (len > 0) std::memcpy(data.data(), plain.data(), len);
        const ByteView aad[] = {aad_header, data};
        s = ciphers[worker].seal(nonce, aad, {}, {}, tag);
      }
      if (!s) failed = true;
      // The stored image is the payload's start (a scheme may append, e.g., its sealed plan).
      if (off < stored_data.size() && len > 0) {
        std::memcpy(stored_data.data() + off, data.data(), std::min<std::size_t>(len, stored_data.size() - off));
      }
    });
    if (failed) return make_error(ErrorCode::kInternal, "AEAD encryption failed");
    if (ctx.transcript != nullptr) ctx.transcript->update(out);
    MEDCRYPT_TRY(sink.commit(out.size()));
    if (ctx.progress) ctx.progress(w.data_offset + w.data_bytes);
  }
  return {};
}

Status open_payload(const StreamContext& ctx, Source& source, std::span<std::uint8_t> out) {
  const Header& h = ctx.header;
  if (out.size() != h.payload_bytes) return make_error(ErrorCode::kInternal, "payload length mismatch");
  const std::uint64_t count = h.chunk_count(), chunk = h.chunk_bytes();
  const unsigned workers = std::max(1u, ctx.threads);
  MEDCRYPT_ASSIGN_OR_RETURN(auto ciphers, make_ciphers(ctx, workers));
  const ByteView aad_header = ctx.header_hash;

  for (std::uint64_t first = 0; first < count; first += window_chunks(workers)) {
    Window w = window_at(h, first, window_chunks(workers));
    MEDCRYPT_ASSIGN_OR_RETURN(ByteView in, source.next(w.stored_bytes()));
    if (ctx.transcript != nullptr) ctx.transcript->update(in);
    std::atomic<bool> failed{false};
    parallel_for(w.end - w.first, workers, [&](std::size_t k, unsigned worker) {
      std::uint64_t i = w.first + k, off = i * chunk;
      std::size_t len = std::min(chunk, h.payload_bytes - off);
      ByteView data = in.subspan(k * (chunk + kTag), len);
      ByteView tag = in.subspan(k * (chunk + kTag) + len, kTag);
      auto nonce = chunk_nonce(h, i, count);
      std::span<std::uint8_t> plain = out.subspan(off, len);
      Status s;
      if (h.sealing == schemes::Sealing::kEncrypt) {
        s = ciphers[worker].open(nonce, aad_header, data, tag, plain);
      } else {
        const ByteView aad[] = {aad_header, data};
        s = ciphers[worker].open(nonce, aad, {}, tag, {});
        if (s && len > 0) std::memcpy(plain.data(), data.data(), len);
      }
      if (!s) failed = true;
    });
    if (failed) {
      if (!out.empty()) secure_wipe(out);
      return make_error(ErrorCode::kAuthentication, "authentication failed");
    }
    if (ctx.progress) ctx.progress(w.data_offset + w.data_bytes);
  }
  return {};
}

}  // namespace medcrypt::container
