// C glue over libpng: every libpng call happens here, inside setjmp, so libpng's longjmp error path never
// crosses Swift frames. Functions return 0 on success and fill a caller-provided message buffer on failure.
#ifndef MEDSYNTH_CPNGGLUE_H
#define MEDSYNTH_CPNGGLUE_H
#include <stddef.h>

/// The version string of the libpng MedSynth is linked against (e.g. "1.6.39").
const char *ms_png_library_version(void);

#endif
