// The sample moves both paper 000 ciphers make on a frame (henon_cipher.cpp, paper_cipher.cpp): the strips
// no full block covers, where a block starts, and the row and column permutation.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "chaos/planner.hpp"

namespace medcrypt::chaos::internal {

// Copies the samples that no full block x block block covers (the right and bottom strips) as they are.
template <typename Word>
void copy_uncovered(const Word* from, Word* to, FrameShape shape, std::uint32_t block) {
  const std::uint32_t covered_rows = shape.full_block_rows(block) * block;
  const std::uint32_t covered_cols = shape.full_block_cols(block) * block;
  for (std::uint32_t r = 0; r < shape.rows; ++r) {
    const std::size_t row = std::size_t{r} * shape.cols;
    if (r >= covered_rows) {
      std::memcpy(to + row, from + row, shape.cols * sizeof(Word));
    } else if (covered_cols < shape.cols) {
      std::memcpy(to + row + covered_cols, from + row + covered_cols, (shape.cols - covered_cols) * sizeof(Word));
    }
  }
}

// Offset of full block `index` (row-major over the full blocks) from the frame's start.
inline std::size_t block_origin(FrameShape shape, std::uint32_t block, std::uint32_t index) {
  const std::uint32_t per_row = shape.full_block_cols(block);
  return std::size_t{index / per_row} * block * shape.cols + std::size_t{index % per_row} * block;
}

// to[r][c] = from[rows[r]][cols[c]]
template <typename Word>
void gather(const Word* from, Word* to, FrameShape shape, const std::vector<std::uint32_t>& rows,
            const std::vector<std::uint32_t>& cols) {
  const std::uint32_t* col = cols.data();
  for (std::uint32_t r = 0; r < shape.rows; ++r) {
    const Word* in = from + std::size_t{rows[r]} * shape.cols;
    Word* out = to + std::size_t{r} * shape.cols;
    for (std::uint32_t c = 0; c < shape.cols; ++c) out[c] = in[col[c]];
  }
}

// gather's inverse: to[rows[r]][cols[c]] = from[r][c]
template <typename Word>
void scatter(const Word* from, Word* to, FrameShape shape, const std::vector<std::uint32_t>& rows,
             const std::vector<std::uint32_t>& cols) {
  const std::uint32_t* col = cols.data();
  for (std::uint32_t r = 0; r < shape.rows; ++r) {
    const Word* in = from + std::size_t{r} * shape.cols;
    Word* out = to + std::size_t{rows[r]} * shape.cols;
    for (std::uint32_t c = 0; c < shape.cols; ++c) out[col[c]] = in[c];
  }
}

}  // namespace medcrypt::chaos::internal
