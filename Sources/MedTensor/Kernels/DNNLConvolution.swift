import CDNNL
import Foundation

/// Which implementation runs the convolutions: oneDNN (the default; Kernels/DNNLConvolution.swift) or the
/// im2col + OpenBLAS path of `ConvKernel` (the reference and the fallback for any shape oneDNN declines). The
/// environment variable `MEDSYNTH_CONV_BACKEND=im2col` selects the reference path for a whole run.
public enum ConvBackend: String, Sendable, CaseIterable {
    case oneDNN = "onednn", im2col

    /// The backend a `MEDSYNTH_CONV_BACKEND` value names ("onednn" or "im2col", any case); oneDNN for anything else.
    static func fromEnvironment(_ value: String?) -> ConvBackend {
        value.flatMap { ConvBackend(rawValue: $0.lowercased()) } ?? .oneDNN
    }

    /// The backend convolutions use unless a kernel call names one (`MEDSYNTH_CONV_BACKEND`, read once).
    public static let current = fromEnvironment(ProcessInfo.processInfo.environment["MEDSYNTH_CONV_BACKEND"])
}

/// The convolution kernels through oneDNN (Debian `libdnnl-dev`, the library PyTorch's CPU convolutions run on):
/// forward (with the bias fused), backward-data and backward-weights, 2-D and 3-D, on MedTensor's plain NC(D)HW
/// tensors. `ConvKernel` calls these first and falls back to its im2col + sgemm path (the reference) when oneDNN
/// cannot take a shape or is switched off (`ConvBackend`).
///
/// oneDNN picks its fastest implementation for "any" layout (on AVX-512 machines its `jit:avx512_core` kernels
/// with channel-blocked layouts, nChw16c and OIhw16i16o); each `Plan` reorders the plain tensors into those layouts
/// and back around the convolution. A plan — the primitive and its reorders — is built once per (geometry, batch,
/// output channels, pass, threads) and kept in a per-thread cache, so that trainings on several threads never
/// share a buffer and never wait for each other. The reordered copies and the primitive's scratchpad are needed
/// only during one call, so all plans of a thread share one arena (`ThreadCache.arena`) sized for the largest.
///
/// Threads: oneDNN runs on OpenMP; before each call the calling thread's OpenMP team is set to
/// `BLASRuntime.threadCount`, so the convolutions use as many cores as the matrix products. Same inputs and the
/// same thread count give the same bytes (oneDNN's direct convolutions split and reduce in a fixed order).
enum DNNLConvolution {
    /// Which of the three convolution kernels.
    enum Pass: Hashable {
        case forward(bias: Bool), backwardData, backwardWeights
    }

    /// What identifies one plan.
    struct Key: Hashable {
        let geometry: ConvGeometry, batch: Int, outChannels: Int, pass: Pass, threads: Int
    }

    // MARK: - Entry points (same contracts as ConvKernel's; false: not done, use the reference path)

    /// x: [N, C, (D,) H, W], w: [K, C, (kd,) kh, kw], bias: [K] or nil -> y: [N, K, (OD,) OH, OW].
    static func forward(_ x: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, weight w: UnsafePointer<Float>,
                        outChannels k: Int, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>) -> Bool {
        run(Key(geometry: g, batch: batch, outChannels: k, pass: .forward(bias: bias != nil), threads: threads),
            [DNNL_ARG_SRC: UnsafeMutableRawPointer(mutating: x), DNNL_ARG_WEIGHTS: UnsafeMutableRawPointer(mutating: w),
             DNNL_ARG_BIAS: bias.map { UnsafeMutableRawPointer(mutating: $0) }, DNNL_ARG_DST: UnsafeMutableRawPointer(y)])
    }

    /// gy: [N, K, out…], w: [K, C, kernel…] -> gx: [N, C, in…] (overwritten).
    static func backwardData(_ gy: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, weight w: UnsafePointer<Float>,
                             outChannels k: Int, _ gx: UnsafeMutablePointer<Float>) -> Bool {
        run(Key(geometry: g, batch: batch, outChannels: k, pass: .backwardData, threads: threads),
            [DNNL_ARG_DIFF_DST: UnsafeMutableRawPointer(mutating: gy),
             DNNL_ARG_WEIGHTS: UnsafeMutableRawPointer(mutating: w), DNNL_ARG_DIFF_SRC: UnsafeMutableRawPointer(gx)])
    }

    /// x: [N, C, in…], gy: [N, K, out…] -> gw: [K, C, kernel…] summed over the batch (overwritten).
    static func backwardWeight(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry,
                               outChannels k: Int, _ gw: UnsafeMutablePointer<Float>) -> Bool {
        run(Key(geometry: g, batch: batch, outChannels: k, pass: .backwardWeights, threads: threads),
            [DNNL_ARG_SRC: UnsafeMutableRawPointer(mutating: x), DNNL_ARG_DIFF_DST: UnsafeMutableRawPointer(mutating: gy),
             DNNL_ARG_DIFF_WEIGHTS: UnsafeMutableRawPointer(gw)])
    }

    /// The oneDNN implementation a pass would use for this shape ("jit:avx512_core", "gemm:jit", …), or nil when
    /// oneDNN cannot take it. For tests and `medsynth bench`.
    ///
    /// Every shape goes to oneDNN, also where one of its kernels alone loses to im2col (the backward passes over
    /// images of fewer than 16 channels: the 7×7 stem's backward-data 30 ms against 3.8): routing those to
    /// im2col made whole training steps slower (BENCHMARKS.md), because OpenBLAS's threads and oneDNN's OpenMP
    /// team then take turns spinning on the same cores.
    static func implementation(_ g: ConvGeometry, batch: Int, outChannels k: Int, pass: Pass) -> String? {
        guard Runtime.shared != nil else { return nil }
        let key = Key(geometry: g, batch: batch, outChannels: k, pass: pass, threads: threads)
        return ThreadCache.current.plan(key)?.implementation
    }

    /// The calling thread's thread count for oneDNN: OpenBLAS's (process-wide setting).
    private static var threads: Int { BLASRuntime.threadCount }

    private static func run(_ key: Key, _ pointers: [Int32: UnsafeMutableRawPointer?]) -> Bool {
        guard let runtime = Runtime.shared else { return false }
        runtime.useThreads(key.threads)
        let cache = ThreadCache.current
        guard let plan = cache.plan(key) else { return false }
        return plan.execute(pointers, stream: cache.stream, arena: cache.arena(bytes: plan.arenaBytes))
    }

    // MARK: - Library state

    /// The CPU engine and the OpenMP thread setter, or nil when oneDNN cannot start.
    final class Runtime: @unchecked Sendable {
        // Unchecked: the engine is thread-safe in oneDNN and never changes after creation.
        let engine: dnnl_engine_t
        private let setThreads: (@convention(c) (Int32) -> Void)?
        private let maxThreads: (@convention(c) () -> Int32)?

        static let shared: Runtime? = Runtime()

        private init?() {
            var engine: dnnl_engine_t?
            guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else { return nil }
            self.engine = engine
            // libgomp is loaded with libdnnl; its team-size calls are looked up rather than linked, since Debian's
            // libgomp has no development symlink outside the GCC directories.
            let handle = dlopen(nil, RTLD_NOW)
            setThreads = dlsym(handle, "omp_set_num_threads").map { unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self) }
            maxThreads = dlsym(handle, "omp_get_max_threads").map { unsafeBitCast($0, to: (@convention(c) () -> Int32).self) }
        }

        /// Sets the calling thread's OpenMP team size to `n` (a per-thread setting in OpenMP).
        func useThreads(_ n: Int) {
            guard let setThreads, let maxThreads, Int(maxThreads()) != n else { return }
            setThreads(Int32(n))
        }
    }

    /// The plans and the stream of one thread (kept in its thread dictionary, released with the thread).
    final class ThreadCache {
        let stream: dnnl_stream_t
        private var plans: [Key: Plan?] = [:]
        /// Working memory shared by this thread's plans (the blocked copies and scratchpads of one call).
        private var arena: UnsafeMutableRawPointer?
        private var arenaBytes = 0

        /// At least `bytes` of the arena, 64-byte aligned, valid until the next call on this thread.
        func arena(bytes: Int) -> UnsafeMutableRawPointer {
            if bytes > arenaBytes || arena == nil {
                arena?.deallocate()
                arenaBytes = max(bytes, 64)
                arena = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
            }
            return arena!
        }

        private static let dictionaryKey = "MedTensor.DNNLConvolution"

        static var current: ThreadCache {
            let dictionary = Thread.current.threadDictionary
            if let cache = dictionary[dictionaryKey] as? ThreadCache { return cache }
            let cache = ThreadCache(engine: Runtime.shared!.engine)
            dictionary[dictionaryKey] = cache
            return cache
        }

        private init(engine: dnnl_engine_t) {
            var stream: dnnl_stream_t?
            precondition(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success && stream != nil,
                         "oneDNN could not create a CPU stream")
            self.stream = stream!
        }

        deinit {
            plans.removeAll()
            arena?.deallocate()
            dnnl_stream_destroy(stream)
        }

        /// The plan for `key`, built on first use; nil (remembered) when oneDNN cannot take the shape.
        func plan(_ key: Key) -> Plan? {
            if let known = plans[key] { return known }
            let plan = Plan(key, engine: Runtime.shared!.engine)
            plans[key] = .some(plan)
            return plan
        }
    }

    // MARK: - Plans

    /// One convolution primitive with the reorders between the callers' plain tensors and its preferred layouts.
    final class Plan {
        /// One argument of the primitive: the caller's plain memory and, when the primitive wants another
        /// layout, its own buffer with the reorder between the two.
        private struct Port {
            let arg: Int32
            let user: dnnl_memory_t
            let inner: dnnl_memory_t?
            let reorder: dnnl_primitive_t?
            let isOutput: Bool
            /// Where `inner`'s data lies in the thread's arena.
            let arenaOffset: Int
        }

        private let primitive: dnnl_primitive_t
        private var ports: [Port] = []
        private var scratchpad: dnnl_memory_t?
        private var scratchpadOffset = 0
        /// The arena bytes one call needs: the blocked copies, then the scratchpad.
        private(set) var arenaBytes = 0
        /// The memories and reorders this plan created (destroyed with it, beside `primitive`).
        private var ownedMemories: [dnnl_memory_t] = [], ownedReorders: [dnnl_primitive_t] = []
        /// The implementation oneDNN chose.
        let implementation: String

        init?(_ key: Key, engine: dnnl_engine_t) {
            let g = key.geometry
            let threeD = !(g.depth == 1 && g.kernelD == 1 && g.padD == 0)
            // Spatial parameters go to oneDNN as its fixed 12-entry arrays.
            func dims(_ values: [Int]) -> [Int64] { values.map(Int64.init) + [Int64](repeating: 0, count: 12 - values.count) }
            let n = key.batch, c = g.channels, k = key.outChannels
            let inSpatial = threeD ? [g.depth, g.height, g.width] : [g.height, g.width]
            let outSpatial = threeD ? [g.outDepth, g.outHeight, g.outWidth] : [g.outHeight, g.outWidth]
            let kernel = threeD ? [g.kernelD, g.kernelH, g.kernelW] : [g.kernelH, g.kernelW]
            let strides = dims(threeD ? [g.strideD, g.strideH, g.strideW] : [g.strideH, g.strideW])
            let pads = dims(threeD ? [g.padD, g.padH, g.padW] : [g.padH, g.padW])
            let plainTag = threeD ? dnnl_abcde : dnnl_abcd
            let src = Plan.descriptor([n, c] + inSpatial, tag: plainTag)
            let wei = Plan.descriptor([k, c] + kernel, tag: plainTag)
            let dst = Plan.descriptor([n, k] + outSpatial, tag: plainTag)
            let bias = Plan.descriptor([k], tag: dnnl_a)
            guard let src, let wei, let dst, let bias,
                  var srcAny = Plan.descriptor([n, c] + inSpatial, tag: dnnl_format_tag_any),
                  var weiAny = Plan.descriptor([k, c] + kernel, tag: dnnl_format_tag_any),
                  var dstAny = Plan.descriptor([n, k] + outSpatial, tag: dnnl_format_tag_any) else { return nil }
            var biasAny = bias

            var attr: dnnl_primitive_attr_t?
            guard dnnl_primitive_attr_create(&attr) == dnnl_success, let attr else { return nil }
            defer { dnnl_primitive_attr_destroy(attr) }
            guard dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success else { return nil }

            // The forward descriptor (also the hint the backward passes need).
            func forwardDescriptor(withBias: Bool) -> dnnl_convolution_desc_t? {
                var desc = dnnl_convolution_desc_t()
                let status = withBias
                    ? dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &srcAny,
                                                         &weiAny, &biasAny, &dstAny, strides, pads, pads)
                    : dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &srcAny,
                                                         &weiAny, nil, &dstAny, strides, pads, pads)
                return status == dnnl_success ? desc : nil
            }
            func primitiveDescriptor(_ desc: inout dnnl_convolution_desc_t, hint: dnnl_primitive_desc_t?) -> dnnl_primitive_desc_t? {
                var pd: dnnl_primitive_desc_t?
                guard dnnl_primitive_desc_create(&pd, &desc, attr, engine, hint) == dnnl_success else { return nil }
                return pd
            }
            var pd: dnnl_primitive_desc_t?
            // (argument, caller's layout, query for the primitive's layout, written by the primitive)
            var arguments: [(Int32, dnnl_memory_desc_t, dnnl_query_t, Bool)]
            switch key.pass {
            case .forward(let withBias):
                guard var desc = forwardDescriptor(withBias: withBias) else { return nil }
                pd = primitiveDescriptor(&desc, hint: nil)
                arguments = [(DNNL_ARG_SRC, src, dnnl_query_src_md, false), (DNNL_ARG_WEIGHTS, wei, dnnl_query_weights_md, false),
                             (DNNL_ARG_DST, dst, dnnl_query_dst_md, true)]
                if withBias { arguments.append((DNNL_ARG_BIAS, bias, dnnl_query_weights_md, false)) }
            case .backwardData, .backwardWeights:
                guard var forwardDesc = forwardDescriptor(withBias: false),
                      let hint = primitiveDescriptor(&forwardDesc, hint: nil) else { return nil }
                defer { dnnl_primitive_desc_destroy(hint) }
                var desc = dnnl_convolution_desc_t()
                if key.pass == .backwardData {
                    guard dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &srcAny, &weiAny,
                                                                   &dstAny, strides, pads, pads) == dnnl_success else { return nil }
                    arguments = [(DNNL_ARG_DIFF_DST, dst, dnnl_query_diff_dst_md, false),
                                 (DNNL_ARG_WEIGHTS, wei, dnnl_query_weights_md, false),
                                 (DNNL_ARG_DIFF_SRC, src, dnnl_query_diff_src_md, true)]
                } else {
                    guard dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &srcAny, &weiAny,
                                                                      nil, &dstAny, strides, pads, pads) == dnnl_success
                    else { return nil }
                    arguments = [(DNNL_ARG_SRC, src, dnnl_query_src_md, false),
                                 (DNNL_ARG_DIFF_DST, dst, dnnl_query_diff_dst_md, false),
                                 (DNNL_ARG_DIFF_WEIGHTS, wei, dnnl_query_diff_weights_md, true)]
                }
                pd = primitiveDescriptor(&desc, hint: hint)
            }
            guard let pd else { return nil }
            defer { dnnl_primitive_desc_destroy(pd) }
            var impl: UnsafePointer<CChar>?
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl)
            implementation = impl.map { String(cString: $0) } ?? "?"
            var primitive: dnnl_primitive_t?
            guard dnnl_primitive_create(&primitive, pd) == dnnl_success, let primitive else { return nil }
            self.primitive = primitive

            for (arg, userLayout, query, isOutput) in arguments {
                // The bias is the forward's second weights-like argument (index 1 of the weights query).
                let index: Int32 = arg == DNNL_ARG_BIAS ? 1 : 0
                guard let wanted = dnnl_primitive_desc_query_md(pd, query, index) else { return nil }
                var userDesc = userLayout
                guard let user = memory(&userDesc, engine: engine, handle: nil) else { return nil }
                if dnnl_memory_desc_equal(&userDesc, wanted) != 0 {
                    ports.append(Port(arg: arg, user: user, inner: nil, reorder: nil, isOutput: isOutput, arenaOffset: 0))
                    continue
                }
                var wantedDesc = wanted.pointee
                guard let inner = memory(&wantedDesc, engine: engine, handle: nil) else { return nil }
                let offset = arenaBytes
                arenaBytes += Plan.aligned(dnnl_memory_desc_get_size(&wantedDesc))
                var reorderPD: dnnl_primitive_desc_t?
                let status = isOutput
                    ? dnnl_reorder_primitive_desc_create(&reorderPD, &wantedDesc, engine, &userDesc, engine, nil)
                    : dnnl_reorder_primitive_desc_create(&reorderPD, &userDesc, engine, &wantedDesc, engine, nil)
                guard status == dnnl_success, let reorderPD else { return nil }
                defer { dnnl_primitive_desc_destroy(reorderPD) }
                var reorder: dnnl_primitive_t?
                guard dnnl_primitive_create(&reorder, reorderPD) == dnnl_success, let reorder else { return nil }
                ownedReorders.append(reorder)
                ports.append(Port(arg: arg, user: user, inner: inner, reorder: reorder, isOutput: isOutput,
                                  arenaOffset: offset))
            }
            if let scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0),
               dnnl_memory_desc_get_size(scratch) > 0 {
                var desc = scratch.pointee
                guard let memory = memory(&desc, engine: engine, handle: nil) else { return nil }
                scratchpad = memory
                scratchpadOffset = arenaBytes
                arenaBytes += Plan.aligned(dnnl_memory_desc_get_size(&desc))
            }
        }

        private static func aligned(_ bytes: Int) -> Int { (bytes + 63) / 64 * 64 }

        private static func descriptor(_ shape: [Int], tag: dnnl_format_tag_t) -> dnnl_memory_desc_t? {
            var desc = dnnl_memory_desc_t()
            let dims = shape.map(Int64.init) + [Int64](repeating: 0, count: 12 - shape.count)
            return dnnl_memory_desc_init_by_tag(&desc, Int32(shape.count), dims, dnnl_f32, tag) == dnnl_success ? desc : nil
        }

        /// A memory object this plan owns (destroyed with it).
        private func memory(_ desc: inout dnnl_memory_desc_t, engine: dnnl_engine_t,
                            handle: UnsafeMutableRawPointer?) -> dnnl_memory_t? {
            var memory: dnnl_memory_t?
            guard dnnl_memory_create(&memory, &desc, engine, handle) == dnnl_success, let memory else { return nil }
            ownedMemories.append(memory)
            return memory
        }

        deinit {
            dnnl_primitive_destroy(primitive)
            ownedReorders.forEach { dnnl_primitive_destroy($0) }
            ownedMemories.forEach { dnnl_memory_destroy($0) }
        }

        /// Runs the reorders into the primitive's layouts, the primitive, and the reorders back.
        func execute(_ pointers: [Int32: UnsafeMutableRawPointer?], stream: dnnl_stream_t,
                     arena: UnsafeMutableRawPointer) -> Bool {
            var args: [dnnl_exec_arg_t] = []
            for port in ports {
                guard let pointer = pointers[port.arg] ?? nil,
                      dnnl_memory_set_data_handle(port.user, pointer) == dnnl_success else { return false }
                if let inner = port.inner,
                   dnnl_memory_set_data_handle(inner, arena + port.arenaOffset) != dnnl_success { return false }
                if let inner = port.inner, let reorder = port.reorder, !port.isOutput {
                    var reorderArgs = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: port.user),
                                       dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: inner)]
                    guard dnnl_primitive_execute(reorder, stream, 2, &reorderArgs) == dnnl_success else { return false }
                }
                args.append(dnnl_exec_arg_t(arg: port.arg, memory: port.inner ?? port.user))
            }
            if let scratchpad {
                guard dnnl_memory_set_data_handle(scratchpad, arena + scratchpadOffset) == dnnl_success else { return false }
                args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad))
            }
            guard dnnl_primitive_execute(primitive, stream, Int32(args.count), &args) == dnnl_success else { return false }
            for port in ports where port.isOutput {
                guard let inner = port.inner, let reorder = port.reorder else { continue }
                var reorderArgs = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: inner),
                                   dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: port.user)]
                guard dnnl_primitive_execute(reorder, stream, 2, &reorderArgs) == dnnl_success else { return false }
            }
            return dnnl_stream_wait(stream) == dnnl_success
        }
    }
}
