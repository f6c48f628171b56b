#include "analysis/plot_data.hpp"

#include <algorithm>

#include "metrics/histogram.hpp"

namespace medcrypt::analysis {

PlotData plot_data(const std::vector<metrics::Channel>& channels, const std::vector<std::string>& names,
                   const metrics::PairSample& sample) {
  PlotData out;
  out.channel_names = names;
  for (const metrics::Channel& channel : channels) {
    out.max_value = channel.max_value();
    ChannelPlotData data;
    const metrics::Histogram counts = metrics::histogram(channel);
    const std::size_t per_bar = std::max<std::size_t>(1, counts.size() / kHistogramBars);
    data.bars.assign(counts.size() / per_bar, 0);
    for (std::size_t v = 0; v < counts.size(); ++v) data.bars[v / per_bar] += counts[v];
    for (metrics::Direction d : metrics::kDirections) {
      const auto& origins = sample[d];
      auto& pairs = data.pairs[static_cast<std::size_t>(d)];
      for (std::size_t i = 0; i < std::min(origins.size(), kScatterPoints); ++i) {
        const metrics::PixelPosition p = origins[i], q = metrics::neighbour(p, d);
        pairs.emplace_back(channel.row(p.frame, p.y)[p.x], channel.row(q.frame, q.y)[q.x]);
      }
    }
    out.channels.push_back(std::move(data));
  }
  return out;
}

}  // namespace medcrypt::analysis
