#include "chaos/planner.hpp"

#include <fmt/format.h>

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

Result<BlockPlan> RoiPlanner::plan(const PlanRequest& request, HenonStream& stream) const {
  const std::uint32_t blocks =
      request.shape.full_block_rows(request.block) * request.shape.full_block_cols(request.block);
  if (request.roi.size() != blocks) {
    return make_error(ErrorCode::kInternal, fmt::format("ROI plan has {} flags for {} blocks", request.roi.size(), blocks));
  }
  std::vector<std::uint32_t> inside, outside;
  for (std::uint32_t b = 0; b < blocks; ++b) (request.roi[b] != 0 ? inside : outside).push_back(b);
  BlockPlan plan;
  plan.block = request.block;
  plan.roi.assign(request.roi.begin(), request.roi.end());
  for (const auto* group : {&inside, &outside}) {
    for (std::uint32_t i : random_permutation(static_cast<std::uint32_t>(group->size()), stream)) {
      plan.order.push_back((*group)[i]);
    }
  }
  return plan;
}

}  // namespace medcrypt::chaos
