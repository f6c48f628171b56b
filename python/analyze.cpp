// medcrypt.analyze: what `medcrypt analyze --json` writes, for image files or arrays.
#include <filesystem>

#include "analysis/analyze.hpp"
#include "analysis/report_json.hpp"
#include "bindings.hpp"

namespace medcrypt::python {
namespace {

struct Input {
  std::string file;
  image::LoadedImage loaded;
};

// A path is read as `medcrypt analyze` reads it; an array comes with `like`'s format and DICOM attributes.
Input input(const py::handle& item, const py::object& like) {
  if (py::isinstance<py::array>(item)) {
    Input in{like_value<std::string>(like, "file_name", "array"), {}};
    in.loaded.image = to_image(py::reinterpret_borrow<py::array>(item), like);
    in.loaded.format = unwrap(image::parse_format_name(like_value<std::string>(like, "format", "png")));
    const std::string attributes = like_value<std::string>(like, "dicom_attributes", "");
    in.loaded.dicom_attributes.assign(attributes.begin(), attributes.end());
    in.loaded.modality = like_value<std::string>(like, "modality", "");
    return in;
  }
  const auto path = item.cast<std::filesystem::path>();
  return {path.string(), released([&] { return image::read_image_file(path); })};
}

// The scheme named, or with "all" every registered scheme.
std::vector<std::unique_ptr<schemes::Scheme>> schemes_to_run(const std::string& name, const py::object& params) {
  const schemes::SchemeRegistry& registry = schemes::builtin_registry();
  std::vector<std::unique_ptr<schemes::Scheme>> out;
  if (name != "all") {
    out.push_back(unwrap(registry.create(name, scheme_params(params))));
    return out;
  }
  if (!params.is_none()) raise(make_error(ErrorCode::kUsage, "params= needs one scheme, not 'all'"));
  return unwrap(analysis::analyzable_schemes(registry));
}

py::object analyze(const py::object& images, const std::string& scheme, const py::object& params,
                   const py::object& like, std::size_t pairs, std::uint64_t seed) {
  if (pairs < 2) raise(make_error(ErrorCode::kUsage, "pairs must be at least 2"));
  std::vector<Input> inputs;
  const bool several = py::isinstance<py::list>(images) || py::isinstance<py::tuple>(images);
  if (several) {
    for (const py::handle item : images) inputs.push_back(input(item, like));
  } else {
    inputs.push_back(input(images, like));
  }
  const auto to_run = schemes_to_run(scheme, params);
  analysis::AnalyzeOptions options;
  options.stats = {pairs, seed};
  options.thumbnails = false;  // the report is JSON: no pictures
  std::vector<analysis::ImageAnalysis> analyses;
  for (const Input& in : inputs) {
    for (const auto& s : to_run) {
      analyses.push_back(released(
          [&] { return analysis::analyze_image(in.loaded, in.file, *s, schemes::builtin_registry(), options); }));
    }
  }
  return to_python(analysis::report_json(analyses));
}

}  // namespace

void bind_analyze(py::module_& m) {
  m.def("analyze", &analyze, py::arg("images"), py::kw_only(), py::arg("scheme") = "aead",
        py::arg("params") = py::none(), py::arg("like") = py::none(), py::arg("pairs") = metrics::kDefaultSampledPairs,
        py::arg("seed") = metrics::kDefaultSeed,
        "Measures schemes as image-cipher papers do (statistics, sensitivity, quality, key space, speed): the "
        "report of `medcrypt analyze --json` ({'images': [...], 'summary': {...}}). images: a file path, an "
        "array (with like=) or a list of them; scheme: a name or 'all'. The first failure raises.");
}

}  // namespace medcrypt::python
