// medcrypt.stats and medcrypt.compare: the dicts `medcrypt stats --json` and `medcrypt compare --json` print.
#include "bindings.hpp"
#include "metrics/json.hpp"

namespace medcrypt::python {
namespace {

py::object stats(const py::array& array, const py::object& like, std::size_t pairs, std::uint64_t seed) {
  if (pairs < 2) raise(make_error(ErrorCode::kUsage, "pairs must be at least 2"));
  const ArrayImage image = view_image(array, like);
  nlohmann::json json;
  {
    py::gil_scoped_release release;
    json = metrics::to_json(metrics::image_stats(image.view, {pairs, seed}));
  }
  return to_python(json);
}

py::object compare(const py::array& a, const py::array& b, const py::object& like, const py::object& like_b) {
  const ArrayImage first = view_image(a, like);
  const ArrayImage second = view_image(b, like_b);
  return to_python(metrics::to_json(released([&] { return metrics::compare_images(first.view, second.view); })));
}

}  // namespace

void bind_metrics(py::module_& m) {
  m.def("stats", &stats, py::arg("array"), py::kw_only(), py::arg("like") = py::none(),
        py::arg("pairs") = metrics::kDefaultSampledPairs, py::arg("seed") = metrics::kDefaultSeed,
        "Entropy, local entropy, chi-square and adjacent-pixel correlations per channel: the keys of "
        "`medcrypt stats --json` (without 'file'). like: metadata dict giving bits stored (default: the dtype's).");
  m.def("compare", &compare, py::arg("a"), py::arg("b"), py::kw_only(), py::arg("like") = py::none(),
        py::arg("like_b") = py::none(),
        "NPCR and UACI with their critical values and verdicts, MSE, RMSE, MAE, PSNR and SSIM: the keys of "
        "`medcrypt compare --json`. like, like_b: each image's metadata dict (default: the dtype's full width).");
}

}  // namespace medcrypt::python
