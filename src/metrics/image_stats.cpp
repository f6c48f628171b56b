#include "metrics/image_stats.hpp"

#include "metrics/entropy.hpp"
#include "metrics/histogram.hpp"

namespace medcrypt::metrics {

namespace {

ChannelStats channel_stats(const Channel& channel, const StatsSample& sample) {
  ChannelStats s;
  const Histogram counts = histogram(channel);
  s.entropy = shannon_entropy(counts);
  s.entropy_bytes = shannon_entropy(byte_histogram(counts));
  s.local_entropy = local_entropy_test(channel, sample.blocks);
  s.chi_square = chi_square_test(counts);
  s.correlation = adjacent_correlation(channel);
  s.correlation_sampled = sampled_correlation(channel, sample.pairs);
  return s;
}

}  // namespace

StatsSample stats_sample(const image::Geometry& g, const StatsOptions& options) {
  return {sample_adjacent_pairs(g.width, g.height, g.frames, options.sampled_pairs, options.seed),
          choose_blocks(g.width, g.height, g.frames, kLocalEntropyBlocks, kLocalEntropyBlockSide, options.seed + 1)};
}

ImageStats image_stats(std::span<const Channel> channels, const std::vector<std::string>& names,
                       const StatsSample& sample, const StatsOptions& options) {
  ImageStats stats;
  stats.options = options;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    stats.max_value = channels[c].max_value();
    stats.channels.push_back(channel_stats(channels[c], sample));
    stats.channels.back().name = names[c];
  }
  return stats;
}

ImageStats image_stats(const image::ImageView& image, const StatsOptions& options) {
  const image::Geometry& g = image.geometry();
  return image_stats(split_channels(image), channel_names(g), stats_sample(g, options), options);
}

}  // namespace medcrypt::metrics
