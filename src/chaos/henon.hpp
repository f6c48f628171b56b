// The Henon map x' = 1 - a x^2 + y, y' = b x in IEEE-754 double precision, quantised into 16-bit words.
// A step evaluates x' = (1 + y) - (a x) x in that order: 1 + y is off the serial path, which is then a
// multiply, a multiply and a subtraction (9 cycles, not 12).
//
// Portability: every step is the same sequence of correctly rounded double operations (no fused
// multiply-add: this folder is compiled with -ffp-contract=off), and quantisation uses only floor and
// integer arithmetic, so an orbit and its words are identical on every x86-64 and ARM64 machine.
#pragma once

#include <cstdint>
#include <span>

namespace medcrypt::chaos {

struct HenonParams {
  double a = 1.4;
  double b = 0.3;
  double x0 = 0.0;
  double y0 = 0.0;
  std::uint32_t warmup = 1000;  // iterations discarded before any word is used
};

// Quantisation of one coordinate (paper 000 eq. 4-5): floor(|v| * 10^12) mod 2^16. The low digits of
// |v| * 10^12 sit far above double rounding (|v| < 2, ulp ~ 2^-52) and change with every step.
inline std::uint16_t quantise(double v) {
  double scaled = (v < 0 ? -v : v) * 1e12;
  if (!(scaled < 1e15)) return 0;  // a diverged orbit (refused before use); keeps the cast defined
  return static_cast<std::uint16_t>(static_cast<std::uint64_t>(scaled) & 0xFFFFu);
}

// An orbit that yields two words per step (XH, then YH). The state lives in the object between calls
// and in local variables inside fill(): writing through a pointer in the loop would double its cost.
class HenonStream {
 public:
  // Runs the warm-up. Check finite() before use: some initial conditions leave the attractor's basin.
  explicit HenonStream(const HenonParams& params);

  // Fills `out` with words; an odd count leaves the unused YH for the next call.
  void fill(std::span<std::uint16_t> out);
  std::uint16_t next();
  // 32 bits from two words, for permutation draws.
  std::uint32_t next32() {
    std::uint32_t hi = next();
    return hi << 16 | next();
  }
  // False once the orbit has diverged (|x| beyond the attractor, or not finite).
  bool finite() const;

  // Largest Lyapunov exponent estimated over `steps` iterations from the current state (natural log per
  // step; about 0.42 on the classic attractor, negative in a periodic window). Does not advance the stream.
  double lyapunov(std::uint32_t steps) const;

 private:
  double a_, b_, x_, y_;
  bool pending_ = false;  // a YH word is waiting
  std::uint16_t pending_word_ = 0;
};

}  // namespace medcrypt::chaos
