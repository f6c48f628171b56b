#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "nn/backend.hpp"

namespace medcrypt::nn {

Result<const Backend*> torch_backend() {
  static std::once_flag once;
  static Result<const Backend*> backend = make_error(ErrorCode::kInternal, "unset");
  std::call_once(once, [] {
    const char* env = std::getenv("MEDCRYPT_TORCH_MODULE");
    const std::string path = env != nullptr && *env != '\0' ? env : MEDCRYPT_TORCH_MODULE;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      backend = make_error(ErrorCode::kUnsupported, "cannot load the deep learning module " + path + ": " +
                                                        (why != nullptr ? why : "unknown error"));
      return;
    }
    using Entry = const Backend* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "medcrypt_torch_backend"));
    if (entry == nullptr) {
      backend = make_error(ErrorCode::kUnsupported, path + " is not medcrypt's deep learning module");
      return;
    }
    backend = entry();  // the module stays loaded for the life of the process
  });
  return backend;
}

}  // namespace medcrypt::nn
