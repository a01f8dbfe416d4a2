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
#include <sys/syscall.h>
#include <unistd.h>
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
#include <functional>
#include <memory>
#include <new>
#include <set>
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

/// Pixel Data (7FE0,0010): where a header ends.
gdcm::Tag pixelDataTag() { return gdcm::Tag(0x7fe0, 0x0010); }

/// The skip set for ReadUpToTag(Pixel Data): without it GDCM reads the Pixel Data value too (the whole image, for
/// a header).
const std::set<gdcm::Tag> &pixelDataOnly() {
    static const std::set<gdcm::Tag> skip{pixelDataTag()};
    return skip;
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

/// In a forked child: closes every descriptor above stderr. The child opens its own files; an inherited
/// descriptor would otherwise keep the parent's files open, and their locks held (HDF5's file lock, OutputLock's
/// flock), for as long as the child runs.
static void closeInheritedDescriptors() {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
    long limit = sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) limit = 65536;
    for (int fd = 3; fd < limit; ++fd) close(fd);
}

/// Items [0, count) worked on by up to `workers` forked child processes (child w takes w, w+W, …, in order), each
/// child calling `prepare()` first; `describe(n)` names item n (its path). Children write only to shared memory
/// (the items' results, and whatever `work` writes to memory the caller mapped shared) and never return into the
/// caller's code: they end with _exit. Their stderr goes to /dev/null (GDCM's assertion messages).
///
/// The parent drives the pool by polling (`poll`, from `runIsolated` or from `ms_dicom_stream_plane`). A child that
/// dies (signal, or any exit status but 0) fails the item it was working on with MS_DICOM_ERR_CRASH, and a new child
/// continues with the next item of its share; one that stays on one item longer than `fileTimeoutSeconds()` is
/// killed the same way (a hang, like a crash, fails the file). Every death fails one item, so the pool always ends.
///
/// With `window` > 0 a child starts item n only once the parent has released every item below n − window + 1
/// (`release`): the items' output is a ring of `window` slots that the parent consumes in order. Waiting for a
/// slot does not count towards the time limit. (No deadlock: the lowest unfinished item always has its slot.)
class ChildPool {
public:
    using Work = std::function<void(int, ms_dicom_file_result &)>;

    ChildPool(int count, int workers, int window, bool decodes, Work work, std::function<void()> prepare,
              std::function<const char *(int)> describe)
        : count_(count), workers_(std::max(1, std::min(workers, count))), window_(window), decodes_(decodes),
          work_(std::move(work)),
          prepare_(std::move(prepare)), describe_(std::move(describe)),
          resultsShared_(sizeof(ms_dicom_file_result) * static_cast<size_t>(std::max(count, 1))),
          stateShared_(sizeof(int) * (2 + static_cast<size_t>(std::max(count, 1)) + 2 * static_cast<size_t>(workers_))),
          pids_(static_cast<size_t>(workers_), -1), lastItem_(static_cast<size_t>(workers_), -2),
          since_(static_cast<size_t>(workers_)), timedOut_(static_cast<size_t>(workers_), false),
          limit_(fileTimeoutSeconds()) {}

    ChildPool(const ChildPool &) = delete;
    ChildPool &operator=(const ChildPool &) = delete;

    ~ChildPool() { stop(); }

    /// Maps the shared memory and starts the children. False (every item fails, `collectOne` says why) when the
    /// shared memory cannot be mapped.
    bool start() {
        if (!resultsShared_.ok() || !stateShared_.ok()) return false;
        shared_ = static_cast<ms_dicom_file_result *>(resultsShared_.data());
        int *state = static_cast<int *>(stateShared_.data());
        released_ = state;
        abort_ = state + 1;
        done_ = state + 2;
        current_ = done_ + count_;
        waiting_ = current_ + workers_;
        for (int n = 0; n < count_; ++n) {
            shared_[n] = ms_dicom_file_result();
            shared_[n].status = -1;  // not reached
        }
        for (int w = 0; w < workers_; ++w) launch(w, w);
        return true;
    }

    /// Reaps children that ended (failing the item a dead one was on, restarting its share) and kills those past
    /// the time limit. Never blocks.
    void poll() {
        const auto now = std::chrono::steady_clock::now();
        for (int w = 0; w < workers_; ++w) {
            const size_t k = static_cast<size_t>(w);
            const pid_t child = pids_[k];
            if (child <= 0) continue;
            int status = 0;
            // Our own children only (never waitpid(-1): the process may have other children, whose exit status
            // belongs to whoever started them — Foundation's Process, for one).
            const pid_t r = waitpid(child, &status, WNOHANG);
            if (r == child) {
                ended(w, status);
            } else if (r < 0 && errno != EINTR) {
                pids_[k] = -1;  // not ours to wait for any more (cannot happen): fail what it had left
                failShare(__atomic_load_n(&current_[w], __ATOMIC_ACQUIRE), "its child process was lost");
            } else {
                const int item = __atomic_load_n(&current_[w], __ATOMIC_ACQUIRE);
                const bool waits = __atomic_load_n(&waiting_[w], __ATOMIC_ACQUIRE) != 0;
                if (item != lastItem_[k] || waits) {
                    lastItem_[k] = waits ? -2 : item;
                    since_[k] = now;
                } else if (!timedOut_[k] && std::chrono::duration<double>(now - since_[k]).count() > limit_) {
                    timedOut_[k] = true;
                    kill(child, SIGKILL);
                }
            }
        }
    }

    /// Whether every child has ended.
    bool finished() const {
        return std::none_of(pids_.begin(), pids_.end(), [](pid_t p) { return p > 0; });
    }

    /// Whether item n has its result (never, when `start` failed).
    bool isDone(int n) const { return shared_ && __atomic_load_n(&done_[n], __ATOMIC_ACQUIRE) != 0; }

    /// Items below `next` are consumed: their ring slots may be reused.
    void release(int next) { __atomic_store_n(released_, next, __ATOMIC_RELEASE); }

    /// Ends the pool: children still running are stopped (SIGKILL: they write only to shared memory) and reaped.
    void stop() {
        if (!shared_) return;
        __atomic_store_n(abort_, 1, __ATOMIC_RELEASE);
        for (int w = 0; w < workers_; ++w) {
            const pid_t child = pids_[static_cast<size_t>(w)];
            if (child <= 0) continue;
            kill(child, SIGKILL);
            int status = 0;
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
            pids_[static_cast<size_t>(w)] = -1;
        }
    }

    /// Item n's result into `out`; an item never reached fails.
    void collectOne(int n, ms_dicom_file_result *out) const {
        *out = isDone(n) ? shared_[n] : ms_dicom_file_result();
        if (!isDone(n)) {
            out->status = MS_DICOM_ERR_OPEN;
            put(out->message, sizeof(out->message), shared_ ? "no child process could be started to read it"
                                                            : "cannot map shared memory for a child process");
        }
    }

    /// Every item's result into `results`. Returns MS_DICOM_OK or the first failure's code.
    int collect(ms_dicom_file_result *results) const {
        int code = MS_DICOM_OK;
        for (int n = 0; n < count_; ++n) {
            collectOne(n, &results[n]);
            if (results[n].status != MS_DICOM_OK && code == MS_DICOM_OK) code = results[n].status;
        }
        return code;
    }

private:
    /// Starts worker w's child at item `from` (its share: from, from + W, …).
    void launch(int w, int from) {
        if (from >= count_ || __atomic_load_n(abort_, __ATOMIC_ACQUIRE)) return;
        __atomic_store_n(&current_[w], from, __ATOMIC_RELEASE);
        __atomic_store_n(&waiting_[w], 1, __ATOMIC_RELEASE);  // until it starts `from`: a death before fails `from`
        std::fflush(nullptr);
        const pid_t pid = fork();
        if (pid < 0) {
            failShare(from, "no child process could be started to read it");
            return;
        }
        if (pid == 0) runChild(w, from);
        pids_[static_cast<size_t>(w)] = pid;
        lastItem_[static_cast<size_t>(w)] = -2;
        timedOut_[static_cast<size_t>(w)] = false;
    }

    [[noreturn]] void runChild(int w, int from) {
        const int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 2);
            close(devnull);
        }
        closeInheritedDescriptors();
        prepare_();
        // Tests: a file that never finishes. "NAME" hangs in every pool, "decode:NAME" only where pixels are decoded.
        const char *hang = std::getenv("MEDSYNTH_FAULT_DICOM_HANG");
        if (hang && std::strncmp(hang, "decode:", 7) == 0) hang = decodes_ ? hang + 7 : nullptr;
        for (int n = from; n < count_; n += workers_) {
            __atomic_store_n(&current_[w], n, __ATOMIC_RELEASE);
            if (window_ > 0) {
                __atomic_store_n(&waiting_[w], 1, __ATOMIC_RELEASE);
                while (n >= __atomic_load_n(released_, __ATOMIC_ACQUIRE) + window_) {
                    if (__atomic_load_n(abort_, __ATOMIC_ACQUIRE)) _exit(0);
                    usleep(50);
                }
            }
            __atomic_store_n(&waiting_[w], 0, __ATOMIC_RELEASE);
            if (__atomic_load_n(abort_, __ATOMIC_ACQUIRE)) _exit(0);
            if (hang && *hang && std::strstr(describe_(n), hang)) {
                for (;;) pause();
            }
            try {
                work_(n, shared_[n]);
            } catch (const std::exception &e) {
                shared_[n].status = MS_DICOM_ERR_PIXELS;
                put(shared_[n].message, sizeof(shared_[n].message), std::string("GDCM failed: ") + e.what());
            } catch (...) {
                shared_[n].status = MS_DICOM_ERR_PIXELS;
                put(shared_[n].message, sizeof(shared_[n].message), "GDCM failed");
            }
            __atomic_store_n(&done_[n], 1, __ATOMIC_RELEASE);
        }
        __atomic_store_n(&current_[w], count_, __ATOMIC_RELEASE);
        _exit(0);
    }

    /// Worker w's child ended with `status`.
    void ended(int w, int status) {
        const size_t k = static_cast<size_t>(w);
        pids_[k] = -1;
        const bool killed = timedOut_[k];
        timedOut_[k] = false;
        lastItem_[k] = -2;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
        const int item = __atomic_load_n(&current_[w], __ATOMIC_ACQUIRE);
        if (item < 0 || item >= count_) return;
        if (!isDone(item)) {
            ms_dicom_file_result &r = shared_[item];
            r.status = MS_DICOM_ERR_CRASH;
            r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            char seconds[32];
            std::snprintf(seconds, sizeof(seconds), "%g", limit_);
            put(r.message, sizeof(r.message),
                killed ? std::string("GDCM did not finish reading it within ") + seconds +
                             " s (MEDSYNTH_DICOM_FILE_TIMEOUT_S): stopped; damaged DICOM?"
                : WIFSIGNALED(status)
                    ? "GDCM crashed reading it (signal " + std::to_string(WTERMSIG(status)) +
                          "): damaged or truncated DICOM"
                    : "GDCM stopped reading it (exit status " + std::to_string(WEXITSTATUS(status)) +
                          "): damaged or truncated DICOM");
            __atomic_store_n(&done_[item], 1, __ATOMIC_RELEASE);
        }
        launch(w, item + workers_);
    }

    /// Fails item `from` and the rest of its share (no child to read them).
    void failShare(int from, const char *why) {
        for (int n = std::max(from, 0); n < count_; n += workers_) {
            if (isDone(n)) continue;
            shared_[n].status = MS_DICOM_ERR_OPEN;
            put(shared_[n].message, sizeof(shared_[n].message), why);
            __atomic_store_n(&done_[n], 1, __ATOMIC_RELEASE);
        }
    }

    int count_, workers_, window_;
    bool decodes_;  // the items decode pixel data (not only headers)
    Work work_;
    std::function<void()> prepare_;
    std::function<const char *(int)> describe_;
    Shared resultsShared_, stateShared_;
    ms_dicom_file_result *shared_ = nullptr;
    int *released_ = nullptr, *abort_ = nullptr, *done_ = nullptr, *current_ = nullptr, *waiting_ = nullptr;
    std::vector<pid_t> pids_;
    std::vector<int> lastItem_;
    std::vector<std::chrono::steady_clock::time_point> since_;
    std::vector<bool> timedOut_;
    double limit_;
};

/// Runs `work(n, result)` for n in [0, count) in a `ChildPool` of `workers` children, to the end (`decodes`: the
/// items decode pixel data). Returns
/// MS_DICOM_OK, or the first failing item's code; `results[n]` tells item n's fate.
int runIsolated(int count, int workers, bool decodes, ms_dicom_file_result *results, ChildPool::Work work,
                std::function<void()> prepare, std::function<const char *(int)> describe) {
    if (count <= 0) return MS_DICOM_OK;
    ChildPool pool(count, workers, 0, decodes, std::move(work), std::move(prepare), std::move(describe));
    if (pool.start()) {
        while (!pool.finished()) {
            pool.poll();
            usleep(500);
        }
    }
    return pool.collect(results);
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
        if (!h->reader.ReadUpToTag(pixelDataTag(), pixelDataOnly())) {
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
    return runIsolated(count, workers, false, results, [&](int n, ms_dicom_file_result &r) {
        gdcm::Reader reader;
        reader.SetFileName(paths[n]);
        if (!fileOpens(paths[n], r.message, sizeof(r.message))) {
            r.status = MS_DICOM_ERR_OPEN;
        } else if (!reader.ReadUpToTag(pixelDataTag(), pixelDataOnly())) {
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

namespace {
/// A decoding child's setup: keep freed blocks in the heap. GDCM allocates each file's pixel data afresh (half a
/// megabyte and more), which glibc would otherwise map and unmap per file, faulting every page in again.
void prepareDecodingChild() {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}
} // namespace

int ms_dicom_check_planes(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int job_count,
                          int rows, int columns, int workers, ms_dicom_file_result *results) {
    const auto byFile = jobsByFile(file_count, jobs, job_count, INT32_MAX);
    return runIsolated(file_count, workers, true, results, [&](int f, ms_dicom_file_result &r) {
        decodeFile(paths[f], byFile[static_cast<size_t>(f)], rows, columns, nullptr, true, r);
    }, prepareDecodingChild, [&](int f) { return paths[f]; });
}

struct ms_dicom_stream {
    std::vector<std::string> paths;
    std::vector<ms_dicom_plane_job> jobs;
    int rows = 0, columns = 0, window = 0;
    size_t plane = 0;
    std::unique_ptr<Shared> ring;
    std::unique_ptr<ChildPool> pool;
};

int ms_dicom_stream_begin(const char *const *paths, int file_count, const ms_dicom_plane_job *jobs, int plane_count,
                          int rows, int columns, int window, int workers, ms_dicom_stream **out, char *message,
                          size_t message_size) {
    *out = nullptr;
    try {
        if (plane_count <= 0 || rows <= 0 || columns <= 0 || window <= 0) {
            put(message, message_size, "nothing to decode");
            return MS_DICOM_ERR_SIZE;
        }
        auto s = std::make_unique<ms_dicom_stream>();
        s->paths.assign(paths, paths + file_count);
        s->jobs.assign(jobs, jobs + plane_count);
        for (int k = 0; k < plane_count; ++k) {
            if (jobs[k].plane != k || jobs[k].file < 0 || jobs[k].file >= file_count) {
                put(message, message_size, "plane jobs out of order");
                return MS_DICOM_ERR_SIZE;
            }
        }
        s->rows = rows;
        s->columns = columns;
        s->window = std::min(window, plane_count);
        s->plane = static_cast<size_t>(rows) * static_cast<size_t>(columns);
        s->ring = std::make_unique<Shared>(s->plane * static_cast<size_t>(s->window) * sizeof(float));
        if (!s->ring->ok()) {
            put(message, message_size, "cannot map " + std::to_string(s->plane * s->window * sizeof(float)) +
                                           " bytes of shared memory for the decoded planes");
            return MS_DICOM_ERR_OPEN;
        }
        ms_dicom_stream *raw = s.get();
        s->pool = std::make_unique<ChildPool>(plane_count, workers, s->window, true, [raw](int k, ms_dicom_file_result &r) {
            ms_dicom_plane_job job = raw->jobs[static_cast<size_t>(k)];
            job.plane = k % raw->window;  // its ring slot
            decodeFile(raw->paths[static_cast<size_t>(job.file)].c_str(), {&job}, raw->rows, raw->columns,
                       static_cast<float *>(raw->ring->data()), true, r);
        }, prepareDecodingChild, [raw](int k) { return raw->paths[static_cast<size_t>(raw->jobs[static_cast<size_t>(k)].file)].c_str(); });
        s->pool->start();  // when it cannot, every plane has failed
        *out = s.release();
        return MS_DICOM_OK;
    } catch (...) {
        put(message, message_size, "cannot start decoding (out of memory)");
        return MS_DICOM_ERR_OPEN;
    }
}

int ms_dicom_stream_plane(ms_dicom_stream *s, int plane, float **pixels, ms_dicom_file_result *result) {
    *pixels = nullptr;
    if (!s || plane < 0 || plane >= static_cast<int>(s->jobs.size())) return MS_DICOM_ERR_SIZE;
    ChildPool &pool = *s->pool;
    while (!pool.isDone(plane)) {
        pool.poll();
        if (pool.isDone(plane)) break;
        if (pool.finished()) break;  // cannot happen: every child's death fails an item and starts the next
        usleep(50);
    }
    pool.collectOne(plane, result);
    if (result->status != MS_DICOM_OK) return result->status;
    *pixels = static_cast<float *>(s->ring->data()) + static_cast<size_t>(plane % s->window) * s->plane;
    return MS_DICOM_OK;
}

void ms_dicom_stream_release(ms_dicom_stream *s, int next) {
    if (s) s->pool->release(next);
}

void ms_dicom_stream_end(ms_dicom_stream *s) {
    if (!s) return;
    s->pool->stop();
    delete s;
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

} // extern "C"
