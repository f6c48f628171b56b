#include "chaos/henon_cipher.hpp"

#include <algorithm>
#include <cstring>

#include "chaos/internal/frame_moves.hpp"
#include "chaos/internal/keystream.hpp"
#include "chaos/permutation.hpp"

namespace medcrypt::chaos {
namespace {

// The chain function S of a word (see henon_cipher.hpp).
template <typename Word>
inline Word chain(const std::uint8_t* tables, Word x) {
  if constexpr (sizeof(Word) == 1) {
    return tables[x];
  } else {
    const unsigned h = (x >> 8) ^ tables[x & 0xFF];
    return static_cast<Word>(h << 8 | ((x & 0xFF) ^ tables[256 + h]));
  }
}

// The last four values of a two-pass chain; S's input is the sum of the third and fourth.
template <typename Word>
struct History {
  Word c1, c2, c3, c4;
  History(std::uint16_t iv, const std::array<std::uint16_t, 3>& more)
      : c1(static_cast<Word>(iv)), c2(static_cast<Word>(more[0])), c3(static_cast<Word>(more[1])),
        c4(static_cast<Word>(more[2])) {}
  Word input() const { return static_cast<Word>(c3 + c4); }
  void push(Word c) {
    c4 = c3;
    c3 = c2;
    c2 = c1;
    c1 = c;
  }
};

// Runs fn(sample, key word) over the n samples at s, upwards from s[0] or downwards from s[n-1], with the
// stream's keystream words in the order the orbit produces them. fn carries its chain state by value, so
// that the state stays in registers (through a reference it would be stored and reloaded every sample).
template <typename Word, typename Fn>
void sweep(HenonStream& stream, Word* s, std::size_t n, bool downwards, Fn fn) {
  internal::Keystream<Word> keystream(stream);
  for (std::size_t done = 0; done < n; done += keystream.kChunk) {
    const std::size_t len = std::min(keystream.kChunk, n - done);
    const Word* k = keystream.next(len);
    if (downwards) {
      Word* p = s + (n - done - 1);
      for (std::size_t j = 0; j < len; ++j) fn(*(p - j), k[j]);
    } else {
      Word* p = s + done;
      for (std::size_t i = 0; i < len; ++i) fn(p[i], k[i]);
    }
  }
}

// Moves the full B x B blocks of `from` into `to`: destination block d takes source block order[d] (or,
// inverted, source block d goes to order[d]). The strips that no full block covers are copied as they are.
template <typename Word>
void move_blocks(const Word* from, Word* to, FrameShape shape, const BlockPlan& plan, bool inverse) {
  const std::uint32_t b = plan.block;
  internal::copy_uncovered(from, to, shape, b);
  for (std::uint32_t d = 0; d < plan.order.size(); ++d) {
    std::uint32_t s = plan.order[d];
    std::uint32_t src = inverse ? d : s, dst = inverse ? s : d;
    const Word* src_origin = from + internal::block_origin(shape, b, src);
    Word* dst_origin = to + internal::block_origin(shape, b, dst);
    for (std::uint32_t r = 0; r < b; ++r) {
      std::memcpy(dst_origin + std::size_t{r} * shape.cols, src_origin + std::size_t{r} * shape.cols, b * sizeof(Word));
    }
  }
}

}  // namespace

namespace {

// S's tables: a permutation of the 256 byte values, or for 16-bit words the Feistel tables F then G.
std::vector<std::uint8_t> chain_tables(unsigned word_bits, HenonStream& stream) {
  std::vector<std::uint8_t> tables;
  for (unsigned t = 0; t < word_bits / 8; ++t) {
    for (std::uint32_t v : random_permutation(256, stream)) tables.push_back(static_cast<std::uint8_t>(v));
  }
  return tables;
}

}  // namespace

Result<RoundKeys> draw_round_keys(const PlanRequest& request, const BlockPlanner& planner, unsigned word_bits,
                                  HenonStream& forward, HenonStream* backward) {
  RoundKeys keys;
  MEDCRYPT_ASSIGN_OR_RETURN(keys.plan, planner.plan(request, forward));
  keys.rows = random_permutation(request.shape.rows, forward);
  keys.cols = random_permutation(request.shape.cols, forward);
  keys.iv1 = forward.next();
  keys.forward = &forward;
  if (backward != nullptr) {
    for (auto& iv : keys.iv1_more) iv = forward.next();
    keys.s1 = chain_tables(word_bits, forward);
    keys.iv2 = backward->next();
    for (auto& iv : keys.iv2_more) iv = backward->next();
    keys.s2 = chain_tables(word_bits, *backward);
    keys.backward = backward;
  }
  return keys;
}

template <typename Word>
void encrypt_round(std::span<const Word> in, std::span<Word> out, std::span<Word> scratch, FrameShape shape,
                   RoundKeys& keys, Diffusion diffusion) {
  move_blocks<Word>(in.data(), scratch.data(), shape, keys.plan, false);
  internal::gather<Word>(scratch.data(), out.data(), shape, keys.rows, keys.cols);

  Word* s = out.data();
  const std::size_t n = out.size();
  if (diffusion == Diffusion::kForwardXor) {
    sweep<Word>(*keys.forward, s, n, false, [prev = static_cast<Word>(keys.iv1)](Word& x, Word k) mutable {
      prev = x = static_cast<Word>(x ^ k ^ prev);
    });
    return;
  }
  sweep<Word>(*keys.forward, s, n, false,
              [h = History<Word>(keys.iv1, keys.iv1_more), t = keys.s1.data()](Word& x, Word k) mutable {
                x = static_cast<Word>(x + k + chain<Word>(t, h.input()));
                h.push(x);
              });
  sweep<Word>(*keys.backward, s, n, true,
              [g = History<Word>(keys.iv2, keys.iv2_more), t = keys.s2.data()](Word& x, Word k) mutable {
                x = static_cast<Word>(x + k + chain<Word>(t, g.input()));
                g.push(x);
              });
}

template <typename Word>
void decrypt_round(std::span<Word> frame, std::span<Word> scratch, FrameShape shape, RoundKeys& keys,
                   Diffusion diffusion) {
  Word* s = frame.data();
  const std::size_t n = frame.size();
  // Each pass is undone in its own order, keeping the cipher values the chain took.
  if (diffusion == Diffusion::kTwoPass) {
    sweep<Word>(*keys.backward, s, n, true,
                [g = History<Word>(keys.iv2, keys.iv2_more), t = keys.s2.data()](Word& x, Word k) mutable {
                  const Word cipher = x;
                  x = static_cast<Word>(cipher - k - chain<Word>(t, g.input()));
                  g.push(cipher);
                });
    sweep<Word>(*keys.forward, s, n, false,
                [h = History<Word>(keys.iv1, keys.iv1_more), t = keys.s1.data()](Word& x, Word k) mutable {
                  const Word cipher = x;
                  x = static_cast<Word>(cipher - k - chain<Word>(t, h.input()));
                  h.push(cipher);
                });
  } else {
    sweep<Word>(*keys.forward, s, n, false, [prev = static_cast<Word>(keys.iv1)](Word& x, Word k) mutable {
      const Word cipher = x;
      x = static_cast<Word>(cipher ^ k ^ prev);
      prev = cipher;
    });
  }
  internal::gather<Word>(frame.data(), scratch.data(), shape, invert(keys.rows), invert(keys.cols));
  move_blocks<Word>(scratch.data(), frame.data(), shape, keys.plan, true);
}

template void encrypt_round<std::uint8_t>(std::span<const std::uint8_t>, std::span<std::uint8_t>,
                                          std::span<std::uint8_t>, FrameShape, RoundKeys&, Diffusion);
template void encrypt_round<std::uint16_t>(std::span<const std::uint16_t>, std::span<std::uint16_t>,
                                           std::span<std::uint16_t>, FrameShape, RoundKeys&, Diffusion);
template void decrypt_round<std::uint8_t>(std::span<std::uint8_t>, std::span<std::uint8_t>, FrameShape, RoundKeys&,
                                          Diffusion);
template void decrypt_round<std::uint16_t>(std::span<std::uint16_t>, std::span<std::uint16_t>, FrameShape, RoundKeys&,
                                           Diffusion);

}  // namespace medcrypt::chaos
