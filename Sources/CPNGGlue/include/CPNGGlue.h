// C glue over libpng: every libpng call happens here, inside setjmp, so libpng's longjmp error path never
// crosses Swift frames. Functions return 0 on success and fill a caller-provided message buffer on failure.
#ifndef MEDSYNTH_CPNGGLUE_H
#define MEDSYNTH_CPNGGLUE_H
#include <stddef.h>
#include <stdint.h>

/// The version string of the libpng MedSynth is linked against (e.g. "1.6.39").
const char *ms_png_library_version(void);

/// Result codes of the ms_png_* functions (0 is success).
enum {
    MS_PNG_OK = 0,
    /// The file could not be opened or read (errno text in the message).
    MS_PNG_ERR_OPEN = 1,
    /// The file does not start with the 8-byte PNG signature.
    MS_PNG_ERR_NOT_PNG = 2,
    /// libpng rejected the content (truncated, bad CRC, bad IHDR, ...): its message is in the buffer.
    MS_PNG_ERR_CORRUPT = 3,
    /// The image after MedSynth's conversions is not 1-channel 8/16-bit (should not happen).
    MS_PNG_ERR_UNSUPPORTED = 4,
    /// The output could not be written.
    MS_PNG_ERR_WRITE = 5,
    /// The caller's arguments do not match the file (sizes changed between calls, buffer too small).
    MS_PNG_ERR_ARGUMENT = 6,
};

/// What the header and the chunks before the image data say, and the layout `ms_png_read_pixels` delivers.
typedef struct {
    /// Columns.
    uint32_t width;
    /// Rows.
    uint32_t height;
    /// Bit depth on disk (1, 2, 4, 8 or 16).
    int file_bit_depth;
    /// PNG colour type on disk: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
    int file_color_type;
    /// Bit depth of the pixels `ms_png_read_pixels` delivers: 8 or 16 (1/2/4-bit gray and palettes give 8).
    int output_bit_depth;
    /// 1 when a pHYs chunk is present.
    int has_phys;
    /// pHYs pixels per unit along x (columns) and y (rows).
    uint32_t phys_x;
    uint32_t phys_y;
    /// pHYs unit: 1 = metre, 0 = unknown (aspect ratio only).
    int phys_unit;
    /// 1 when a text chunk with the requested keyword was found before the image data.
    int has_text;
    /// 1 when that text did not fit the caller's buffer (the buffer holds a truncated, NUL-terminated prefix).
    int text_truncated;
} ms_png_info;

/// Reads the header and the chunks before the image data of `path`.
/// `text_keyword`: the tEXt/zTXt/iTXt keyword to look for; its value is copied NUL-terminated into `text`
/// (`text_size` bytes). Returns an MS_PNG_* code; on failure `message` holds a NUL-terminated reason.
int ms_png_read_info(const char *path, const char *text_keyword, ms_png_info *info, char *text,
                     size_t text_size, char *message, size_t message_size);

/// Decodes the image of `path` into `pixels`: `height` rows of `width` gray samples, each 1 byte
/// (`bit_depth` 8) or one native-endian uint16 (`bit_depth` 16). Palette, RGB and alpha images are converted
/// to gray (Rec. 709 luma, alpha stripped); 1/2/4-bit gray is scaled to 8 bits. `width`, `height` and
/// `bit_depth` must be what `ms_png_read_info` reported and `pixels_size` at least width*height*bytes.
int ms_png_read_pixels(const char *path, void *pixels, size_t pixels_size, uint32_t width, uint32_t height,
                       int bit_depth, char *message, size_t message_size);

/// Writes a grayscale PNG: `height` rows of `width` samples (uint8 for `bit_depth` 8, native-endian uint16
/// for 16), a tEXt chunk `text_keyword` = `text_value` (skipped when either is NULL) and, when both are
/// non-zero, a pHYs chunk in pixels per metre.
int ms_png_write_gray(const char *path, const void *pixels, uint32_t width, uint32_t height, int bit_depth,
                      const char *text_keyword, const char *text_value, uint32_t pixels_per_metre_x,
                      uint32_t pixels_per_metre_y, char *message, size_t message_size);

#endif
