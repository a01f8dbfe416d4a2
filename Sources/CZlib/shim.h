// zlib (pkg-config zlib).
#include <zlib.h>
