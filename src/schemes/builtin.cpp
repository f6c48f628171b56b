#include "schemes/ae_aes.hpp"
#include "schemes/aead_scheme.hpp"
#include "schemes/chaos_henon.hpp"
#include "schemes/demo_weak.hpp"
#include "schemes/scheme.hpp"
#include "schemes/zigzag_gan.hpp"

namespace medcrypt::schemes {

void register_builtin_schemes(SchemeRegistry& registry) {
  registry.add(aead_scheme_info(), make_aead_scheme);
  registry.add(ae_aes_info(), make_ae_aes);
  registry.add(ae_aes_paper_info(), make_ae_aes_paper);
  registry.add(chaos_henon_info(), make_chaos_henon);
  registry.add(chaos_henon_paper_info(1), make_chaos_henon_paper_v1);
  registry.add(chaos_henon_paper_info(), make_chaos_henon_paper);
  registry.add(demo_weak_info(), make_demo_weak);
  registry.add(zigzag_gan_info(), make_zigzag_gan);
  registry.add(zigzag_gan_paper_info(), make_zigzag_gan_paper);
}

}  // namespace medcrypt::schemes
