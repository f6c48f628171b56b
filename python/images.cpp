// medcrypt.read_image and medcrypt.write_image: image files (DICOM, PNG, JPEG, TIFF) as arrays and metadata.
#include <filesystem>

#include "bindings.hpp"
#include "image/image_file.hpp"
#include "pipeline/file_crypt.hpp"

namespace medcrypt::python {
namespace {

py::tuple read_image(const std::filesystem::path& path) {
  image::LoadedImage image = released([&] { return image::read_image_file(path); });
  py::dict meta = geometry_dict(image.image.geometry());
  meta["format"] = std::string(image::format_name(image.format));
  meta["modality"] = image.modality;
  meta["file_name"] = path.filename().string();
  meta["notes"] = image.notes;
  meta["dicom_attributes"] = to_pybytes(image.dicom_attributes);
  return py::make_tuple(to_array(std::move(image.image)), meta);
}

// The format asked for, else the one `like` came from (JPEG written as PNG, as decrypt restores it), else
// the file name's: .dcm is DICOM, .tif/.tiff TIFF, anything else PNG.
image::FileFormat output_format(const std::filesystem::path& path, const py::object& like, const py::object& format) {
  std::string name;
  if (!format.is_none()) {
    name = format.cast<std::string>();
  } else if (!like.is_none() && like.contains("format")) {
    name = like["format"].cast<std::string>();
  } else {
    const std::string ext = path.extension().string();
    name = ext == ".dcm" ? "dicom" : ext == ".tif" || ext == ".tiff" ? "tiff" : "png";
  }
  return pipeline::restored_format(unwrap(image::parse_format_name(name)));
}

void write_image(const std::filesystem::path& path, const py::array& array, const py::object& like,
                 const py::object& format) {
  const image::FileFormat out = output_format(path, like, format);
  image::Image image = to_image(array, like);
  const std::string attributes = like_value<std::string>(like, "dicom_attributes", "");
  released([&] { return image::write_image_file(path, image, out, as_bytes(attributes)); });
}

}  // namespace

void bind_images(py::module_& m) {
  m.def("read_image", &read_image, py::arg("path"),
        "Reads a DICOM, PNG, JPEG or TIFF file: (pixels, metadata). Pixels: (H, W), (H, W, 3), (F, H, W) or "
        "(F, H, W, 3), the dtype of the stored words. Metadata: width, height, frames, samples, bits_allocated, "
        "bits_stored, signed, photometric, format, modality, file_name, notes, dicom_attributes.");
  m.def("write_image", &write_image, py::arg("path"), py::arg("array"), py::kw_only(), py::arg("like") = py::none(),
        py::arg("format") = py::none(),
        "Writes an image file atomically. like: a metadata dict (bits stored, photometric, DICOM attributes); "
        "format: 'dicom', 'png' or 'tiff' (default: like's format, else from the file name).");
}

}  // namespace medcrypt::python
