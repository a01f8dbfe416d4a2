#include "CNIfTIGlue.h"
#include <nifti2_io.h>

int ms_nifti_file_version(const char *path) {
    int v = is_nifti_file(path);
    if (v < 0) return -1;
    return v;
}
