#include "chaos/paper_cipher.hpp"

#include <cstring>

#include "chaos/internal/frame_moves.hpp"
#include "chaos/permutation.hpp"

namespace medcrypt::chaos {
namespace {

// n keystream values of `word_bits` as Henon words: an 8-bit frame reads their bytes, low then high.
void keystream(std::size_t n, unsigned word_bits, HenonStream& stream, std::vector<std::uint16_t>& words) {
  words.resize((n * (word_bits / 8) + 1) / 2);
  stream.fill(words);
}

template <typename Word>
const Word* values(const std::vector<std::uint16_t>& words) {
  return reinterpret_cast<const Word*>(words.data());  // little-endian bytes (asserted in core/bytes.hpp)
}

template <typename Word>
constexpr unsigned kBits = sizeof(Word) * 8;

template <typename Word>
Word rotate_left(Word x, unsigned r) {
  return r == 0 ? x : static_cast<Word>(x << r | x >> (kBits<Word> - r));
}
template <typename Word>
Word rotate_right(Word x, unsigned r) {
  return r == 0 ? x : static_cast<Word>(x >> r | x << (kBits<Word> - r));
}

// Steps 4.1 and 4.2 together: destination block d, position p takes source block order[d], position
// inner[d][p] (`inverse` puts it back). Samples outside the full blocks stay where they are.
template <typename Word>
void scramble_blocks(const Word* from, Word* to, FrameShape shape, const PaperRoundKeys& keys, bool inverse) {
  const std::uint32_t b = keys.plan.block;
  internal::copy_uncovered(from, to, shape, b);
  const std::size_t area = std::size_t{b} * b;
  for (std::uint32_t d = 0; d < keys.plan.order.size(); ++d) {
    const std::size_t dst_origin = internal::block_origin(shape, b, d);
    const std::size_t src_origin = internal::block_origin(shape, b, keys.plan.order[d]);
    const std::uint32_t* inner = keys.inner.data() + d * area;
    for (std::uint32_t p = 0; p < area; ++p) {
      const std::size_t dst = dst_origin + std::size_t{p / b} * shape.cols + p % b;
      const std::size_t src = src_origin + std::size_t{inner[p] / b} * shape.cols + inner[p] % b;
      if (inverse) {
        to[src] = from[dst];
      } else {
        to[dst] = from[src];
      }
    }
  }
}

}  // namespace

Status draw_paper_round(const PlanRequest& request, const BlockPlanner& planner, unsigned word_bits,
                        HenonStream& stream, PaperRoundKeys& keys) {
  MEDCRYPT_ASSIGN_OR_RETURN(keys.plan, planner.plan(request, stream));
  const std::uint32_t area = keys.plan.block * keys.plan.block;
  keys.inner.resize(keys.plan.order.size() * area);
  for (std::size_t d = 0; d < keys.plan.order.size(); ++d) {
    random_permutation(std::span(keys.inner).subspan(d * area, area), stream);
  }
  keys.rows = random_permutation(request.shape.rows, stream);
  keys.cols = random_permutation(request.shape.cols, stream);
  keys.iv_h = stream.next();
  keys.iv_v = stream.next();
  const std::size_t n = std::size_t{request.shape.rows} * request.shape.cols;
  keystream(n, word_bits, stream, keys.k_rot);
  keystream(n, word_bits, stream, keys.k_h);
  keystream(n, word_bits, stream, keys.k_v);
  return {};
}

template <typename Word>
void encrypt_paper_round(std::span<Word> frame, std::span<Word> scratch, FrameShape shape,
                         const PaperRoundKeys& keys) {
  scramble_blocks<Word>(frame.data(), scratch.data(), shape, keys, false);
  internal::gather<Word>(scratch.data(), frame.data(), shape, keys.rows, keys.cols);
  const Word *k_rot = values<Word>(keys.k_rot), *k_h = values<Word>(keys.k_h), *k_v = values<Word>(keys.k_v);
  const std::size_t n = frame.size();
  Word prev = static_cast<Word>(keys.iv_h);
  for (std::size_t i = 0; i < n; ++i) {
    prev = frame[i] = static_cast<Word>(rotate_left<Word>(frame[i], k_rot[i] % kBits<Word>) ^ k_h[i] ^ prev);
  }
  prev = static_cast<Word>(keys.iv_v);
  std::size_t j = 0;
  for (std::uint32_t c = 0; c < shape.cols; ++c) {
    for (std::uint32_t r = 0; r < shape.rows; ++r, ++j) {
      Word& x = frame[std::size_t{r} * shape.cols + c];
      prev = x = static_cast<Word>(x ^ k_v[j] ^ prev);
    }
  }
}

template <typename Word>
void decrypt_paper_round(std::span<Word> frame, std::span<Word> scratch, FrameShape shape,
                         const PaperRoundKeys& keys) {
  const Word *k_rot = values<Word>(keys.k_rot), *k_h = values<Word>(keys.k_h), *k_v = values<Word>(keys.k_v);
  Word prev = static_cast<Word>(keys.iv_v);
  std::size_t j = 0;
  for (std::uint32_t c = 0; c < shape.cols; ++c) {
    for (std::uint32_t r = 0; r < shape.rows; ++r, ++j) {
      Word& x = frame[std::size_t{r} * shape.cols + c];
      const Word cipher = x;
      x = static_cast<Word>(cipher ^ k_v[j] ^ prev);
      prev = cipher;
    }
  }
  prev = static_cast<Word>(keys.iv_h);
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const Word cipher = frame[i];
    frame[i] = rotate_right<Word>(static_cast<Word>(cipher ^ k_h[i] ^ prev), k_rot[i] % kBits<Word>);
    prev = cipher;
  }
  internal::scatter<Word>(frame.data(), scratch.data(), shape, keys.rows, keys.cols);
  scramble_blocks<Word>(scratch.data(), frame.data(), shape, keys, true);
}

template void encrypt_paper_round<std::uint8_t>(std::span<std::uint8_t>, std::span<std::uint8_t>, FrameShape,
                                                const PaperRoundKeys&);
template void encrypt_paper_round<std::uint16_t>(std::span<std::uint16_t>, std::span<std::uint16_t>, FrameShape,
                                                 const PaperRoundKeys&);
template void decrypt_paper_round<std::uint8_t>(std::span<std::uint8_t>, std::span<std::uint8_t>, FrameShape,
                                                const PaperRoundKeys&);
template void decrypt_paper_round<std::uint16_t>(std::span<std::uint16_t>, std::span<std::uint16_t>, FrameShape,
                                                 const PaperRoundKeys&);

}  // namespace medcrypt::chaos
