#include "CPNGGlue.h"
#include <png.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ms_png_library_version(void) { return png_get_libpng_ver(NULL); }

// Where libpng's error callback leaves its message before it longjmps back into the glue.
typedef struct {
    char *message;
    size_t message_size;
} ms_png_context;

static void set_message(char *message, size_t size, const char *format, ...) {
    if (message == NULL || size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(message, size, format, args);
    va_end(args);
}

static void on_error(png_structp png, png_const_charp text) {
    ms_png_context *ctx = (ms_png_context *)png_get_error_ptr(png);
    if (ctx) set_message(ctx->message, ctx->message_size, "libpng: %s", text ? text : "unknown error");
    png_longjmp(png, 1);
}

// Warnings (unknown chunks, sRGB profile quirks) are not failures; keep them off stderr.
static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static int host_is_little_endian(void) {
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

// Opens `path` and checks the PNG signature; leaves the stream positioned after it.
static int open_png(const char *path, FILE **out, char *message, size_t message_size) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        set_message(message, message_size, "cannot open: %s", strerror(errno));
        return MS_PNG_ERR_OPEN;
    }
    unsigned char sig[8];
    size_t n = fread(sig, 1, 8, fp);
    if (n != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        set_message(message, message_size, "not a PNG file: %s",
                    n == 0 ? "the file is empty" : "the first 8 bytes are not the PNG signature");
        fclose(fp);
        return MS_PNG_ERR_NOT_PNG;
    }
    *out = fp;
    return MS_PNG_OK;
}

// The transformations that turn any PNG into 1-channel 8- or 16-bit gray (Rec. 709 luma for colour).
static void request_gray(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (color_type & PNG_COLOR_MASK_COLOR)
        // Rec. 709 weights in units of 1/100000 (red, green; blue is the rest).
        png_set_rgb_to_gray_fixed(png, PNG_ERROR_ACTION_NONE, 21260, 71520);
    if (bit_depth == 16 && host_is_little_endian()) png_set_swap(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

int ms_png_read_info(const char *path, const char *text_keyword, ms_png_info *out, char *text,
                     size_t text_size, char *message, size_t message_size) {
    memset(out, 0, sizeof(*out));
    if (text && text_size) text[0] = 0;
    FILE *fp = NULL;
    int rc = open_png(path, &fp, message, message_size);
    if (rc != MS_PNG_OK) return rc;

    ms_png_context ctx = {message, message_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        set_message(message, message_size, "libpng: out of memory");
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        fclose(fp);
        return MS_PNG_ERR_CORRUPT;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return MS_PNG_ERR_CORRUPT;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);

    out->width = png_get_image_width(png, info);
    out->height = png_get_image_height(png, info);
    out->file_bit_depth = png_get_bit_depth(png, info);
    out->file_color_type = png_get_color_type(png, info);

    png_uint_32 px = 0, py = 0;
    int unit = 0;
    if (png_get_pHYs(png, info, &px, &py, &unit) & PNG_INFO_pHYs) {
        out->has_phys = 1;
        out->phys_x = px;
        out->phys_y = py;
        out->phys_unit = unit;
    }

    png_textp texts = NULL;
    int count = 0;
    png_get_text(png, info, &texts, &count);
    for (int i = 0; text_keyword && i < count; i++) {
        if (texts[i].key == NULL || strcmp(texts[i].key, text_keyword) != 0 || texts[i].text == NULL) continue;
        size_t length = strlen(texts[i].text);
        out->has_text = 1;
        if (text && text_size) {
            size_t copy = length < text_size - 1 ? length : text_size - 1;
            memcpy(text, texts[i].text, copy);
            text[copy] = 0;
            out->text_truncated = copy < length;
        }
        break;
    }

    request_gray(png, info);
    int channels = png_get_channels(png, info);
    int depth = png_get_bit_depth(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    if (channels != 1 || (depth != 8 && depth != 16)) {
        set_message(message, message_size, "after conversion to gray the image has %d channels of %d bits; "
                    "expected 1 channel of 8 or 16 bits", channels, depth);
        return MS_PNG_ERR_UNSUPPORTED;
    }
    out->output_bit_depth = depth;
    return MS_PNG_OK;
}

int ms_png_read_pixels(const char *path, void *pixels, size_t pixels_size, uint32_t width, uint32_t height,
                       int bit_depth, char *message, size_t message_size) {
    FILE *fp = NULL;
    int rc = open_png(path, &fp, message, message_size);
    if (rc != MS_PNG_OK) return rc;

    ms_png_context ctx = {message, message_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    // volatile: modified after setjmp and read on the longjmp path.
    png_bytep *volatile rows = NULL;
    if (!png || !info) {
        set_message(message, message_size, "libpng: out of memory");
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        fclose(fp);
        return MS_PNG_ERR_CORRUPT;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return MS_PNG_ERR_CORRUPT;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    request_gray(png, info);

    size_t bytes_per_sample = (size_t)bit_depth / 8;
    size_t row_bytes = (size_t)width * bytes_per_sample;
    if (png_get_image_width(png, info) != width || png_get_image_height(png, info) != height ||
        png_get_bit_depth(png, info) != bit_depth || png_get_channels(png, info) != 1 ||
        png_get_rowbytes(png, info) != row_bytes || (size_t)height > pixels_size / (row_bytes ? row_bytes : 1)) {
        set_message(message, message_size, "the file changed while it was read, or the pixel buffer is too small");
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return MS_PNG_ERR_ARGUMENT;
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) {
        set_message(message, message_size, "out of memory for %u row pointers", height);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return MS_PNG_ERR_CORRUPT;
    }
    for (uint32_t r = 0; r < height; r++) rows[r] = (png_bytep)pixels + (size_t)r * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    return MS_PNG_OK;
}

int ms_png_write_gray(const char *path, const void *pixels, uint32_t width, uint32_t height, int bit_depth,
                      const char *text_keyword, const char *text_value, uint32_t pixels_per_metre_x,
                      uint32_t pixels_per_metre_y, char *message, size_t message_size) {
    if ((bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0) {
        set_message(message, message_size, "cannot write a %ux%u PNG of %d bits", width, height, bit_depth);
        return MS_PNG_ERR_ARGUMENT;
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        set_message(message, message_size, "cannot create: %s", strerror(errno));
        return MS_PNG_ERR_WRITE;
    }
    ms_png_context ctx = {message, message_size};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info) {
        set_message(message, message_size, "libpng: out of memory");
        png_destroy_write_struct(png ? &png : NULL, NULL);
        fclose(fp);
        return MS_PNG_ERR_WRITE;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return MS_PNG_ERR_WRITE;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (pixels_per_metre_x > 0 && pixels_per_metre_y > 0)
        png_set_pHYs(png, info, pixels_per_metre_x, pixels_per_metre_y, PNG_RESOLUTION_METER);
    if (text_keyword && text_value) {
        png_text text;
        memset(&text, 0, sizeof(text));
        text.compression = PNG_TEXT_COMPRESSION_NONE;
        text.key = (png_charp)text_keyword;
        text.text = (png_charp)text_value;
        text.text_length = strlen(text_value);
        png_set_text(png, info, &text, 1);
    }
    png_write_info(png, info);
    if (bit_depth == 16 && host_is_little_endian()) png_set_swap(png);
    size_t row_bytes = (size_t)width * (size_t)(bit_depth / 8);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) png_error(png, "out of memory for row pointers");
    for (uint32_t r = 0; r < height; r++) rows[r] = (png_bytep)pixels + (size_t)r * row_bytes;
    png_write_image(png, rows);
    png_write_end(png, info);
    free(rows);
    rows = NULL;
    png_destroy_write_struct(&png, &info);
    if (fflush(fp) != 0 || ferror(fp)) {
        set_message(message, message_size, "write failed: %s", strerror(errno));
        fclose(fp);
        return MS_PNG_ERR_WRITE;
    }
    if (fclose(fp) != 0) {
        set_message(message, message_size, "write failed: %s", strerror(errno));
        return MS_PNG_ERR_WRITE;
    }
    return MS_PNG_OK;
}
