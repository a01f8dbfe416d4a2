// C glue over GDCM (Grassroots DICOM, Debian libgdcm-dev), which is C++ only. The header uses plain C types so
// Swift never sees GDCM's headers. GDCM parses the files and decodes every transfer syntax it knows (implicit and
// explicit VR little endian, big endian, JPEG lossless, JPEG-LS, JPEG 2000, RLE); the interpretation (series,
// geometry, rescale, SUV) is MedSynth's Swift code in MedIO/DICOM. No C++ exception crosses this interface.
#ifndef MEDSYNTH_CGDCMGLUE_H
#define MEDSYNTH_CGDCMGLUE_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of the ms_dicom_* functions (0 is success).
enum {
    MS_DICOM_OK = 0,
    /// The file could not be opened.
    MS_DICOM_ERR_OPEN = 1,
    /// GDCM could not parse the file as DICOM (damaged, truncated header, or not DICOM).
    MS_DICOM_ERR_PARSE = 2,
    /// The file parses but holds no image GDCM can decode (no Pixel Data, unknown codec, damaged pixel data).
    MS_DICOM_ERR_PIXELS = 3,
    /// The caller's buffer does not have the size the decoded image has.
    MS_DICOM_ERR_SIZE = 4,
};

/// The parsed header (every element before Pixel Data) of one DICOM file.
typedef struct ms_dicom_header ms_dicom_header;

/// Parses the header of `path`, stopping before Pixel Data. Returns MS_DICOM_OK and
/// sets `*out`, or an error code with the reason in `message`.
int ms_dicom_read_header(const char *path, ms_dicom_header **out, char *message, size_t message_size);

/// Frees a header from `ms_dicom_read_header`.
void ms_dicom_free_header(ms_dicom_header *header);

/// The transfer syntax UID of the file ("" when the file has no meta header).
int ms_dicom_transfer_syntax(const ms_dicom_header *header, char *buffer, size_t buffer_size);

/// The value of the top-level element (group,element) as text, binary VRs (US, UL, FD, …) converted to decimal,
/// multiple values separated by '\\', trailing spaces and NULs removed. Returns 1 and fills `buffer`
/// (NUL-terminated, truncated to fit) when the element is present with a value, 0 when absent or empty.
int ms_dicom_get_string(const ms_dicom_header *header, uint16_t group, uint16_t element, char *buffer,
                        size_t buffer_size);

/// The value of (group,element) inside item `item` (0-based) of the top-level sequence (seq_group,seq_element),
/// for text VRs (DS, IS, TM, DA, CS, UI, LO, SH). Same return convention as `ms_dicom_get_string`.
int ms_dicom_get_sequence_string(const ms_dicom_header *header, uint16_t seq_group, uint16_t seq_element,
                                 int item, uint16_t group, uint16_t element, char *buffer, size_t buffer_size);

/// Number of items of the top-level sequence (seq_group,seq_element); 0 when absent.
int ms_dicom_sequence_count(const ms_dicom_header *header, uint16_t seq_group, uint16_t seq_element);

/// Enhanced multi-frame objects: the text value of (group,element) in the functional-group macro sequence
/// (macro_group,macro_element), e.g. PlanePositionSequence (0020,9113), for frame `frame` (0-based): looked up in
/// item `frame` of the Per-frame Functional Groups Sequence (5200,9230) first, then in the Shared Functional
/// Groups Sequence (5200,9229). Same return convention as `ms_dicom_get_string`.
int ms_dicom_get_frame_string(const ms_dicom_header *header, int frame, uint16_t macro_group,
                              uint16_t macro_element, uint16_t group, uint16_t element, char *buffer,
                              size_t buffer_size);

/// A file GDCM crashed on (assertion, segmentation fault) while a child process read it.
enum { MS_DICOM_ERR_CRASH = 5 };

/// What happened to one file (or plane) in `ms_dicom_probe_headers`, `ms_dicom_check_planes`,
/// `ms_dicom_decode_checked` or `ms_dicom_stream_plane`.
typedef struct {
    /// MS_DICOM_OK or an MS_DICOM_ERR_* code.
    int status;
    /// For MS_DICOM_ERR_CRASH: the signal that ended the child (6 = SIGABRT, 11 = SIGSEGV), or 0.
    int signal;
    /// The reason, NUL-terminated.
    char message[256];
    /// The stored element type decoded ("int16", "uint16", "uint8", "int32", …).
    char stored_type[16];
} ms_dicom_file_result;

/// Parses the header of each of `paths` (as `ms_dicom_read_header` does) in `workers` forked child processes, so
/// that a file on which GDCM crashes (Debian builds it with assertions, and a truncated header trips one) fails
/// alone instead of taking the process down. `results[n]` tells file n's fate. Files after a crashed one are
/// probed again by a new child. Returns MS_DICOM_OK, or MS_DICOM_ERR_OPEN when no child could be started.
int ms_dicom_probe_headers(const char *const *paths, int count, int workers, ms_dicom_file_result *results);

/// One plane to decode: frame `frame` of file `file` (an index into the `paths` of the call),
/// stored × slope + intercept written to plane `plane` of the output.
typedef struct {
    int file;
    int frame;
    int plane;
    double slope;
    double intercept;
} ms_dicom_plane_job;

/// The dry run before an in-process decode (enhanced multi-frame files, whose one file holds many planes): every
/// file is decoded by `workers` forked child processes (GDCM's ImageReader: every transfer syntax it decodes), so
/// that a crash inside GDCM or its codecs fails the file, not the process; native pixel data shorter than the
/// header declares is an error there (GDCM would pad it). Nothing is kept. `results[f]` tells file f's fate.
int ms_dicom_check_planes(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int job_count,
                          int rows, int columns, int workers, ms_dicom_file_result *results);

/// After `ms_dicom_check_planes` passed: decodes in-process, in `workers` threads, the files that have jobs, into
/// `out` (float, `plane_count` planes of `rows` × `columns`, column fastest). Returns MS_DICOM_OK when every file
/// decoded, else a failing file's code (and `out` is then incomplete).
int ms_dicom_decode_checked(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int job_count,
                            int rows, int columns, float *out, int plane_count, int workers,
                            ms_dicom_file_result *results);

/// A series decoded plane by plane in child processes, into a ring of shared memory the caller reads in order:
/// nothing of the pixel data is decoded in the calling process (a crash or hang inside GDCM fails the file, as in
/// the dry run), each file is read once, and memory stays at `window` planes.
typedef struct ms_dicom_stream ms_dicom_stream;

/// Starts decoding `plane_count` planes: job k (jobs[k].plane == k) is frame jobs[k].frame of file
/// paths[jobs[k].file], stored × slope + intercept as float, `rows` × `columns` (column fastest). `workers` children
/// decode planes k = w, w + W, … in order, at most `window` planes ahead of what the caller released. Paths and
/// jobs are copied. Returns MS_DICOM_OK and sets `*out`, or an error with the reason in `message`.
int ms_dicom_stream_begin(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int plane_count,
                          int rows, int columns, int window, int workers, ms_dicom_stream **out, char *message,
                          size_t message_size);

/// Waits for plane `plane`; MS_DICOM_OK with `*pixels` pointing at its rows × columns floats (the caller may change
/// them until it releases the plane), or its file's failure in `result` (and `*pixels` null).
int ms_dicom_stream_plane(ms_dicom_stream *stream, int plane, float **pixels, ms_dicom_file_result *result);

/// The caller is done with every plane below `next`: their ring slots may be reused.
void ms_dicom_stream_release(ms_dicom_stream *stream, int next);

/// Stops the children (those still running are killed) and frees the stream.
void ms_dicom_stream_end(ms_dicom_stream *stream);

#ifdef __cplusplus
}
#endif
#endif
