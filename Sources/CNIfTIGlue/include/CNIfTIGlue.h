// C glue over libnifti2 (nifti2_io). Its public header uses only plain C types, so Swift never needs the
// NIfTI headers (which require /usr/include/nifti on the include path). Functions that can fail return an
// MS_NIFTI_* code and fill a caller-provided message buffer.
#ifndef MEDSYNTH_CNIFTIGLUE_H
#define MEDSYNTH_CNIFTIGLUE_H
#include <stddef.h>
#include <stdint.h>

/// NIfTI version of the single file at `path` from its header: 1 or 2, or -1 when it is not a NIfTI-1/-2
/// header (or cannot be read).
int ms_nifti_file_version(const char *path);

/// Result codes of the ms_nifti_* functions (0 is success).
enum {
    MS_NIFTI_OK = 0,
    /// The file could not be opened or read.
    MS_NIFTI_ERR_OPEN = 1,
    /// The file does not hold a NIfTI-1 or NIfTI-2 header.
    MS_NIFTI_ERR_NOT_NIFTI = 2,
    /// The header is inconsistent or the data is truncated or damaged.
    MS_NIFTI_ERR_CORRUPT = 3,
    /// A valid file using a layout MedSynth does not read (ANALYZE, .hdr/.img pair).
    MS_NIFTI_ERR_UNSUPPORTED = 4,
    /// The output could not be written.
    MS_NIFTI_ERR_WRITE = 5,
};

/// A NIfTI header as MedSynth needs it, in native byte order.
typedef struct {
    /// 1 or 2.
    int version;
    /// dim[0] = number of dimensions, dim[1...7] extents, exactly as stored (not "repaired" by libnifti).
    int64_t dim[8];
    /// pixdim[1...3]: voxel sizes along i, j, k in `xyz_units`.
    double pixdim[8];
    /// NIfTI DT_* datatype code.
    int datatype;
    /// Bytes per voxel for `datatype` (0 for codes libnifti does not know).
    int bytes_per_voxel;
    /// Raw scaling as stored (the caller applies the "slope 0 or not finite means none" rule).
    double scl_slope;
    double scl_inter;
    /// Transform codes (0 = unset).
    int qform_code;
    int sform_code;
    /// qform and sform matrices, row-major 4x4, as libnifti computes them (qform from the quaternion).
    double qform[16];
    double sform[16];
    /// NIFTI_UNITS_* code of the spatial axes (0 unknown, 1 metre, 2 mm, 3 micron).
    int xyz_units;
    /// Byte offset of the voxel data in the (decompressed) stream.
    int64_t vox_offset;
    /// Element size to byte-swap by when the file's byte order differs from this machine's; 0 otherwise.
    int swap_size;
    /// 1 when the file is gzip-compressed (named .gz).
    int compressed;
    /// The `descrip` field, NUL-terminated.
    char descrip[81];
} ms_nifti_header;

/// Reads the header of the single-file NIfTI `path` (.nii or .nii.gz) without loading voxel data.
/// `max_data_offset`: the largest vox_offset the file can hold (its size, or a bound for gzip); a larger one is
/// reported as corrupt before libnifti reads extensions up to it.
int ms_nifti_read_header(const char *path, int64_t max_data_offset, ms_nifti_header *header, char *message,
                         size_t message_size);

/// Opens the voxel data of `path` at `offset` for sequential reads; NULL on failure (reason in `message`).
void *ms_nifti_open_data(const char *path, int compressed, int64_t offset, char *message, size_t message_size);

/// Reads up to `byte_count` bytes (a multiple of `swap_size` when that is > 1) into `buffer`, byte-swapping
/// elements of `swap_size` bytes when it is > 1. Returns the number of bytes read: fewer than asked means the
/// data ended (truncated file or damaged gzip stream).
int64_t ms_nifti_read_data(void *reader, void *buffer, int64_t byte_count, int swap_size);

/// Closes a reader from `ms_nifti_open_data`.
void ms_nifti_close_data(void *reader);

/// What `ms_nifti_write` writes: a 3D single-file NIfTI in this machine's byte order.
typedef struct {
    /// 1 or 2.
    int version;
    /// Extents along i, j, k.
    int64_t nx, ny, nz;
    /// NIfTI DT_* datatype code of `data`.
    int datatype;
    /// Voxel-to-world matrix, row-major 4x4, in mm: stored exactly as the sform and, as far as a rotation with
    /// scaling can represent it, as the qform.
    double affine[16];
    /// Code written for both the sform and the qform (1 = scanner anatomical).
    int xform_code;
    /// Text for the `descrip` field (at most 79 characters are kept).
    const char *descrip;
    /// 1 to gzip-compress.
    int compressed;
} ms_nifti_write_spec;

/// Writes `data` (`byte_count` bytes: nx*ny*nz voxels of `datatype`, i fastest) to `path`.
int ms_nifti_write(const char *path, const ms_nifti_write_spec *spec, const void *data, int64_t byte_count,
                   char *message, size_t message_size);

/// The index of the first of `count` values that is NaN or not inside the open interval (`low`, `high`), or -1
/// when all are. Checks blocks with a branch-free reduction (the loop vectorises) and rescans only a failing block.
int64_t ms_first_outside(const float *values, int64_t count, double low, double high);

/// Rounds `count` values half away from zero into `out` as integers of `bytes` bytes (1, 2 or 4), `is_signed`
/// 0 or 1. The caller has checked the range (`ms_first_outside`). Up to int32 the rounding runs in int32 lanes
/// (truncate, then ±1 where the exact fraction reaches ±0.5); uint32 in double lanes, where v ± 0.5 is exact. The
/// loops have no branch and vectorise.
void ms_round_to_integers(const float *values, int64_t count, void *out, int bytes, int is_signed);

/// A NIfTI file being written in pieces (`ms_nifti_write_begin` … `ms_nifti_write_end`).
typedef struct ms_nifti_writer ms_nifti_writer;

/// Creates `path` and writes the header for `spec`; the voxel data follows with `ms_nifti_write_data`.
int ms_nifti_write_begin(const char *path, const ms_nifti_write_spec *spec, ms_nifti_writer **writer, char *message,
                         size_t message_size);

/// Appends `byte_count` bytes of voxel data (i fastest). After a failure, later calls do nothing and
/// `ms_nifti_write_end` reports it.
int ms_nifti_write_data(ms_nifti_writer *writer, const void *data, int64_t byte_count);

/// Closes the file and frees the writer; an error when a write failed or the data does not fill the image.
int ms_nifti_write_end(ms_nifti_writer *writer, char *message, size_t message_size);

#endif
