#include "attacks/chosen_plaintext.hpp"

#include <bit>

#include <fmt/format.h>

#include "attacks/key_search.hpp"
#include "schemes/demo_weak.hpp"

namespace medcrypt::attacks {
namespace {

using Words = std::vector<std::uint32_t>;

Words words_of(const image::Image& image) {
  Words w(image.geometry().sample_count());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = image.word(i);
  return w;
}

// demo-weak's diffusion, undone with its own public inverse.
template <typename Word>
void undo_demo_weak(Words& w) {
  std::vector<Word> v(w.begin(), w.end());
  schemes::demo_weak_undiffuse<Word>(v);
  std::copy(v.begin(), v.end(), w.begin());
}

// chaos-henon:paper's last round ends with a horizontal (row-major) then a vertical (column-major) chain,
// c[i] = x[i] xor k[i] xor c[i-1], per frame of rows x (width * samples) words: c[i] xor c[i-1] leaves
// x[i] xor k[i], the keystream folding into K.
void undo_xor_chains(Words& w, const image::Geometry& g) {
  const std::size_t rows = g.height, cols = std::size_t{g.width} * g.samples, n = rows * cols;
  for (std::size_t base = 0; base + n <= w.size(); base += n) {
    std::uint32_t prev = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      for (std::size_t r = 0; r < rows; ++r) {
        std::uint32_t& x = w[base + r * cols + c];
        const std::uint32_t cipher = x;
        x ^= prev;
        prev = cipher;
      }
    }
    prev = 0;
    for (std::size_t i = base; i < base + n; ++i) {
      const std::uint32_t cipher = w[i];
      w[i] ^= prev;
      prev = cipher;
    }
  }
}

// The scheme's public layer L, undone; none for the schemes outside the class.
void strip_public_layer(const std::string& scheme, const image::Geometry& g, Words& w) {
  if (scheme == "demo-weak") {
    g.bits_allocated == 8 ? undo_demo_weak<std::uint8_t>(w) : undo_demo_weak<std::uint16_t>(w);
  } else if (scheme == "chaos-henon:paper") {
    undo_xor_chains(w, g);
  }
}

}  // namespace

Result<image::Image> chosen_plaintext(Oracle& oracle, const schemes::Scheme& scheme, const VictimMessage& victim,
                                      std::vector<std::string>& notes) {
  const image::Geometry& g = victim.geometry;
  const std::string& name = scheme.info().name;
  const std::size_t n = g.sample_count();
  if (n > 0xffffffffu) return make_error(ErrorCode::kLimits, "chosen-plaintext takes images of fewer than 2^32 samples");
  // Digits of b bits: every chosen word stays a valid sample (non-negative where the image is signed).
  const unsigned b = g.bits_stored - (g.is_signed ? 1u : 0u);
  if (b == 0) return make_error(ErrorCode::kUnsupported, "chosen-plaintext needs samples of at least one value bit");
  const unsigned position_bits = std::max(1u, static_cast<unsigned>(std::bit_width(n - 1)));
  const unsigned digits = (position_bits + b - 1) / b;

  MEDCRYPT_ASSIGN_OR_RETURN(image::Image chosen, image::Image::create(g));
  MEDCRYPT_ASSIGN_OR_RETURN(const image::Image zero_cipher, oracle.encrypt(chosen));
  Words keystream = words_of(zero_cipher);
  strip_public_layer(name, g, keystream);

  Words source(n, 0);  // source[j]: the plain position that lands on cipher position j
  for (unsigned d = 0; d < digits; ++d) {
    const unsigned shift = d * b;
    for (std::size_t i = 0; i < n; ++i) chosen.set_word(i, static_cast<std::uint32_t>(i >> shift) & ((1u << b) - 1));
    MEDCRYPT_ASSIGN_OR_RETURN(const image::Image cipher, oracle.encrypt(chosen));
    Words w = words_of(cipher);
    strip_public_layer(name, g, w);
    for (std::size_t j = 0; j < n; ++j) source[j] |= ((w[j] ^ keystream[j]) & ((1u << b) - 1)) << shift;
  }

  // The model holds only if `source` is a permutation.
  std::vector<bool> seen(n, false);
  std::size_t collisions = 0;
  for (std::uint32_t& s : source) {
    if (s >= n) s %= n;
    collisions += seen[s] ? 1 : 0;
    seen[s] = true;
  }
  if (collisions != 0) {
    notes.push_back(fmt::format("the recovered position map is not a permutation ({} of {} positions claimed twice): "
                                "this cipher is not one key-driven permutation with an XOR keystream",
                                collisions, n));
    // Adapted for chaos-henon:paper version 2, whose rounds break the model: one more chosen image, a small
    // one, and the key itself from paper 000's 2^15.4 key space (key-search's search).
    auto key = search_paper_key(oracle, scheme, g, notes);
    if (key && *key) {
      notes.push_back("the victim's cipher image decrypted under the key recovered from the chosen 32x32 image");
      return decrypt_victim(scheme, std::move(**key), victim);
    }
    if (!key) notes.push_back("no key search either: " + key.error().message);
  } else {
    notes.push_back(fmt::format("permutation and keystream recovered from {} chosen images ({} position digits of {} "
                                "bits and the all-zero image)",
                                digits + 1, digits, b));
  }
  Words target = words_of(victim.cipher);
  strip_public_layer(name, g, target);
  const std::uint32_t mask = g.bits_allocated == 8 ? 0xffu : 0xffffu;
  MEDCRYPT_ASSIGN_OR_RETURN(image::Image recovered, image::Image::create(g));
  // Where the map is not a permutation, positions it never names keep their unpermuted words.
  for (std::size_t j = 0; j < n; ++j) recovered.set_word(j, (target[j] ^ keystream[j]) & mask);
  for (std::size_t j = 0; j < n; ++j) recovered.set_word(source[j], (target[j] ^ keystream[j]) & mask);
  return recovered;
}

}  // namespace medcrypt::attacks
