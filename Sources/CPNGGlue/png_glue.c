#include "CPNGGlue.h"
#include <png.h>

const char *ms_png_library_version(void) { return png_get_libpng_ver(NULL); }
