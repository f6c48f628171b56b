// The library's error classes as Python exceptions: medcrypt.Error with `exit_code`, the CLI's exit status.
#include <array>

#include "bindings.hpp"

namespace medcrypt::python {
namespace {

struct ErrorClass {
  ErrorCode code;
  const char* name;
};
constexpr ErrorClass kClasses[] = {
    {ErrorCode::kInternal, "InternalError"},        {ErrorCode::kUsage, "UsageError"},
    {ErrorCode::kIo, "IoError"},                    {ErrorCode::kInvalidImage, "InvalidImageError"},
    {ErrorCode::kUnsupported, "UnsupportedError"},  {ErrorCode::kLimits, "LimitsError"},
    {ErrorCode::kWrongKey, "WrongKeyError"},        {ErrorCode::kAuthentication, "AuthenticationError"},
    {ErrorCode::kMalformed, "MalformedContainerError"}, {ErrorCode::kVersion, "VersionError"},
    {ErrorCode::kSignature, "SignatureError"},      {ErrorCode::kBadKey, "BadKeyError"},
};

// Indexed by ErrorCode; the classes live as long as the interpreter (never released at exit).
std::array<PyObject*, 13> classes{};

}  // namespace

void bind_errors(py::module_& m) {
  PyObject* base = PyErr_NewExceptionWithDoc("medcrypt.Error", "A medcrypt library error; exit_code is the CLI's.",
                                             nullptr, nullptr);
  if (base == nullptr) throw py::error_already_set();
  m.add_object("Error", py::handle(base));
  for (const ErrorClass& c : kClasses) {
    // A usage error is also a ValueError, as Python callers expect of a bad argument.
    py::tuple bases = c.code == ErrorCode::kUsage ? py::make_tuple(py::handle(base), py::handle(PyExc_ValueError))
                                                   : py::make_tuple(py::handle(base));
    std::string qualified = std::string("medcrypt.") + c.name;
    PyObject* cls = PyErr_NewException(qualified.c_str(), bases.ptr(), nullptr);
    if (cls == nullptr) throw py::error_already_set();
    py::handle(cls).attr("exit_code") = static_cast<int>(c.code);
    m.add_object(c.name, py::handle(cls));
    classes[static_cast<std::size_t>(c.code)] = cls;
  }
  classes[0] = classes[static_cast<std::size_t>(ErrorCode::kInternal)];
}

void raise(const Error& error) {
  const auto index = static_cast<std::size_t>(error.code);
  PyObject* cls = index < classes.size() && classes[index] != nullptr ? classes[index] : classes[0];
  PyErr_SetString(cls, error.message.c_str());
  throw py::error_already_set();
}

}  // namespace medcrypt::python
