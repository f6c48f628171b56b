// Paper 000's claim tested: "a chaotic system that is not detectable using deep neural network algorithm".
// A small CNN (nn/distinguisher.hpp) is trained to tell a scheme's cipher images from something they
// should be indistinguishable from, then judged on held-out samples made from plain images it never
// saw, with an exact binomial test against guessing (50 %):
//   cipher:  cipher images of real images, a fresh random key each, against uniform random images of the
//            same geometry and depth;
//   plain:   pairs (E_k(P), E_k(P')) with P' one sample away from P, against (E_k(P), E_k(Q)) for another
//            image Q (each encryption a new message under the pair's key k);
//   key:     pairs (E_k(P), E_k'(P)) with k' one bit away from k, against an independent k'.
// The controls: `aead` should sit at chance; the biased source (uniform words whose top bit is set with
// probability 0.6, in place of cipher images) must be caught, or a "not detected" would mean nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::attacks {

struct DistinguisherSetup {
  std::string mode = "cipher";                   // cipher, plain or key
  std::vector<std::filesystem::path> data;       // folders of plain images (converted to grey, resampled)
  std::size_t images = 1000;                     // samples of each label, a fifth of them held out
  int side = 64;
  int epochs = 8;
  std::uint64_t seed = 1;
  int threads = 0;
};

struct DistinguisherReport {
  std::string scheme, mode;
  std::size_t train = 0, held_out = 0, correct = 0;
  std::size_t predicted_cipher = 0;  // held-out samples the network called label 1 (0 or all: one answer)
  double accuracy = 0;
  double low = 0, high = 0;  // exact (Clopper-Pearson) 95 % interval of the accuracy
  double p_value = 1;        // two-sided exact binomial test against 50 %
  double seconds = 0;        // making the samples, training and testing
  std::vector<double> epoch_loss;
};

// `scheme` null: the biased control source (cipher mode only). kUsage for a bad mode or setup.
Result<DistinguisherReport> run_distinguisher(const schemes::Scheme* scheme, const DistinguisherSetup& setup);

// The exact binomial figures of `correct` out of `n` against 1/2 (for the report; tested against scipy).
struct BinomialTest {
  double low = 0, high = 0, p_value = 1;
};
BinomialTest binomial_test(std::size_t correct, std::size_t n);

}  // namespace medcrypt::attacks
