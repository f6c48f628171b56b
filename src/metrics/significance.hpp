// The significance levels medcrypt tests at, and the distribution functions the tests need (Boost.Math
// underneath; no Boost type appears here).
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace medcrypt::metrics {

// Every statistical test is reported at these levels (Wu et al. 2011 and 2013 use the same three).
inline constexpr std::array<double, 3> kSignificanceLevels = {0.05, 0.01, 0.001};
inline constexpr std::size_t kLevelCount = kSignificanceLevels.size();
template <typename T>
using PerLevel = std::array<T, kLevelCount>;

// "0.05", "0.01", "0.001": the key of a level in JSON and in reports.
std::string level_name(double alpha);

struct Interval {
  double low = 0;
  double high = 0;
  bool contains(double x) const { return x >= low && x <= high; }
};

// z such that P(Z > z) = alpha for a standard normal Z.
double normal_upper_quantile(double alpha);
// x such that P(X > x) = alpha for X chi-squared with `dof` degrees of freedom.
double chi_square_upper_quantile(double dof, double alpha);
// P(X > x) for X chi-squared with `dof` degrees of freedom: the p-value of a chi-square statistic.
double chi_square_upper_tail(double dof, double x);

}  // namespace medcrypt::metrics
