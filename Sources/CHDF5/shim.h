// Shim for Debian's serial HDF5 (pkg-config hdf5).
// HDF5 exposes its predefined types and flags as macros that expand to H5OPEN/H5CHECK expressions, which
// Swift cannot import; the static inline functions below evaluate them in C and hand Swift plain values.
#ifndef MEDSYNTH_CHDF5_SHIM_H
#define MEDSYNTH_CHDF5_SHIM_H
#include <hdf5.h>
#include <H5Epublic.h>

static inline hid_t ms_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t ms_h5s_all(void) { return H5S_ALL; }
static inline hid_t ms_h5e_default(void) { return H5E_DEFAULT; }
static inline unsigned ms_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned ms_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned ms_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned ms_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned ms_h5f_obj_all(void) { return H5F_OBJ_ALL; }
static inline hsize_t ms_h5s_unlimited(void) { return H5S_UNLIMITED; }

static inline hid_t ms_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t ms_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t ms_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t ms_h5p_dataset_xfer(void) { return H5P_DATASET_XFER; }
static inline hid_t ms_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t ms_h5p_group_create(void) { return H5P_GROUP_CREATE; }

static inline hid_t ms_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ms_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t ms_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t ms_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t ms_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t ms_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t ms_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t ms_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t ms_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ms_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t ms_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t ms_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t ms_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t ms_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t ms_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }

static inline unsigned ms_h5z_filter_deflate(void) { return H5Z_FILTER_DEFLATE; }
static inline unsigned ms_h5z_filter_shuffle(void) { return H5Z_FILTER_SHUFFLE; }

// Standard (little-endian) file types for dataset and attribute creation: files are the same on every host.
static inline hid_t ms_h5t_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t ms_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t ms_h5t_std_i16le(void) { return H5T_STD_I16LE; }
static inline hid_t ms_h5t_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t ms_h5t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t ms_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t ms_h5t_std_u64le(void) { return H5T_STD_U64LE; }

static inline unsigned ms_h5f_obj_local(void) { return H5F_OBJ_LOCAL; }
static inline unsigned ms_h5o_info_basic(void) { return H5O_INFO_BASIC; }
static inline unsigned ms_h5z_filter_fletcher32(void) { return H5Z_FILTER_FLETCHER32; }
static inline unsigned ms_h5z_filter_szip(void) { return H5Z_FILTER_SZIP; }
static inline unsigned ms_h5z_filter_nbit(void) { return H5Z_FILTER_NBIT; }
static inline unsigned ms_h5z_filter_scaleoffset(void) { return H5Z_FILTER_SCALEOFFSET; }

// Turns off HDF5's automatic printing of error stacks for the calling thread. A thread-safe HDF5 build
// (Debian's is) keeps this setting per thread, so every thread that calls HDF5 must do this once; MedIO's
// Swift side remembers which threads did. Returns a negative value on failure.
static inline herr_t ms_h5e_silence_this_thread(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
