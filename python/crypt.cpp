// medcrypt.schemes, keygen, encrypt and decrypt: images sealed into .mct containers in memory under a
// shared key, as `medcrypt encrypt --key` and `medcrypt decrypt --key` do with files.
#include <filesystem>

#include "bindings.hpp"
#include "container/container.hpp"
#include "crypto/aead.hpp"
#include "crypto/identity.hpp"
#include "crypto/random.hpp"
#include "pipeline/file_crypt.hpp"

namespace medcrypt::python {
namespace {

// A key as bytes (32 raw) or as the path of a key file (32 raw bytes or 64 hex digits).
SecretBytes shared_key(const py::object& key) {
  if (py::isinstance<py::bytes>(key)) {
    const std::string_view raw = key.cast<std::string_view>();
    return SecretBytes(as_bytes(raw));
  }
  if (py::isinstance<py::str>(key) || py::hasattr(key, "__fspath__")) {
    return unwrap(crypto::load_shared_key(key.cast<std::filesystem::path>()));
  }
  throw py::type_error("key= takes 32 bytes or the path of a shared key file");
}

py::list list_schemes() {
  py::list out;
  for (const schemes::SchemeInfo& info : schemes::builtin_registry().list()) {
    out.append(py::dict(py::arg("name") = info.name, py::arg("version") = info.version,
                        py::arg("lossless") = info.lossless, py::arg("exports_cipher_image") = info.exports_cipher_image,
                        py::arg("key_space_bits") = info.key_space_bits, py::arg("summary") = info.summary,
                        py::arg("security_note") = info.security_note, py::arg("control_only") = info.control_only));
  }
  return out;
}

py::bytes keygen() {
  const SecretBytes key = unwrap(crypto::random_secret(crypto::kSharedKeyBytes));
  return to_pybytes(key.span());
}

py::tuple encrypt(const py::array& array, const std::string& scheme_name, const py::object& key,
                  const py::object& like, const py::object& params, const std::string& aead) {
  auto scheme = unwrap(pipeline::scheme_for_sending(scheme_name, scheme_params(params)));
  const SecretBytes secret = shared_key(key);
  const image::Image image = to_image(array, like);
  container::Metadata metadata;
  metadata.file_name = like_value<std::string>(like, "file_name", "array");
  metadata.format = like_value<std::string>(like, "format", "png");
  const std::string attributes = like_value<std::string>(like, "dicom_attributes", "");
  metadata.dicom_attributes.assign(attributes.begin(), attributes.end());
  container::SealOptions options;
  auto algorithm = crypto::parse_aead_name(aead);
  if (!algorithm) raise(make_error(ErrorCode::kUsage, "unknown AEAD '" + aead + "'"));
  options.aead = *algorithm;
  options.want_cipher_image = scheme->info().exports_cipher_image;
  container::MemorySink sink;
  container::SealReport report = released([&] {
    return container::seal(image, metadata, *scheme, container::Recipients::shared_key(secret), options, sink);
  });
  const Bytes bytes = std::move(sink).take();
  py::object cipher = options.want_cipher_image ? py::object(to_array(std::move(report.cipher_image))) : py::none();
  return py::make_tuple(cipher, to_pybytes(bytes));
}

py::tuple decrypt(const py::bytes& container_bytes, const py::object& key) {
  const SecretBytes secret = shared_key(key);
  const std::string_view data = container_bytes.cast<std::string_view>();  // the bytes object outlives the call
  container::Opened result = released([&]() -> Result<container::Opened> {
    container::MemorySource source(as_bytes(data));
    return container::open(source, container::OpenKeys::shared_key(secret), {});
  });
  py::dict meta = geometry_dict(result.image.geometry());
  meta["format"] = result.metadata.format;
  meta["file_name"] = result.metadata.file_name;
  meta["notes"] = result.metadata.notes;
  meta["dicom_attributes"] = to_pybytes(result.metadata.dicom_attributes);
  meta["scheme"] = result.header.scheme_name;
  meta["scheme_version"] = result.header.scheme_version;
  meta["lossless"] = result.header.lossless;
  meta["signed_container"] = result.header.is_signed;
  return py::make_tuple(to_array(std::move(result.image)), meta);
}

}  // namespace

schemes::SchemeParams scheme_params(const py::object& params) {
  if (params.is_none()) return {};
  if (py::isinstance<py::str>(params)) return unwrap(schemes::parse_params(params.cast<std::string>()));
  schemes::SchemeParams out;
  for (auto [k, v] : params.cast<py::dict>()) out[py::str(k).cast<std::string>()] = py::str(v).cast<std::string>();
  return out;
}

void bind_crypt(py::module_& m) {
  m.def("schemes", &list_schemes, "The registered schemes: name, version, lossless, exports_cipher_image, "
                                  "key_space_bits, summary, security_note, control_only.");
  m.def("keygen", &keygen, "A fresh random 32-byte shared key.");
  m.def("encrypt", &encrypt, py::arg("array"), py::kw_only(), py::arg("scheme") = "aead", py::arg("key"),
        py::arg("like") = py::none(), py::arg("params") = py::none(), py::arg("aead") = "aes-256-gcm",
        "Seals an image under a shared key (32 bytes or a key file path): (cipher image or None, container bytes). "
        "The cipher image is returned where the scheme exports one.");
  m.def("decrypt", &decrypt, py::arg("container"), py::kw_only(), py::arg("key"),
        "Verifies and opens container bytes: (pixels, metadata with scheme, scheme_version, lossless).");
}

}  // namespace medcrypt::python
