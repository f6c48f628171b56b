// Block planning for the confusion stage: which block size partitions a frame, in what order the blocks
// go, and which blocks hold regions of interest. Paper 000 chooses the partition with a network that finds
// the regions of interest; that planner comes with a later issue. The default plans from the key alone.
#pragma once

#include <cstdint>
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

}  // namespace medcrypt::chaos
