#include "chaos/planner.hpp"

#include "chaos/permutation.hpp"

namespace medcrypt::chaos {

Result<BlockPlan> KeyDrivenPlanner::plan(const PlanRequest& request, HenonStream& stream) const {
  BlockPlan plan;
  plan.block = request.block;
  std::uint32_t blocks = request.shape.full_block_rows(request.block) * request.shape.full_block_cols(request.block);
  plan.order = random_permutation(blocks, stream);
  plan.roi.assign(blocks, 0);
  return plan;
}

}  // namespace medcrypt::chaos
