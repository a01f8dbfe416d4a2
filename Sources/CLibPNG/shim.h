// libpng 1.6 (pkg-config libpng). Swift code does not call libpng directly: libpng reports errors through
// longjmp, which must not cross Swift frames. CPNGGlue wraps it; this target only provides headers and linking.
#include <png.h>
