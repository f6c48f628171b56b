// Hot loops written to vectorise (the metrics, the zigzag scans' blocks). Built for the x86-64 baseline
// (SSE2) they use 16-byte vectors without byte shuffles; MEDCRYPT_VECTOR_CLONES makes GCC also build a function for x86-64-v3 (AVX2, FMA) and v4
// (AVX-512), and the loader picks the clone the CPU runs (an ifunc: x86-64 ELF only). Integer loops give
// the same sums in every clone; floating point ones may differ in the last bits where a file lets GCC fuse
// multiply-adds (ssim.cpp).
#pragma once

#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__)
#define MEDCRYPT_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MEDCRYPT_VECTOR_CLONES
#endif
