// numpy arrays <-> Image. Out: the array owns the Image's pixels (no copy). In: an ImageView on the array's
// own buffer where it is C-contiguous and aligned (stats, compare: no copy), else on the contiguous copy
// numpy makes of a strided or transposed array; or one copy into an Image, which owns its pixels (encrypt
// and the other calls that keep or change the image).
#include <cstring>

#include <fmt/format.h>

#include "bindings.hpp"

namespace medcrypt::python {
namespace {

// The dtype an Image's samples have in numpy.
py::dtype dtype_of(const image::Geometry& g) {
  if (g.floating_point()) return g.bits_allocated == 64 ? py::dtype::of<double>() : py::dtype::of<float>();
  switch (g.bytes_per_sample()) {
    case 1: return g.is_signed ? py::dtype::of<std::int8_t>() : py::dtype::of<std::uint8_t>();
    case 2: return g.is_signed ? py::dtype::of<std::int16_t>() : py::dtype::of<std::uint16_t>();
    default: return g.is_signed ? py::dtype::of<std::int32_t>() : py::dtype::of<std::uint32_t>();
  }
}

[[noreturn]] void type_error(const std::string& message) { throw py::type_error(message); }

// The geometry of an image with the array's dtype and shape; TypeError where the module takes neither.
image::Geometry array_geometry(const py::array& array, const py::object& like) {
  if (!like.is_none() && !py::isinstance<py::dict>(like)) type_error("like= takes a metadata dict (from read_image) or None");
  const py::dtype dtype = array.dtype();
  const char kind = dtype.kind();
  const auto size = static_cast<std::size_t>(dtype.itemsize());
  const bool integer = (kind == 'u' || kind == 'i') && (size == 1 || size == 2 || size == 4);
  const bool floating = kind == 'f' && (size == 4 || size == 8);
  if (!integer && !floating) {
    type_error(fmt::format("expected an array of uint8, int8, uint16, int16, uint32, int32, float32 or float64, got {}",
                           py::str(py::handle(dtype)).cast<std::string>()));
  }
  if (size > 1 && dtype.attr("byteorder").cast<std::string>() == ">") {
    type_error("expected native (little-endian) byte order; convert with array.astype(array.dtype.newbyteorder('='))");
  }

  image::Geometry g;
  const auto ndim = array.ndim();
  const bool colour_last = ndim == 3 && array.shape(2) == 3 && like_value<int>(like, "samples", 3) == 3;
  if (ndim == 2) {
    g.height = static_cast<std::uint32_t>(array.shape(0));
    g.width = static_cast<std::uint32_t>(array.shape(1));
  } else if (ndim == 3 && colour_last) {
    g.height = static_cast<std::uint32_t>(array.shape(0));
    g.width = static_cast<std::uint32_t>(array.shape(1));
    g.samples = 3;
  } else if (ndim == 3) {
    g.frames = static_cast<std::uint32_t>(array.shape(0));
    g.height = static_cast<std::uint32_t>(array.shape(1));
    g.width = static_cast<std::uint32_t>(array.shape(2));
  } else if (ndim == 4 && (array.shape(3) == 1 || array.shape(3) == 3)) {
    g.frames = static_cast<std::uint32_t>(array.shape(0));
    g.height = static_cast<std::uint32_t>(array.shape(1));
    g.width = static_cast<std::uint32_t>(array.shape(2));
    g.samples = static_cast<std::uint8_t>(array.shape(3));
  } else {
    type_error(fmt::format("expected an image of shape (height, width), (height, width, 3), (frames, height, width) "
                           "or (frames, height, width, 1|3), got shape {}",
                           py::str(array.attr("shape")).cast<std::string>()));
  }
  for (py::ssize_t d = 0; d < ndim; ++d) {
    if (array.shape(d) > 0xffffffff) raise(make_error(ErrorCode::kLimits, "array dimension over 2^32 - 1"));
  }
  g.bits_allocated = static_cast<std::uint8_t>(size * 8);
  g.is_signed = kind == 'i';
  if (floating) {
    g.bits_stored = 0;
  } else if (size == 1 && like_value<int>(like, "bits_allocated", 8) == 1) {
    g.bits_allocated = 1;  // DICOM's 1-bit samples, one 0/1 byte each
    g.bits_stored = 1;
  } else {
    g.bits_stored = static_cast<std::uint8_t>(like_value<int>(like, "bits_stored", static_cast<int>(size * 8)));
  }
  g.photometric = like_value<std::string>(like, "photometric", g.samples == 3 ? "RGB" : "MONOCHROME2");
  return g;
}

// The array itself where it is C-contiguous and aligned, else numpy's copy that is (pybind11 names no
// public flag for alignment, which ImageView needs to read words in place).
py::array contiguous(const py::array& array) {
  constexpr int kAligned = py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  py::array out = py::array::ensure(array, static_cast<int>(py::array::c_style) | kAligned);
  if (!out) throw py::error_already_set();
  return out;
}

}  // namespace

image::Image to_image(const py::array& array, const py::object& like) {
  image::Geometry g = array_geometry(array, like);
  const py::array pixels_array = contiguous(array);
  PixelBytes pixels(static_cast<std::size_t>(pixels_array.nbytes()));
  if (!pixels.empty()) std::memcpy(pixels.data(), pixels_array.data(), pixels.size());
  return unwrap(image::Image::from_bytes(std::move(g), std::move(pixels)));
}

ArrayImage view_image(const py::array& array, const py::object& like) {
  image::Geometry g = array_geometry(array, like);
  py::array pixels_array = contiguous(array);
  const ByteView bytes(static_cast<const std::uint8_t*>(pixels_array.data()),
                       static_cast<std::size_t>(pixels_array.nbytes()));
  image::ImageView view = unwrap(image::ImageView::from_bytes(std::move(g), bytes));
  return {std::move(pixels_array), std::move(view)};
}

py::array to_array(image::Image image) {
  const image::Geometry g = image.geometry();
  std::vector<py::ssize_t> shape;
  if (g.frames != 1) shape.push_back(g.frames);
  shape.push_back(g.height);
  shape.push_back(g.width);
  if (g.samples != 1) shape.push_back(g.samples);
  auto* owner = new image::Image(std::move(image));
  py::capsule base(owner, [](void* p) { delete static_cast<image::Image*>(p); });
  return py::array(dtype_of(g), shape, owner->bytes().data(), base);
}

py::dict geometry_dict(const image::Geometry& g) {
  py::dict d;
  d["width"] = g.width;
  d["height"] = g.height;
  d["frames"] = g.frames;
  d["samples"] = g.samples;
  d["bits_allocated"] = g.bits_allocated;
  d["bits_stored"] = g.bits_stored;
  d["signed"] = g.is_signed;
  d["photometric"] = g.photometric;
  return d;
}

py::object to_python(const nlohmann::json& json) {
  return py::module_::import("json").attr("loads")(json.dump());
}

}  // namespace medcrypt::python
