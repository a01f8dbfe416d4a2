// C glue over libnifti2 (nifti2_io). Its public header uses only plain C types, so Swift never needs the
// NIfTI headers (which require /usr/include/nifti on the include path).
#ifndef MEDSYNTH_CNIFTIGLUE_H
#define MEDSYNTH_CNIFTIGLUE_H
#include <stddef.h>
#include <stdint.h>

/// NIfTI version of the file at `path` as libnifti2 sees it: 1 or 2 for NIfTI-1/-2 (single file or pair),
/// 0 for ANALYZE 7.5, -1 when it is not a NIfTI file or cannot be read.
int ms_nifti_file_version(const char *path);

#endif
