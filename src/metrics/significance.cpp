#include "metrics/significance.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <fmt/format.h>

namespace medcrypt::metrics {
namespace {

// Callers pass valid arguments; should one slip through, Boost returns NaN or infinity instead of
// throwing, and the NaN shows up in the report.
using NoThrow = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

}  // namespace

std::string level_name(double alpha) { return fmt::format("{:g}", alpha); }

double normal_upper_quantile(double alpha) {
  return boost::math::quantile(boost::math::complement(boost::math::normal_distribution<double, NoThrow>(), alpha));
}

double chi_square_upper_quantile(double dof, double alpha) {
  return boost::math::quantile(
      boost::math::complement(boost::math::chi_squared_distribution<double, NoThrow>(dof), alpha));
}

double chi_square_upper_tail(double dof, double x) {
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared_distribution<double, NoThrow>(dof), x));
}

}  // namespace medcrypt::metrics
