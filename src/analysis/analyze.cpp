#include "analysis/analyze.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "analysis/test_mode.hpp"

namespace medcrypt::analysis {
namespace {

struct Measured {
  metrics::ImageStats stats;
  PlotData plots;
};

Measured measure(const image::Image& image, const metrics::StatsOptions& options) {
  const image::Geometry& g = image.geometry();
  const std::vector<metrics::Channel> channels = metrics::split_channels(image);
  const std::vector<std::string> names = metrics::channel_names(g);
  const metrics::StatsSample sample = metrics::stats_sample(g, options);
  return {metrics::image_stats(channels, names, sample, options), plot_data(channels, names, sample.pairs)};
}

std::vector<std::string> notes_for(const ImageAnalysis& a, const schemes::SchemeInfo& info, std::uint64_t seed) {
  std::vector<std::string> notes;
  if (!info.lossless) {
    notes.push_back(fmt::format("LOSSY: '{}' does not give back the original image: the decrypted image is PSNR "
                                "{:.2f} dB, SSIM {:.4f}, MSE {:.4g} from it (a diagnosis must not rely on it unchecked)",
                                info.name, a.quality.overall.error.psnr, a.quality.overall.ssim,
                                a.quality.overall.error.mse));
  }
  if (!a.cipher_image) {
    notes.push_back(fmt::format("no cipher image: '{}' sends no pixels ({}), so the cipher image's statistics and the "
                                "plaintext and key sensitivity tests do not apply; what is measured is the decrypted "
                                "image, the key space and the speed",
                                info.name, info.summary));
    return notes;
  }
  notes.push_back(fmt::format(
      "test mode: plaintext and key sensitivity were measured with a fixed key, key salt, message id and "
      "nonce prefix (seed {}); in normal use every encryption draws a fresh content key and nonce, so two "
      "encryptions of the same image never share a keystream",
      seed));
  if (a.plaintext_sensitivity.cipher.overall.sums.differing == 1 && a.selective) {
    notes.push_back(
        "plaintext sensitivity: the one changed plain sample changed exactly one cipher sample (NPCR = 100/N %): "
        "it lies in the background, which selective mode only XORs with a keystream (no diffusion)");
  } else if (a.plaintext_sensitivity.cipher.overall.sums.differing == 1) {
    notes.push_back(fmt::format(
        "plaintext sensitivity: the one changed plain sample changed exactly one cipher sample (NPCR = 100/N %): "
        "'{}' has no diffusion, as expected of a stream cipher; its security rests on the fresh nonce of every "
        "message, not on diffusion",
        info.name));
  }
  const WrongKeyDecryption& d = a.key_sensitivity.decrypt;
  if (d.rejected) {
    notes.push_back(fmt::format(
        "key sensitivity: decrypting with the flipped key was refused ({}): an authenticated scheme releases "
        "no image under a wrong key, so there is no wrongly decrypted image to measure",
        d.rejected->message));
  } else if (info.sealing == schemes::Sealing::kAuthenticate) {
    notes.push_back(
        "key sensitivity: the wrongly decrypted image was obtained by bypassing the container's integrity "
        "layer (the reader refuses a wrong key) to measure the scheme's own cipher");
  }
  if (a.selective) {
    const SelectiveLeakage& s = *a.selective;
    notes.push_back(fmt::format(
        "selective mode: {:.1f} % of the samples got only the lighter cipher (a keystream XOR): cipher entropy {:.4f} "
        "bits against {:.4f} in the full cipher's samples (plain: {:.4f}), adjacent cipher correlation {:.4f}, "
        "plain-cipher correlation {:.4f} (a linear rebuild from the cipher image explains {:.2g} of the plain "
        "background's variance); against the full cipher everywhere, encryption {:.2f} times as fast ({:.1f} ms "
        "against {:.1f} ms, the network included) and decryption, where no network runs, {:.2f} times ({:.2f} ms "
        "against {:.2f} ms); what it gives away beyond these figures: docs/SECURITY.md",
        100.0 * s.light_share, s.light.cipher_entropy, s.full.cipher_entropy, s.light.plain_entropy,
        s.light.cipher_correlation, s.light.plain_cipher_correlation,
        s.light.plain_cipher_correlation * s.light.plain_cipher_correlation, s.speedup, a.timing.encrypt_ms,
        s.full_cipher.encrypt_ms, s.decrypt_speedup, a.timing.decrypt_ms, s.full_cipher.decrypt_ms));
  }
  return notes;
}

}  // namespace

Result<std::vector<std::unique_ptr<schemes::Scheme>>> analyzable_schemes(const schemes::SchemeRegistry& registry) {
  std::vector<std::unique_ptr<schemes::Scheme>> out;
  for (const schemes::SchemeInfo& info : registry.list()) {
    MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, registry.create(info.name));
    out.push_back(std::move(scheme));
  }
  return out;
}

Result<ImageAnalysis> analyze_image(const image::LoadedImage& loaded, const std::string& file,
                                    const schemes::Scheme& scheme, const schemes::SchemeRegistry& registry,
                                    const AnalyzeOptions& options) {
  const schemes::SchemeInfo& info = scheme.info();
  const image::Image& plain = loaded.image;
  const std::uint64_t seed = options.stats.seed;
  ImageAnalysis a;
  a.file = file;
  a.scheme = info.name;
  a.geometry = plain.geometry();
  a.key_space_bits = info.key_space_bits;
  a.cipher_image = info.exports_cipher_image;

  Measured plain_measured = measure(plain, options.stats);
  a.plain = std::move(plain_measured.stats);
  a.plain_plots = std::move(plain_measured.plots);

  MEDCRYPT_ASSIGN_OR_RETURN(TestModeSetup setup, test_mode_setup(seed));
  MEDCRYPT_ASSIGN_OR_RETURN(TestModeCipher reference, encrypt_test_mode(plain, scheme, setup.shared_key, setup.fixed));
  if (a.cipher_image) {
    Measured cipher_measured = measure(reference.cipher, options.stats);
    a.cipher = std::move(cipher_measured.stats);
    a.cipher_plots = std::move(cipher_measured.plots);
    MEDCRYPT_ASSIGN_OR_RETURN(a.plaintext_sensitivity, plaintext_sensitivity(plain, reference, scheme, setup, seed + 2));
    MEDCRYPT_ASSIGN_OR_RETURN(a.key_sensitivity, key_sensitivity(plain, reference, scheme, registry, setup, seed + 3));
  }

  // Quality: the real reader with the right key.
  container::MemorySource source(reference.container);
  container::OpenOptions open_options;
  open_options.registry = &registry;
  MEDCRYPT_ASSIGN_OR_RETURN(container::Opened opened,
                            container::open(source, container::OpenKeys::shared_key(setup.shared_key), open_options));
  MEDCRYPT_ASSIGN_OR_RETURN(a.quality, metrics::compare_images(plain, opened.image));
  if (options.thumbnails) {
    MEDCRYPT_ASSIGN_OR_RETURN(a.thumbnails,
                              make_thumbnails(plain, a.cipher_image ? &reference.cipher : nullptr, opened.image));
  }

  const container::Metadata metadata{std::filesystem::path(file).filename().string(), std::string(image::format_name(loaded.format)), loaded.dicom_attributes,
                                     loaded.notes, {}};
  MEDCRYPT_ASSIGN_OR_RETURN(a.timing, time_encryption(plain, metadata, scheme, registry, options.threads));
  const schemes::SchemeKey leakage_key{SecretBytes(setup.shared_key.span()),
                                       Bytes(setup.fixed.message_id.begin(), setup.fixed.message_id.end())};
  MEDCRYPT_ASSIGN_OR_RETURN(a.selective, measure_selective(plain, scheme, leakage_key, a.timing, metadata, registry,
                                                           options.threads));
  a.notes = notes_for(a, info, seed);
  return a;
}

}  // namespace medcrypt::analysis
