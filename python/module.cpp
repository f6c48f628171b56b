// import medcrypt: the C++ library from Python, numpy arrays in and out (docs/PYTHON.md).
#include "bindings.hpp"

PYBIND11_MODULE(medcrypt, m) {
  using namespace medcrypt::python;
  m.doc() = "medcrypt: encrypt medical images and measure image ciphers (numpy arrays in and out)";
  bind_errors(m);
  bind_images(m);
  bind_metrics(m);
  bind_crypt(m);
  bind_analyze(m);
  bind_networks(m);
}
