// oneDNN 2.x C API (Debian libdnnl-dev), the library that runs MedTensor's convolutions (Kernels/DNNLConvolution.swift).
#include <oneapi/dnnl/dnnl.h>

// DNNL_MEMORY_ALLOCATE is a cast macro that Swift cannot import: a memory object that allocates its own buffer.
static inline void *medsynth_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
