// OpenBLAS (pkg-config openblas): CBLAS interface plus thread control.
#include <cblas.h>
