// The payload as a STREAM of AEAD chunks (Hoang, Reyhanitabar, Rogaway, Vizar 2015): chunk i carries
// nonce prefix || i || last-flag, so dropping, reordering or truncating chunks fails authentication.
// Chunks of a window are processed on all threads; the window then goes to the sink in order.
#pragma once

#include <functional>
#include <span>

#include "container/format.hpp"
#include "container/stream_io.hpp"
#include "crypto/hash.hpp"

namespace medcrypt::container {

struct StreamContext {
  const Header& header;
  ByteView header_hash;         // SHA-256 of preamble and header: associated data of every chunk
  const SecretBytes& key;       // the payload key
  unsigned threads = 1;
  crypto::Hasher* transcript = nullptr;             // hashes every byte written or read, for the signature
  std::function<void(std::uint64_t)> progress;      // payload bytes done so far
};

// Seals `payload` (header.payload_bytes long) into the sink. If `stored_data` is not empty it receives
// the chunk data as stored, tags left out: for an encrypting scheme, the AEAD ciphertext.
Status seal_payload(const StreamContext& ctx, ByteView payload, Sink& sink,
                    std::span<std::uint8_t> stored_data = {});

// Reads, authenticates and (for kEncrypt) decrypts the chunks into `out` (header.payload_bytes long).
// On failure `out` is wiped and the error is kAuthentication (or the source's truncation error).
Status open_payload(const StreamContext& ctx, Source& source, std::span<std::uint8_t> out);

}  // namespace medcrypt::container
