// oneDNN 2.x C API (Debian libdnnl-dev), the library that runs MedTensor's convolutions (Kernels/DNNLConvolution.swift).
#include <oneapi/dnnl/dnnl.h>

