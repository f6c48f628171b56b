// What the binding files share: errors as Python exceptions, images as numpy arrays, JSON as dicts.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "image/image.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::python {

namespace py = pybind11;

// medcrypt.Error and one subclass per ErrorCode (the CLI's exit codes), created once.
void bind_errors(py::module_& m);
[[noreturn]] void raise(const Error& error);

template <typename T>
T unwrap(Result<T>&& result) {
  if (!result) raise(result.error());
  return std::move(result).value();
}
inline void unwrap(Status&& status) {
  if (!status) raise(status.error());
}
// Runs `fn` (returning a Result or Status) without the GIL, then unwraps what it returned.
template <typename Fn>
auto released(Fn&& fn) {
  auto result = [&] {
    py::gil_scoped_release release;
    return fn();
  }();
  return unwrap(std::move(result));
}

// An array of shape (H, W), (H, W, 3), (F, H, W) or (F, H, W, S) as an Image (the pixels are copied,
// since an Image owns them). `like`, a metadata dict from read_image or None, supplies bits stored,
// photometric interpretation and whether a 3-D array is frames or colour. Wrong dtype or shape: TypeError.
image::Image to_image(const py::array& array, const py::object& like);
// The same as a view, for calls that only read the pixels: on the array's own buffer where it is
// C-contiguous and aligned, else on a contiguous copy. `array` holds whichever buffer the view reads: keep
// it for as long as the view.
struct ArrayImage {
  py::array array;
  image::ImageView view;
};
ArrayImage view_image(const py::array& array, const py::object& like);
// The Image's pixels as an array that owns them (no copy); frames and samples of 1 are dropped from the shape.
py::array to_array(image::Image image);
// The geometry as the metadata dict's keys.
py::dict geometry_dict(const image::Geometry& geometry);

py::object to_python(const nlohmann::json& json);
inline py::bytes to_pybytes(ByteView bytes) {
  return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
// like[key] from a metadata dict, or `fallback` when like is None or lacks the key.
template <typename T>
T like_value(const py::object& like, const char* key, T fallback) {
  if (like.is_none() || !like.contains(key)) return fallback;
  return like[key].cast<T>();
}

// Scheme parameters as "k=v;k=v" or a dict of them; None: none.
schemes::SchemeParams scheme_params(const py::object& params);

void bind_images(py::module_& m);
void bind_metrics(py::module_& m);
void bind_crypt(py::module_& m);
void bind_analyze(py::module_& m);
void bind_networks(py::module_& m);

}  // namespace medcrypt::python
