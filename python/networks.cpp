// medcrypt.attack, classify and roi: the attacks and the networks as `medcrypt attack --json`,
// `medcrypt classify --json` and `medcrypt roi` run them on files, here on numpy arrays.
#include "attacks/attack.hpp"
#include "bindings.hpp"
#include "metrics/classification.hpp"
#include "nn/classifier.hpp"
#include "nn/roi.hpp"

namespace medcrypt::python {
namespace {

py::tuple attack(const std::string& name, const py::array& array, const std::string& scheme_name,
                 const py::object& like, const py::object& params, bool integrity) {
  auto scheme = unwrap(schemes::builtin_registry().create(scheme_name, scheme_params(params)));
  const image::Image target = to_image(array, like);
  const attacks::AttackOptions options{.integrity = integrity};
  attacks::AttackReport report = released([&] { return attacks::run_attack(name, *scheme, target, options); });
  const py::object json = to_python(attacks::report_json(report, options));
  return py::make_tuple(to_array(std::move(report.recovered)), json);
}

py::dict classify(const py::array& array, const py::object& like, const std::string& model_path) {
  const nn::ClassifierModel model = released([&] { return nn::ClassifierModel::load_or_shipped(model_path); });
  const image::Image image = to_image(array, like);
  const std::vector<double> scores = released([&] { return model.classify(image); });
  const int k = metrics::predicted_class(scores);
  const auto& classes = model.config().classes;
  return py::dict(py::arg("model") = model.digest_hex(), py::arg("set") = model.config().set,
                  py::arg("classes") = classes, py::arg("class") = classes[k], py::arg("class_index") = k,
                  py::arg("scores") = scores, py::arg("frames") = image.geometry().frames);
}

py::tuple roi(const py::array& array, const py::object& like, const std::string& kind, const std::string& model_path) {
  if (kind.empty() == model_path.empty()) raise(make_error(ErrorCode::kUsage, "roi: give kind= or model= (one of them)"));
  const nn::RoiModel model = released([&] { return kind.empty() ? nn::RoiModel::load(model_path) : nn::RoiModel::for_kind(kind); });
  const image::Image image = to_image(array, like);
  nn::RoiMask mask = released([&] { return model.predict(image); });
  py::array_t<std::uint8_t> out({static_cast<py::ssize_t>(mask.height), static_cast<py::ssize_t>(mask.width)});
  std::copy(mask.mask.begin(), mask.mask.end(), out.mutable_data());
  return py::make_tuple(out, py::dict(py::arg("kind") = model.kind(), py::arg("coverage") = mask.coverage,
                                      py::arg("confidence") = mask.confidence));
}

}  // namespace

void bind_networks(py::module_& m) {
  m.def("attack", &attack, py::arg("name"), py::arg("array"), py::kw_only(), py::arg("scheme"),
        py::arg("like") = py::none(), py::arg("params") = py::none(), py::arg("integrity") = true,
        "Run an attack (known-plaintext, chosen-plaintext, key-search, chosen-ciphertext) on the array as the "
        "target a victim encrypts under a key the attack never sees: (recovered array, the report of "
        "`medcrypt attack --json`).");
  m.def("classify", &classify, py::arg("array"), py::kw_only(), py::arg("like") = py::none(), py::arg("model") = "",
        "The diagnostic classifier's class and scores for the image (the shipped network unless model= names "
        "a weights file), as one image of `medcrypt classify --json`.");
  m.def("roi", &roi, py::arg("array"), py::kw_only(), py::arg("like") = py::none(), py::arg("kind") = "",
        py::arg("model") = "",
        "Paper 000's region-of-interest network on a grey image: (mask, 1 = region of interest, as uint8 of "
        "the image's height and width; kind, coverage and confidence).");
}

}  // namespace medcrypt::python
