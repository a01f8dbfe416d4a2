// GDCM glue: see include/CGDCMGlue.h. Every entry point catches C++ exceptions and reports them as error codes.
#include "CGDCMGlue.h"

#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct ms_dicom_header {
    gdcm::Reader reader;
};

namespace {

/// GDCM prints warnings and errors to stderr by default; MedSynth reports failures itself, once, naming the file.
struct SilenceTrace {
    SilenceTrace() {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    }
};
const SilenceTrace silence;

void put(char *buffer, size_t size, const std::string &text) {
    if (!buffer || size == 0) return;
    std::snprintf(buffer, size, "%s", text.c_str());
}

/// Text without trailing spaces or NULs (DICOM pads values to an even length) and leading spaces.
std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    size_t start = 0;
    while (start < s.size() && s[start] == ' ') ++start;
    return s.substr(start);
}

int fill(const std::string &value, char *buffer, size_t size) {
    std::string t = trimmed(value);
    if (t.empty()) return 0;
    put(buffer, size, t);
    return 1;
}

/// The raw bytes of a text-VR element of `ds` as a string; empty when absent or without a value.
std::string rawText(const gdcm::DataSet &ds, const gdcm::Tag &tag) {
    if (!ds.FindDataElement(tag)) return std::string();
    const gdcm::DataElement &de = ds.GetDataElement(tag);
    const gdcm::ByteValue *bv = de.GetByteValue();
    if (!bv || !bv->GetPointer()) return std::string();
    return std::string(bv->GetPointer(), static_cast<uint32_t>(bv->GetLength()));
}

/// Item `item` (0-based) of sequence `tag` in `ds`, or null.
const gdcm::DataSet *sequenceItem(const gdcm::DataSet &ds, const gdcm::Tag &tag, int item) {
    if (item < 0 || !ds.FindDataElement(tag)) return nullptr;
    const gdcm::DataElement &de = ds.GetDataElement(tag);
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq = de.GetValueAsSQ();
    if (!sq || static_cast<gdcm::SequenceOfItems::SizeType>(item) >= sq->GetNumberOfItems()) return nullptr;
    return &sq->GetItem(static_cast<gdcm::SequenceOfItems::SizeType>(item) + 1).GetNestedDataSet();
}

bool fileOpens(const char *path, char *message, size_t message_size) {
    std::ifstream probe(path, std::ios::binary);
    if (!probe.good()) {
        put(message, message_size, "cannot open the file for reading");
        return false;
    }
    return true;
}

/// Anonymous shared memory: written by forked children, read by the parent.
class Shared {
public:
    explicit Shared(size_t bytes) : size_(bytes) {
        void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        data_ = p == MAP_FAILED ? nullptr : p;
    }
    ~Shared() {
        if (data_) munmap(data_, size_);
    }
    Shared(const Shared &) = delete;
    Shared &operator=(const Shared &) = delete;
    bool ok() const { return data_ != nullptr; }
    void *data() const { return data_; }

private:
    void *data_ = nullptr;
    size_t size_;
};

/// Seconds a child may spend on one file: MEDSYNTH_DICOM_FILE_TIMEOUT_S, default 120.
double fileTimeoutSeconds() {
    const char *text = std::getenv("MEDSYNTH_DICOM_FILE_TIMEOUT_S");
    if (text) {
        char *end = nullptr;
        const double v = std::strtod(text, &end);
        if (end != text && v > 0) return v;
    }
    return 120;
}

/// Runs `work(n, result)` for n in [0, count) in up to `workers` forked children (child w takes w, w+W, …), each
/// calling `prepare()` first (`describe(n)` names item n: its path). A child that stays on one item longer than
/// `fileTimeoutSeconds()` is killed and the item fails (a hang, like a crash, fails the file). A
/// child that dies (signal, or any exit status but 0) fails the item it was working on with MS_DICOM_ERR_CRASH, and
/// a new child continues with the next item of its share. Children write only to shared memory and never return
/// into the caller's code: they end with _exit. Their stderr goes to /dev/null (GDCM's assertion messages).
template <class Work, class Prepare, class Describe>
int runIsolated(int count, int workers, ms_dicom_file_result *results, Work work, Prepare prepare, Describe describe) {
    if (count <= 0) return MS_DICOM_OK;
    workers = std::max(1, std::min(workers, count));
    Shared resultsShared(sizeof(ms_dicom_file_result) * static_cast<size_t>(count));
    Shared progressShared(sizeof(int) * static_cast<size_t>(workers));
    if (!resultsShared.ok() || !progressShared.ok()) {
        for (int n = 0; n < count; ++n) {
            results[n].status = MS_DICOM_ERR_OPEN;
            put(results[n].message, sizeof(results[n].message), "cannot map shared memory for a child process");
        }
        return MS_DICOM_ERR_OPEN;
    }
    auto *shared = static_cast<ms_dicom_file_result *>(resultsShared.data());
    auto *current = static_cast<int *>(progressShared.data());
    for (int n = 0; n < count; ++n) {
        shared[n] = ms_dicom_file_result();
        shared[n].status = -1;  // not reached
    }
    std::vector<pid_t> pids(static_cast<size_t>(workers), -1);
    auto start = [&](int w, int from) -> bool {
        current[w] = -1;
        std::fflush(nullptr);
        pid_t pid = fork();
        if (pid < 0) return false;
        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0) {
                dup2(devnull, 2);
                close(devnull);
            }
            prepare();
            const char *hang = std::getenv("MEDSYNTH_FAULT_DICOM_HANG");  // tests: a file that never finishes
            for (int n = from; n < count; n += workers) {
                current[w] = n;
                if (hang && *hang && std::strstr(describe(n), hang)) {
                    for (;;) pause();
                }
                try {
                    work(n, shared[n]);
                } catch (const std::exception &e) {
                    shared[n].status = MS_DICOM_ERR_PIXELS;
                    put(shared[n].message, sizeof(shared[n].message), std::string("GDCM failed: ") + e.what());
                } catch (...) {
                    shared[n].status = MS_DICOM_ERR_PIXELS;
                    put(shared[n].message, sizeof(shared[n].message), "GDCM failed");
                }
            }
            current[w] = count;
            _exit(0);
        }
        pids[static_cast<size_t>(w)] = pid;
        return true;
    };
    int running = 0;
    int result = MS_DICOM_OK;
    for (int w = 0; w < workers; ++w) {
        if (start(w, w)) ++running;
    }
    // A child that stays on one file longer than the limit is killed: a hang inside GDCM fails the file too.
    const double limit = fileTimeoutSeconds();
    std::vector<int> lastItem(static_cast<size_t>(workers), -2);
    std::vector<std::chrono::steady_clock::time_point> since(static_cast<size_t>(workers), std::chrono::steady_clock::now());
    std::vector<bool> timedOut(static_cast<size_t>(workers), false);
    while (running > 0) {
        // Wait for our children only (never waitpid(-1): the process may have other children, whose exit
        // status belongs to whoever started them — Foundation's Process, for one).
        int status = 0;
        pid_t pid = 0;
        for (int k = 0; k < workers && pid == 0; ++k) {
            const pid_t child = pids[static_cast<size_t>(k)];
            if (child <= 0) continue;
            const pid_t r = waitpid(child, &status, WNOHANG);
            if (r == child) {
                pid = child;
            } else if (r < 0 && errno != EINTR) {
                pids[static_cast<size_t>(k)] = -1;  // not ours to wait for any more (cannot happen): stop counting it
                --running;
            }
        }
        if (running <= 0) break;
        if (pid == 0) {
            const auto now = std::chrono::steady_clock::now();
            for (int k = 0; k < workers; ++k) {
                const size_t kk = static_cast<size_t>(k);
                if (pids[kk] < 0) continue;
                if (current[k] != lastItem[kk]) {
                    lastItem[kk] = current[k];
                    since[kk] = now;
                } else if (!timedOut[kk] && std::chrono::duration<double>(now - since[kk]).count() > limit) {
                    timedOut[kk] = true;
                    kill(pids[kk], SIGKILL);
                }
            }
            usleep(500);
            continue;
        }
        int w = -1;
        for (int k = 0; k < workers; ++k) {
            if (pids[static_cast<size_t>(k)] == pid) w = k;
        }
        if (w < 0) continue;  // not one of ours
        pids[static_cast<size_t>(w)] = -1;
        --running;
        const bool killed = timedOut[static_cast<size_t>(w)];
        timedOut[static_cast<size_t>(w)] = false;
        lastItem[static_cast<size_t>(w)] = -2;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
        const int item = current[w];
        if (item >= 0 && item < count && shared[item].status == -1) {
            shared[item].status = MS_DICOM_ERR_CRASH;
            shared[item].signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            char seconds[32];
            std::snprintf(seconds, sizeof(seconds), "%g", limit);
            put(shared[item].message, sizeof(shared[item].message),
                killed ? std::string("GDCM did not finish reading it within ") + seconds +
                             " s (MEDSYNTH_DICOM_FILE_TIMEOUT_S): stopped; damaged DICOM?"
                : WIFSIGNALED(status)
                    ? "GDCM crashed reading it (signal " + std::to_string(WTERMSIG(status)) +
                          "): damaged or truncated DICOM"
                    : "GDCM stopped reading it (exit status " + std::to_string(WEXITSTATUS(status)) +
                          "): damaged or truncated DICOM");
        }
        if (item < 0) continue;  // died before its first item: do not loop on a child that cannot start
        const int next = item + workers;
        if (next < count && start(w, next)) ++running;
    }
    for (int n = 0; n < count; ++n) {
        results[n] = shared[n];
        if (results[n].status == -1) {
            results[n].status = MS_DICOM_ERR_OPEN;
            put(results[n].message, sizeof(results[n].message), "no child process could be started to read it");
        }
        if (results[n].status != MS_DICOM_OK && result == MS_DICOM_OK) result = results[n].status;
    }
    return result;
}

/// Decodes file `path` and writes the requested planes (stored × slope + intercept) to plane `job.plane` of `out`.
/// With `out` null it only checks that the file decodes (the dry run in a child process); `inChild` also captures
/// GDCM's warnings, which is how a truncated Pixel Data element shows (GDCM's warning stream is global, so this is
/// done only where no other thread runs).
void decodeFile(const char *path, const std::vector<const ms_dicom_plane_job *> &planes, int rows, int columns,
                float *out, bool inChild, ms_dicom_file_result &r) {
    r.status = MS_DICOM_ERR_PIXELS;
    if (!fileOpens(path, r.message, sizeof(r.message))) {
        r.status = MS_DICOM_ERR_OPEN;
        return;
    }
    std::ostringstream warnings;
    if (inChild) {
        gdcm::Trace::SetWarningStream(warnings);
        gdcm::Trace::SetWarning(true);
    }
    gdcm::ImageReader reader;
    reader.SetFileName(path);
    const bool read = reader.Read();
    if (inChild) gdcm::Trace::SetWarning(false);
    if (!read) {
        gdcm::Reader plain;
        plain.SetFileName(path);
        if (!plain.Read()) {
            r.status = MS_DICOM_ERR_PARSE;
            put(r.message, sizeof(r.message), "GDCM cannot parse it as DICOM (damaged, truncated, or not a DICOM file)");
        } else if (!plain.GetFile().GetDataSet().FindDataElement(gdcm::Tag(0x7fe0, 0x0010))) {
            put(r.message, sizeof(r.message), "holds no Pixel Data (7FE0,0010): not an image");
        } else {
            put(r.message, sizeof(r.message), "GDCM cannot decode its Pixel Data (damaged data or unsupported encoding)");
        }
        return;
    }
    const gdcm::Image &image = reader.GetImage();
    const gdcm::PixelFormat &pf = image.GetPixelFormat();
    const unsigned cols = image.GetDimension(0), rws = image.GetDimension(1);
    const unsigned frames = image.GetNumberOfDimensions() > 2 ? image.GetDimension(2) : 1;
    const unsigned samples = pf.GetSamplesPerPixel(), bits = pf.GetBitsAllocated();
    if (samples != 1) {
        const char *pi = gdcm::PhotometricInterpretation::GetPIString(image.GetPhotometricInterpretation());
        put(r.message, sizeof(r.message), "has " + std::to_string(samples) + " samples per pixel (" + (pi ? pi : "?") +
                                              "); MedSynth reads greyscale images");
        return;
    }
    if (static_cast<int>(cols) != columns || static_cast<int>(rws) != rows) {
        put(r.message, sizeof(r.message), "decodes to " + std::to_string(cols) + "x" + std::to_string(rws) +
                                              " pixels, but the series is " + std::to_string(columns) + "x" +
                                              std::to_string(rows));
        return;
    }
    if (bits != 8 && bits != 16 && bits != 32) {
        put(r.message, sizeof(r.message), "BitsAllocated " + std::to_string(bits) + "; expected 8, 16 or 32");
        return;
    }
    const size_t plane = static_cast<size_t>(rows) * static_cast<size_t>(columns);
    const size_t bytes = plane * frames * (bits / 8);
    if (image.GetBufferLength() != bytes) {
        put(r.message, sizeof(r.message), "decoded image has " + std::to_string(image.GetBufferLength()) +
                                              " bytes, expected " + std::to_string(bytes));
        return;
    }
    // Pixel Data shorter than declared: GDCM tolerates it (pads the value) and says so only as a warning, which
    // the child captured below.
    if (warnings.str().find("Incomplete Pixel Data") != std::string::npos) {
        put(r.message, sizeof(r.message), "Pixel Data is cut short: the file ends before the " + std::to_string(bytes) +
                                              " bytes its header declares (truncated file)");
        return;
    }
    // Native Pixel Data whose own length is shorter than Rows × Columns × frames declare.
    const gdcm::File &file = reader.GetFile();
    const gdcm::DataSet &ds = file.GetDataSet();
    const gdcm::TransferSyntax &syntax = file.GetHeader().GetDataSetTransferSyntax();
    const gdcm::ByteValue *native = nullptr;
    if (!syntax.IsEncapsulated() && ds.FindDataElement(gdcm::Tag(0x7fe0, 0x0010))) {
        native = ds.GetDataElement(gdcm::Tag(0x7fe0, 0x0010)).GetByteValue();
        const uint64_t have = native ? static_cast<uint64_t>(static_cast<uint32_t>(native->GetLength())) : 0;
        if (have < bytes) {
            put(r.message, sizeof(r.message), "Pixel Data holds " + std::to_string(have) + " bytes but Rows x Columns x frames need " +
                                                  std::to_string(bytes) + " (inconsistent file)");
            return;
        }
    }
    // Little-endian native data is stored as the decoded buffer would be (GetBuffer copies it unchanged): it is read
    // where the reader holds it. Big endian, and every compressed syntax, is decoded by GetBuffer into `raw` (not
    // zero-filled, as a vector would be: GetBuffer writes every byte, and the length was checked above).
    const bool inPlace = native && native->GetPointer() &&
                         (syntax == gdcm::TransferSyntax::ImplicitVRLittleEndian ||
                          syntax == gdcm::TransferSyntax::ExplicitVRLittleEndian);
    std::unique_ptr<char[]> raw;
    const char *pixels = nullptr;
    if (inPlace) {
        pixels = native->GetPointer();
    } else {
        raw.reset(new (std::nothrow) char[bytes]);
        if (!raw) {
            put(r.message, sizeof(r.message), "cannot allocate " + std::to_string(bytes) + " bytes for its pixels");
            return;
        }
        if (!image.GetBuffer(raw.get())) {
            put(r.message, sizeof(r.message), "GDCM cannot decode its Pixel Data (damaged data or unsupported encoding)");
            return;
        }
        pixels = raw.get();
    }
    const bool isSigned = pf.GetPixelRepresentation() == 1;
    const unsigned stored = pf.GetBitsStored() ? pf.GetBitsStored() : bits;
    const unsigned high = pf.GetHighBit() ? pf.GetHighBit() : stored - 1;
    const unsigned shift = high + 1 >= stored ? high + 1 - stored : 0;
    for (size_t s = 0; s < planes.size(); ++s) {
        const ms_dicom_plane_job &job = *planes[s];
        if (job.frame < 0 || static_cast<unsigned>(job.frame) >= frames) {
            put(r.message, sizeof(r.message), "decodes to " + std::to_string(frames) + " frame(s), fewer than its header declares");
            return;
        }
        const size_t base = static_cast<size_t>(job.frame) * plane;
        if (!out) continue;  // dry run: decoded, nothing to store
        float *o = out + static_cast<size_t>(job.plane) * plane;
        const double slope = job.slope, intercept = job.intercept;
        // One tight loop per stored type (these vectorise); masked bits only when BitsStored < BitsAllocated.
        // Slope 1 and an integral intercept under 2^23 (CT's usual -1024) on stored values of 16 bits or fewer:
        // the sum is an integer under 2^24, exact in float, so float lanes give the double result (4x as wide).
        const bool exactInFloat = slope == 1.0 && intercept == std::nearbyint(intercept) &&
                                  std::fabs(intercept) <= 8388608.0 && bits <= 16;
        auto convert = [&](auto load) {
            if (exactInFloat) {
                const float shift = static_cast<float>(intercept);
                for (size_t n = 0; n < plane; ++n) o[n] = static_cast<float>(load(base + n)) + shift;
            } else {
                for (size_t n = 0; n < plane; ++n) o[n] = static_cast<float>(static_cast<double>(load(base + n)) * slope + intercept);
            }
        };
        // Element loads through memcpy (no aliasing assumptions); compilers turn them into plain loads.
        auto at = [pixels](auto zero, size_t n) {
            decltype(zero) v;
            std::memcpy(&v, pixels + n * sizeof(v), sizeof(v));
            return v;
        };
        if (bits == 8) {
            if (isSigned) convert([&](size_t n) { return at(int8_t(0), n); });
            else convert([&](size_t n) { return at(uint8_t(0), n); });
        } else if (bits == 16 && stored == 16) {
            if (isSigned) convert([&](size_t n) { return at(int16_t(0), n); });
            else convert([&](size_t n) { return at(uint16_t(0), n); });
        } else if (bits == 16) {
            const unsigned mask = (1u << stored) - 1, sign = 1u << (stored - 1);
            convert([&](size_t n) {
                const unsigned u = (static_cast<unsigned>(at(uint16_t(0), n)) >> shift) & mask;
                return isSigned && (u & sign) ? static_cast<int32_t>(u) - static_cast<int32_t>(mask + 1) : static_cast<int32_t>(u);
            });
        } else {
            if (isSigned) convert([&](size_t n) { return at(int32_t(0), n); });
            else convert([&](size_t n) { return at(uint32_t(0), n); });
        }
    }
    const unsigned width = stored <= 8 ? 8 : stored <= 16 ? 16 : 32;
    put(r.stored_type, sizeof(r.stored_type), std::string(isSigned ? "int" : "uint") + std::to_string(width));
    r.status = MS_DICOM_OK;
}

} // namespace

extern "C" {

int ms_dicom_read_header(const char *path, ms_dicom_header **out, char *message, size_t message_size) {
    *out = nullptr;
    try {
        if (!fileOpens(path, message, message_size)) return MS_DICOM_ERR_OPEN;
        ms_dicom_header *h = new ms_dicom_header();
        h->reader.SetFileName(path);
        if (!h->reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010))) {
            delete h;
            put(message, message_size, "GDCM cannot parse it as DICOM (damaged, truncated, or not a DICOM file)");
            return MS_DICOM_ERR_PARSE;
        }
        *out = h;
        return MS_DICOM_OK;
    } catch (const std::exception &e) {
        put(message, message_size, std::string("GDCM failed while parsing it: ") + e.what());
    } catch (...) {
        put(message, message_size, "GDCM failed while parsing it");
    }
    return MS_DICOM_ERR_PARSE;
}

void ms_dicom_free_header(ms_dicom_header *header) { delete header; }

int ms_dicom_transfer_syntax(const ms_dicom_header *header, char *buffer, size_t buffer_size) {
    try {
        const gdcm::FileMetaInformation &meta = header->reader.GetFile().GetHeader();
        std::string uid = rawText(meta, gdcm::Tag(0x0002, 0x0010));
        return fill(uid, buffer, buffer_size);
    } catch (...) {
        return 0;
    }
}

int ms_dicom_get_string(const ms_dicom_header *header, uint16_t group, uint16_t element, char *buffer,
                        size_t buffer_size) {
    try {
        const gdcm::File &file = header->reader.GetFile();
        const gdcm::Tag tag(group, element);
        if (!file.GetDataSet().FindDataElement(tag)) return 0;
        if (file.GetDataSet().GetDataElement(tag).IsEmpty()) return 0;
        gdcm::StringFilter filter;
        filter.SetFile(file);
        return fill(filter.ToString(tag), buffer, buffer_size);
    } catch (...) {
        return 0;
    }
}

int ms_dicom_sequence_count(const ms_dicom_header *header, uint16_t seq_group, uint16_t seq_element) {
    try {
        const gdcm::DataSet &ds = header->reader.GetFile().GetDataSet();
        const gdcm::Tag tag(seq_group, seq_element);
        if (!ds.FindDataElement(tag)) return 0;
        gdcm::SmartPointer<gdcm::SequenceOfItems> sq = ds.GetDataElement(tag).GetValueAsSQ();
        return sq ? static_cast<int>(sq->GetNumberOfItems()) : 0;
    } catch (...) {
        return 0;
    }
}

int ms_dicom_get_sequence_string(const ms_dicom_header *header, uint16_t seq_group, uint16_t seq_element,
                                 int item, uint16_t group, uint16_t element, char *buffer, size_t buffer_size) {
    try {
        const gdcm::DataSet &ds = header->reader.GetFile().GetDataSet();
        const gdcm::DataSet *nested = sequenceItem(ds, gdcm::Tag(seq_group, seq_element), item);
        if (!nested) return 0;
        return fill(rawText(*nested, gdcm::Tag(group, element)), buffer, buffer_size);
    } catch (...) {
        return 0;
    }
}

int ms_dicom_get_frame_string(const ms_dicom_header *header, int frame, uint16_t macro_group,
                              uint16_t macro_element, uint16_t group, uint16_t element, char *buffer,
                              size_t buffer_size) {
    try {
        const gdcm::DataSet &ds = header->reader.GetFile().GetDataSet();
        const gdcm::Tag macro(macro_group, macro_element), tag(group, element);
        // Per-frame first: a frame's own value overrides the shared one.
        if (const gdcm::DataSet *perFrame = sequenceItem(ds, gdcm::Tag(0x5200, 0x9230), frame)) {
            if (const gdcm::DataSet *m = sequenceItem(*perFrame, macro, 0)) {
                if (fill(rawText(*m, tag), buffer, buffer_size)) return 1;
            }
        }
        if (const gdcm::DataSet *shared = sequenceItem(ds, gdcm::Tag(0x5200, 0x9229), 0)) {
            if (const gdcm::DataSet *m = sequenceItem(*shared, macro, 0)) {
                if (fill(rawText(*m, tag), buffer, buffer_size)) return 1;
            }
        }
        return 0;
    } catch (...) {
        return 0;
    }
}

int ms_dicom_probe_headers(const char *const *paths, int count, int workers, ms_dicom_file_result *results) {
    return runIsolated(count, workers, results, [&](int n, ms_dicom_file_result &r) {
        gdcm::Reader reader;
        reader.SetFileName(paths[n]);
        if (!fileOpens(paths[n], r.message, sizeof(r.message))) {
            r.status = MS_DICOM_ERR_OPEN;
        } else if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010))) {
            r.status = MS_DICOM_ERR_PARSE;
            put(r.message, sizeof(r.message), "GDCM cannot parse it as DICOM (damaged, truncated, or not a DICOM file)");
        } else {
            r.status = MS_DICOM_OK;
        }
    }, [] {}, [&](int n) { return paths[n]; });
}

namespace {
/// The jobs of each file (jobs with a file or plane out of range are ignored).
std::vector<std::vector<const ms_dicom_plane_job *>> jobsByFile(int file_count, const ms_dicom_plane_job *jobs,
                                                                int job_count, int plane_count) {
    std::vector<std::vector<const ms_dicom_plane_job *>> byFile(static_cast<size_t>(std::max(0, file_count)));
    for (int j = 0; j < job_count; ++j) {
        if (jobs[j].file < 0 || jobs[j].file >= file_count || jobs[j].plane < 0 || jobs[j].plane >= plane_count) continue;
        byFile[static_cast<size_t>(jobs[j].file)].push_back(&jobs[j]);
    }
    return byFile;
}
} // namespace

int ms_dicom_check_planes(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int job_count,
                          int rows, int columns, int workers, ms_dicom_file_result *results) {
    const auto byFile = jobsByFile(file_count, jobs, job_count, INT32_MAX);
    return runIsolated(file_count, workers, results, [&](int f, ms_dicom_file_result &r) {
        decodeFile(paths[f], byFile[static_cast<size_t>(f)], rows, columns, nullptr, true, r);
    }, [] {
        // Keep freed blocks in the heap: GDCM allocates each file's pixel data afresh (half a megabyte and more),
        // which glibc would otherwise map and unmap per file, faulting every page in again.
        mallopt(M_MMAP_THRESHOLD, 256 << 20);
        mallopt(M_TRIM_THRESHOLD, 512 << 20);
    }, [&](int f) { return paths[f]; });
}

int ms_dicom_decode_checked(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int job_count,
                            int rows, int columns, float *out, int plane_count, int workers,
                            ms_dicom_file_result *results) {
    const auto byFile = jobsByFile(file_count, jobs, job_count, plane_count);
    std::vector<int> active;
    for (int f = 0; f < file_count; ++f) {
        if (!byFile[static_cast<size_t>(f)].empty()) active.push_back(f);
    }
    const int count = static_cast<int>(active.size());
    const int threads = std::max(1, std::min(workers, count));
    std::vector<int> codes(static_cast<size_t>(threads), MS_DICOM_OK);
    auto worker = [&](int t) {
        for (int n = t; n < count; n += threads) {
            const int f = active[static_cast<size_t>(n)];
            ms_dicom_file_result r = ms_dicom_file_result();
            try {
                decodeFile(paths[f], byFile[static_cast<size_t>(f)], rows, columns, out, false, r);
            } catch (...) {
                r.status = MS_DICOM_ERR_PIXELS;
                put(r.message, sizeof(r.message), "GDCM failed while decoding it");
            }
            results[f] = r;
            if (r.status != MS_DICOM_OK) codes[static_cast<size_t>(t)] = r.status;
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker, t);
    worker(0);
    for (auto &th : pool) th.join();
    for (int code : codes) {
        if (code != MS_DICOM_OK) return code;
    }
    return MS_DICOM_OK;
}

int ms_dicom_decode_planes(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int job_count,
                           int rows, int columns, float *out, int plane_count, int workers, ms_dicom_file_result *results) {
    int status = ms_dicom_check_planes(paths, file_count, jobs, job_count, rows, columns, workers, results);
    if (status != MS_DICOM_OK) return status;
    return ms_dicom_decode_checked(paths, file_count, jobs, job_count, rows, columns, out, plane_count, workers, results);
}

} // extern "C"
