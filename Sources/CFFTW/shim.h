// FFTW 3 (single precision, fftwf_* functions) for the MR k-space augmentations in MedSynthesis.
// Debian package libfftw3-dev; linked as -lfftw3f through pkg-config fftw3f.
#ifndef MEDSYNTH_CFFTW_SHIM_H
#define MEDSYNTH_CFFTW_SHIM_H
#include <fftw3.h>
#endif
