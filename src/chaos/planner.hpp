// Block planning for the confusion stage: which block size partitions a frame, in what order the blocks
// go, and which blocks hold regions of interest. Paper 000 chooses the partition with a network that finds
// the regions of interest: the scheme runs it (nn/roi.hpp) and hands the planner one flag per block, which
// also travels, sealed, in the payload, so the recipient needs neither the plain image nor the network.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chaos/henon.hpp"
#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::chaos {

// A frame's samples seen as a matrix: `rows` image rows of `cols` = width x samples words.
struct FrameShape {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::uint32_t full_block_rows(std::uint32_t block) const { return rows / block; }
  std::uint32_t full_block_cols(std::uint32_t block) const { return cols / block; }
};

struct BlockPlan {
  std::uint32_t block = 32;
  // For each destination full block (row-major over the full blocks), the source full block. Blocks cut by
  // the right or bottom edge stay in place; the row and column permutations move their samples.
  std::vector<std::uint32_t> order;
  // One flag per full block: 1 where a region of interest lies (informational for the default planner).
  std::vector<std::uint8_t> roi;
};

struct PlanRequest {
  FrameShape shape;
  std::uint32_t block = 32;
  // The plain frame when encrypting; null when decrypting. A planner that looks at the content must make
  // its plan recoverable without it (e.g. store it in the payload); the key-driven one never looks.
  const image::Image* plain = nullptr;
  std::uint32_t frame = 0;
  // One flag per full block of this frame (row-major), 1 where a region of interest lies; empty: none.
  std::span<const std::uint8_t> roi;
};

class BlockPlanner {
 public:
  virtual ~BlockPlanner() = default;
  virtual Result<BlockPlan> plan(const PlanRequest& request, HenonStream& stream) const = 0;
};

// The default: a uniform key-driven order of the full blocks, no regions of interest.
class KeyDrivenPlanner final : public BlockPlanner {
 public:
  Result<BlockPlan> plan(const PlanRequest& request, HenonStream& stream) const override;
};

// The regions of interest decide the order: the first destination blocks take the ROI blocks, in an
// order drawn from the key, the rest take the other blocks, in a second drawn order. With no ROI block
// it draws, and plans, exactly what KeyDrivenPlanner does.
class RoiPlanner final : public BlockPlanner {
 public:
  Result<BlockPlan> plan(const PlanRequest& request, HenonStream& stream) const override;
};

}  // namespace medcrypt::chaos
