#include "schemes/aead_scheme.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::schemes {

void register_builtin_schemes(SchemeRegistry& registry) {
  registry.add(aead_scheme_info(), make_aead_scheme);
}

}  // namespace medcrypt::schemes
