#include "chaos/selective.hpp"

#include <algorithm>
#include <cstring>

#include "chaos/internal/frame_moves.hpp"
#include "chaos/internal/keystream.hpp"

namespace medcrypt::chaos {
namespace {

// Calls fn(offset, length) for each run of samples outside the ROI blocks, in row-major order.
template <typename Fn>
void for_each_background_run(FrameShape shape, std::uint32_t block, std::span<const std::uint8_t> roi, Fn fn) {
  const std::uint32_t per_row = shape.full_block_cols(block);
  const std::uint32_t covered_rows = shape.full_block_rows(block) * block;
  for (std::uint32_t r = 0; r < shape.rows; ++r) {
    const std::size_t row = std::size_t{r} * shape.cols;
    if (r >= covered_rows) {
      fn(row, shape.cols);
      continue;
    }
    const std::uint8_t* flags = roi.data() + std::size_t{r / block} * per_row;
    std::uint32_t start = 0;  // the run being extended, from sample `start` of the row
    for (std::uint32_t bc = 0; bc < per_row; ++bc) {
      if (flags[bc] == 0) continue;
      if (bc * block > start) fn(row + start, bc * block - start);
      start = (bc + 1) * block;
    }
    if (shape.cols > start) fn(row + start, shape.cols - start);
  }
}

}  // namespace

std::vector<std::uint32_t> roi_blocks(std::span<const std::uint8_t> roi) {
  std::vector<std::uint32_t> blocks;
  for (std::uint32_t b = 0; b < roi.size(); ++b) {
    if (roi[b] != 0) blocks.push_back(b);
  }
  return blocks;
}

template <typename Word>
void stack_blocks(const Word* frame, Word* stack, FrameShape shape, std::uint32_t block,
                  std::span<const std::uint32_t> blocks) {
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const Word* origin = frame + internal::block_origin(shape, block, blocks[i]);
    for (std::uint32_t r = 0; r < block; ++r) {
      std::memcpy(stack + (i * block + r) * block, origin + std::size_t{r} * shape.cols, block * sizeof(Word));
    }
  }
}

template <typename Word>
void unstack_blocks(const Word* stack, Word* frame, FrameShape shape, std::uint32_t block,
                    std::span<const std::uint32_t> blocks) {
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    Word* origin = frame + internal::block_origin(shape, block, blocks[i]);
    for (std::uint32_t r = 0; r < block; ++r) {
      std::memcpy(origin + std::size_t{r} * shape.cols, stack + (i * block + r) * block, block * sizeof(Word));
    }
  }
}

template <typename Word>
void xor_background(const Word* in, Word* out, FrameShape shape, std::uint32_t block,
                    std::span<const std::uint8_t> roi, HenonStream& stream) {
  std::size_t remaining = 0;
  for_each_background_run(shape, block, roi, [&](std::size_t, std::size_t n) { remaining += n; });
  // The chunks must be those the counted total gives, so that an 8-bit frame's last chunk takes its odd
  // byte where the decrypting side does.
  internal::Keystream<Word> keystream(stream);
  const Word* k = nullptr;
  std::size_t left = 0;  // keystream values in the buffer not yet used
  for_each_background_run(shape, block, roi, [&](std::size_t at, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (left == 0) {
        left = std::min(keystream.kChunk, remaining);
        remaining -= left;
        k = keystream.next(left);
      }
      out[at + i] = static_cast<Word>(in[at + i] ^ *k++);
      --left;
    }
  });
}

std::vector<std::uint8_t> background_mask(FrameShape shape, std::uint32_t block, std::span<const std::uint8_t> roi) {
  std::vector<std::uint8_t> mask(std::size_t{shape.rows} * shape.cols, 0);
  for_each_background_run(shape, block, roi, [&](std::size_t at, std::size_t n) { std::memset(&mask[at], 1, n); });
  return mask;
}

template void stack_blocks<std::uint8_t>(const std::uint8_t*, std::uint8_t*, FrameShape, std::uint32_t,
                                         std::span<const std::uint32_t>);
template void stack_blocks<std::uint16_t>(const std::uint16_t*, std::uint16_t*, FrameShape, std::uint32_t,
                                          std::span<const std::uint32_t>);
template void unstack_blocks<std::uint8_t>(const std::uint8_t*, std::uint8_t*, FrameShape, std::uint32_t,
                                           std::span<const std::uint32_t>);
template void unstack_blocks<std::uint16_t>(const std::uint16_t*, std::uint16_t*, FrameShape, std::uint32_t,
                                            std::span<const std::uint32_t>);
template void xor_background<std::uint8_t>(const std::uint8_t*, std::uint8_t*, FrameShape, std::uint32_t,
                                           std::span<const std::uint8_t>, HenonStream&);
template void xor_background<std::uint16_t>(const std::uint16_t*, std::uint16_t*, FrameShape, std::uint32_t,
                                            std::span<const std::uint8_t>, HenonStream&);

}  // namespace medcrypt::chaos
