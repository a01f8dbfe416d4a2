#include "CNIfTIGlue.h"
#include <nifti2_io.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_message(char *message, size_t size, const char *format, ...) {
    if (message == NULL || size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(message, size, format, args);
    va_end(args);
}

// Reads the raw header (libnifti does not check or swap it with check = 0) and brings it to native order.
// Returns the header (free() it) and sets *version, or NULL.
static void *read_native_header(const char *path, int *version) {
    int nver = 0;
    void *raw = nifti_read_header(path, &nver, 0);
    if (!raw) return NULL;
    if (nver == 1) {
        nifti_1_header *h = (nifti_1_header *)raw;
        if (h->sizeof_hdr != 348) swap_nifti_header(h, 1);
        if (h->sizeof_hdr != 348) { free(raw); return NULL; }
    } else if (nver == 2) {
        nifti_2_header *h = (nifti_2_header *)raw;
        if (h->sizeof_hdr != 540) swap_nifti_header(h, 2);
        if (h->sizeof_hdr != 540) { free(raw); return NULL; }
    } else {
        free(raw);
        return NULL;
    }
    *version = nver;
    return raw;
}

static int has_magic(const void *raw, int version) {
    if (version == 1) {
        const char *m = ((const nifti_1_header *)raw)->magic;
        return m[0] == 'n' && (m[1] == '+' || m[1] == 'i') && m[2] == '1';
    }
    const char *m = ((const nifti_2_header *)raw)->magic;
    return m[0] == 'n' && (m[1] == '+' || m[1] == 'i') && m[2] == '2';
}

static int is_single_file(const void *raw, int version) {
    return version == 1 ? ((const nifti_1_header *)raw)->magic[1] == '+'
                        : ((const nifti_2_header *)raw)->magic[1] == '+';
}

int ms_nifti_file_version(const char *path) {
    nifti_set_debug_level(0);
    int version = 0;
    void *raw = read_native_header(path, &version);
    if (!raw) return -1;
    int ok = has_magic(raw, version);
    free(raw);
    return ok ? version : -1;
}

static void copy_matrix(double *out, nifti_dmat44 m) {
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) out[r * 4 + c] = m.m[r][c];
}

int ms_nifti_read_header(const char *path, int64_t max_data_offset, ms_nifti_header *out, char *message,
                         size_t message_size) {
    memset(out, 0, sizeof(*out));
    nifti_set_debug_level(0);
    int version = 0;
    void *raw = read_native_header(path, &version);
    if (!raw) {
        set_message(message, message_size, "not a NIfTI file: no NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header");
        return MS_NIFTI_ERR_NOT_NIFTI;
    }
    if (!has_magic(raw, version)) {
        set_message(message, message_size, "the header has no NIfTI magic ('n+1' or 'n+2'): an ANALYZE 7.5 "
                    "file, which MedSynth does not read");
        free(raw);
        return MS_NIFTI_ERR_UNSUPPORTED;
    }
    if (!is_single_file(raw, version)) {
        set_message(message, message_size, "the header says the voxels are in a separate .img file "
                    "(magic 'ni%d'); MedSynth reads single-file .nii / .nii.gz", version);
        free(raw);
        return MS_NIFTI_ERR_UNSUPPORTED;
    }
    int64_t raw_offset;
    if (version == 1) {
        nifti_1_header *h = (nifti_1_header *)raw;
        for (int i = 0; i < 8; i++) out->dim[i] = h->dim[i];
        double v = h->vox_offset;
        raw_offset = (v == v && v >= 0 && v < 9.0e18) ? (int64_t)v : -1;
    } else {
        nifti_2_header *h = (nifti_2_header *)raw;
        for (int i = 0; i < 8; i++) out->dim[i] = h->dim[i];
        raw_offset = h->vox_offset;
    }
    free(raw);
    if (raw_offset < 0 || raw_offset > max_data_offset) {
        set_message(message, message_size, "header gives vox_offset %lld, outside the file (at most %lld)",
                    (long long)raw_offset, (long long)max_data_offset);
        return MS_NIFTI_ERR_CORRUPT;
    }
    if (out->dim[0] < 1 || out->dim[0] > 7) {
        set_message(message, message_size, "header gives dim[0] = %lld dimensions; expected 1 to 7",
                    (long long)out->dim[0]);
        return MS_NIFTI_ERR_CORRUPT;
    }
    // Extents past dim[0] are unused; libnifti treats them as 1.
    for (int64_t i = out->dim[0] + 1; i < 8; i++) out->dim[i] = 1;

    nifti_image *nim = nifti_image_read(path, 0);
    if (!nim) {
        set_message(message, message_size, "libnifti rejected the header (dim = [%lld, %lld, %lld, %lld, ...])",
                    (long long)out->dim[0], (long long)out->dim[1], (long long)out->dim[2],
                    (long long)out->dim[3]);
        return MS_NIFTI_ERR_CORRUPT;
    }
    out->version = version;
    for (int i = 0; i < 8; i++) out->pixdim[i] = nim->pixdim[i];
    out->datatype = nim->datatype;
    out->bytes_per_voxel = nim->nbyper;
    out->scl_slope = nim->scl_slope;
    out->scl_inter = nim->scl_inter;
    out->qform_code = nim->qform_code;
    out->sform_code = nim->sform_code;
    copy_matrix(out->qform, nim->qto_xyz);
    copy_matrix(out->sform, nim->sto_xyz);
    out->xyz_units = nim->xyz_units;
    out->vox_offset = nim->iname_offset;
    out->swap_size = (nim->byteorder != nifti_short_order() && nim->swapsize > 1) ? nim->swapsize : 0;
    out->compressed = nifti_is_gzfile(nim->iname) ? 1 : 0;
    memcpy(out->descrip, nim->descrip, 80);
    out->descrip[80] = 0;
    nifti_image_free(nim);
    return MS_NIFTI_OK;
}

void *ms_nifti_open_data(const char *path, int compressed, int64_t offset, char *message, size_t message_size) {
    znzFile fp = znzopen(path, "rb", compressed);
    if (znz_isnull(fp)) {
        set_message(message, message_size, "cannot open the voxel data");
        return NULL;
    }
    if (offset > 0 && znzseek(fp, (znz_off_t)offset, SEEK_SET) < 0) {
        set_message(message, message_size, "cannot seek to the voxel data at byte %lld", (long long)offset);
        znzclose(fp);
        return NULL;
    }
    return fp;
}

int64_t ms_nifti_read_data(void *reader, void *buffer, int64_t byte_count, int swap_size) {
    if (!reader || byte_count <= 0) return 0;
    size_t n = znzread(buffer, 1, (size_t)byte_count, (znzFile)reader);
    if (swap_size > 1) nifti_swap_Nbytes((int64_t)(n / (size_t)swap_size), swap_size, buffer);
    return (int64_t)n;
}

void ms_nifti_close_data(void *reader) {
    if (!reader) return;
    znzFile fp = (znzFile)reader;
    znzclose(fp);
}

struct ms_nifti_writer {
    znzFile fp;
    int64_t expected;
    int64_t done;
    int ok;
};

int ms_nifti_write_begin(const char *path, const ms_nifti_write_spec *spec, ms_nifti_writer **out, char *message,
                         size_t message_size) {
    *out = NULL;
    nifti_set_debug_level(0);
    if (spec->version != 1 && spec->version != 2) {
        set_message(message, message_size, "NIfTI version %d; expected 1 or 2", spec->version);
        return MS_NIFTI_ERR_WRITE;
    }
    int64_t dims[8] = {3, spec->nx, spec->ny, spec->nz, 1, 1, 1, 1};
    nifti_image *nim = nifti_make_new_nim(dims, spec->datatype, 0);
    if (!nim) {
        set_message(message, message_size, "libnifti cannot make a %lldx%lldx%lld image of datatype %d",
                    (long long)spec->nx, (long long)spec->ny, (long long)spec->nz, spec->datatype);
        return MS_NIFTI_ERR_WRITE;
    }
    const int64_t expected = (int64_t)nim->nbyper * nim->nvox;
    nifti_dmat44 m;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) m.m[r][c] = spec->affine[r * 4 + c];
    double qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
    nifti_dmat44_to_quatern(m, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
    nim->quatern_b = qb; nim->quatern_c = qc; nim->quatern_d = qd;
    nim->qoffset_x = qx; nim->qoffset_y = qy; nim->qoffset_z = qz;
    nim->qfac = qfac;
    nim->qform_code = spec->xform_code;
    nim->qto_xyz = nifti_quatern_to_dmat44(qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac);
    nim->sform_code = spec->xform_code;
    nim->sto_xyz = m;
    nim->dx = nim->pixdim[1] = dx;
    nim->dy = nim->pixdim[2] = dy;
    nim->dz = nim->pixdim[3] = dz;
    nim->xyz_units = NIFTI_UNITS_MM;
    nim->time_units = NIFTI_UNITS_UNKNOWN;
    nim->scl_slope = 1.0;
    nim->scl_inter = 0.0;
    memset(nim->descrip, 0, sizeof(nim->descrip));
    if (spec->descrip) strncpy(nim->descrip, spec->descrip, sizeof(nim->descrip) - 1);

    int64_t header_size = spec->version == 1 ? 348 : 540;
    int64_t vox_offset = header_size + 4;  // the 4-byte extension flag follows the header
    nim->nifti_type = spec->version == 1 ? NIFTI_FTYPE_NIFTI1_1 : NIFTI_FTYPE_NIFTI2_1;
    nim->iname_offset = vox_offset;

    nifti_1_header h1;
    nifti_2_header h2;
    const void *header;
    if (spec->version == 1) {
        if (nifti_convert_nim2n1hdr(nim, &h1) != 0) {
            set_message(message, message_size, "libnifti cannot express the image as a NIfTI-1 header");
            nifti_image_free(nim);
            return MS_NIFTI_ERR_WRITE;
        }
        memcpy(h1.magic, "n+1\0", 4);
        h1.vox_offset = (float)vox_offset;
        header = &h1;
    } else {
        if (nifti_convert_nim2n2hdr(nim, &h2) != 0) {
            set_message(message, message_size, "libnifti cannot express the image as a NIfTI-2 header");
            nifti_image_free(nim);
            return MS_NIFTI_ERR_WRITE;
        }
        memcpy(h2.magic, "n+2\0\r\n\032\n", 8);
        h2.vox_offset = vox_offset;
        header = &h2;
    }
    nifti_image_free(nim);

    znzFile fp = znzopen(path, "wb", spec->compressed);
    if (znz_isnull(fp)) {
        set_message(message, message_size, "cannot create the file");
        return MS_NIFTI_ERR_WRITE;
    }
    const char extension_flag[4] = {0, 0, 0, 0};
    if (znzwrite(header, 1, (size_t)header_size, fp) != (size_t)header_size || znzwrite(extension_flag, 1, 4, fp) != 4) {
        Xznzclose(&fp);
        set_message(message, message_size, "cannot write the header");
        return MS_NIFTI_ERR_WRITE;
    }
    ms_nifti_writer *w = (ms_nifti_writer *)calloc(1, sizeof(ms_nifti_writer));
    if (!w) {
        Xznzclose(&fp);
        set_message(message, message_size, "out of memory");
        return MS_NIFTI_ERR_WRITE;
    }
    w->fp = fp;
    w->expected = expected;
    w->ok = 1;
    *out = w;
    return MS_NIFTI_OK;
}

int ms_nifti_write_data(ms_nifti_writer *w, const void *data, int64_t byte_count) {
    // In pieces: znzwrite passes a size_t to gzwrite, which takes an unsigned int.
    const char *bytes = (const char *)data;
    int64_t done = 0;
    while (w->ok && done < byte_count) {
        int64_t piece = byte_count - done;
        if (piece > (1 << 26)) piece = 1 << 26;
        w->ok = znzwrite(bytes + done, 1, (size_t)piece, w->fp) == (size_t)piece;
        if (w->ok) done += piece;
    }
    w->done += done;
    return w->ok ? MS_NIFTI_OK : MS_NIFTI_ERR_WRITE;
}

int ms_nifti_write_end(ms_nifti_writer *w, char *message, size_t message_size) {
    int closed = Xznzclose(&w->fp);
    int rc = MS_NIFTI_OK;
    if (!w->ok || closed != 0) {
        set_message(message, message_size, "write failed after %lld of %lld data bytes", (long long)w->done,
                    (long long)w->expected);
        rc = MS_NIFTI_ERR_WRITE;
    } else if (w->done != w->expected) {
        set_message(message, message_size, "%lld data bytes written for an image of %lld", (long long)w->done,
                    (long long)w->expected);
        rc = MS_NIFTI_ERR_WRITE;
    }
    free(w);
    return rc;
}

int ms_nifti_write(const char *path, const ms_nifti_write_spec *spec, const void *data, int64_t byte_count,
                   char *message, size_t message_size) {
    ms_nifti_writer *w;
    int rc = ms_nifti_write_begin(path, spec, &w, message, message_size);
    if (rc != MS_NIFTI_OK) return rc;
    ms_nifti_write_data(w, data, byte_count);
    return ms_nifti_write_end(w, message, message_size);
}

/* The voxel loops below are compiled for AVX-512 and AVX2 as well as the x86-64 baseline (SSE2), and the loader
 * picks the widest the CPU has (an ifunc): same results, 2-4x fewer instructions per voxel. */
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define MS_VOXEL_LOOP __attribute__((target_clones("avx512bw", "avx2", "default")))
#else
#define MS_VOXEL_LOOP
#endif

/* The block test of ms_first_outside; float bounds when both are floats (every float bound of an integer type up
 * to 16 bits is: -32768.5, 65535.5, …), as comparing a float with a double equals comparing it with that double
 * rounded to float only when the double is a float. 8 floats per SSE2 step instead of 2 doubles. */
MS_VOXEL_LOOP static int block_outside_f(const float *v, int64_t n, float low, float high) {
    int outside = 0;
    for (int64_t i = 0; i < n; i++) outside |= !(v[i] > low && v[i] < high);  /* NaN compares false */
    return outside;
}

MS_VOXEL_LOOP static int block_outside_d(const float *v, int64_t n, double low, double high) {
    int outside = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = v[i];
        outside |= !(d > low && d < high);
    }
    return outside;
}

int64_t ms_first_outside(const float *values, int64_t count, double low, double high) {
    const int64_t block = 4096;
    const int exact = (double)(float)low == low && (double)(float)high == high;
    for (int64_t start = 0; start < count; start += block) {
        const int64_t end = start + block < count ? start + block : count;
        const int outside = exact ? block_outside_f(values + start, end - start, (float)low, (float)high)
                                  : block_outside_d(values + start, end - start, low, high);
        if (outside) {
            for (int64_t n = start; n < end; n++) {
                const double d = values[n];
                if (!(d > low && d < high)) return n;
            }
        }
    }
    return -1;
}

/* Round half away from zero of a float v with -2^31 <= v < 2^31, in int32 lanes (SSE2 vectorises it): t = trunc(v)
 * by conversion; v - t is exact (for |v| < 2^23 the fraction of a float is a float, above it v is an integer and
 * the difference is 0); ±1 when that fraction reaches ±0.5. */
static inline int32_t round_away_i32(float v) {
    const int32_t t = (int32_t)v;
    const float f = v - (float)t;
    return t + (f >= 0.5f) - (f <= -0.5f);
}

MS_VOXEL_LOOP void ms_round_to_integers(const float *values, int64_t count, void *out, int bytes, int is_signed) {
#define MS_ROUND32(T)                                                                    \
    do {                                                                                 \
        T *o = (T *)out;                                                                 \
        for (int64_t n = 0; n < count; n++) o[n] = (T)round_away_i32(values[n]);        \
    } while (0)
    if (bytes == 1) {
        if (is_signed) MS_ROUND32(int8_t); else MS_ROUND32(uint8_t);
    } else if (bytes == 2) {
        if (is_signed) MS_ROUND32(int16_t); else MS_ROUND32(uint16_t);
    } else if (is_signed) {
        MS_ROUND32(int32_t);
    } else {
        /* uint32 reaches 2^32: double lanes, where v ± 0.5 is exact, so truncating it rounds. */
        uint32_t *o = (uint32_t *)out;
        for (int64_t n = 0; n < count; n++) {
            const double d = values[n];
            o[n] = (uint32_t)(int64_t)(d + (d >= 0 ? 0.5 : -0.5));
        }
    }
#undef MS_ROUND32
}
