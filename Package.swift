// swift-tools-version:6.0
// MedSynth — synthetic medical-image data and cross-modal translation.
// Module graph and data flow: docs/ARCHITECTURE.md. System libraries: scripts/setup.sh installs them.
import PackageDescription

let package = Package(
    name: "MedSynth",
    // MARK: - Public products
    products: [
        .executable(name: "medsynth", targets: ["medsynth"]),
        .executable(name: "medsynth-hdf5-probe", targets: ["medsynth-hdf5-probe"]),
        .library(name: "MedCore", targets: ["MedCore"]),
        .library(name: "MedIO", targets: ["MedIO"]),
        .library(name: "MedSynthesis", targets: ["MedSynthesis"]),
        .library(name: "MedMetrics", targets: ["MedMetrics"]),
        .library(name: "MedTensor", targets: ["MedTensor"]),
        .library(name: "MedNN", targets: ["MedNN"]),
        .library(name: "MedReporting", targets: ["MedReporting"]),
        .library(name: "MedTraining", targets: ["MedTraining"]),
        .library(name: "MedInference", targets: ["MedInference"]),
        .library(name: "MedValidation", targets: ["MedValidation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML augmentation pipelines (Codable decoding) in MedSynthesis.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        // MARK: - C libraries (Debian packages; shim header + module map, linked with pkg-config)
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // OpenSSL libcrypto: HMAC-SHA256 for the keyed (de-identified) case ids of `medsynth import`.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // FFTW 3 single precision (fftwf_*): k-space MR artifacts in MedSynthesis's augmentations.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        // libpng reports errors with longjmp, which must not cross Swift frames: this C glue catches them.
        .target(name: "CPNGGlue", dependencies: ["CLibPNG"]),
        // libnifti2 ships no .pc file and its header includes <znzlib.h> by bare name, so the glue is compiled
        // with /usr/include/nifti on the include path; its public header exposes only plain C types.
        .target(
            name: "CNIfTIGlue",
            cSettings: [.unsafeFlags(["-I/usr/include/nifti"])],
            linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]
        ),
        // GDCM (DICOM) is C++ only and ships no .pc file: a C++ glue with an extern "C" header (plain C types), compiled
        // with /usr/include/gdcm-3.0 on the include path. GDCM brings its JPEG, JPEG-LS and JPEG 2000 decoders.
        .target(
            name: "CGDCMGlue",
            cxxSettings: [.unsafeFlags(["-I/usr/include/gdcm-3.0"])],
            linkerSettings: [.linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmDICT"),
                             .linkedLibrary("gdcmIOD"), .linkedLibrary("gdcmCommon"), .linkedLibrary("stdc++")]
        ),

        // posix_spawn with every inherited descriptor closed at the spawn (glibc's addclosefrom_np).
        .target(name: "CProcessGlue"),

        // MARK: - Core and file formats
        .target(name: "MedCore"),
        .target(name: "MedIO", dependencies: ["MedCore", "CHDF5", "CPNGGlue", "CNIfTIGlue", "CGDCMGlue", "COpenSSL", "CZlib",
                                              "CProcessGlue"]),

        // MARK: - Synthesis (phantom, lesions, augmentation) and metrics
        // Per-voxel kernels (noise, gamma, min/max) compiled three times from the same folder: baseline x86-64,
        // x86-64-v3 (AVX2) and x86-64-v4 (AVX-512); Sources/MedKernelsV3 and V4 are links to Sources/MedKernels.
        // MedSynthesis picks the highest level the CPU supports at run time (SIMDLevel, SIMDKernels).
        .target(name: "MedKernels", dependencies: ["MedCore"]),
        .target(name: "MedKernelsV3", dependencies: ["MedCore"], swiftSettings: levelFlags("x86-64-v3")),
        .target(name: "MedKernelsV4", dependencies: ["MedCore"], swiftSettings: levelFlags("x86-64-v4")),
        .target(
            name: "MedSynthesis",
            dependencies: ["MedCore", "MedIO", "MedKernels", "MedKernelsV3", "MedKernelsV4", "CFFTW",
                           .product(name: "Yams", package: "Yams")],
            // The MNI ICBM152 2009a brain template the phantom is built on (scripts/make_brain_template.py, NOTICE).
            resources: [.copy("Resources/BrainTemplate")]
        ),
        .target(name: "MedMetrics", dependencies: ["MedCore", "MedIO"]),
        // Self-contained HTML reports with inline SVG charts (line charts, box plots) and embedded PNG figures.
        .target(name: "MedReporting", dependencies: ["MedCore"]),

        // MARK: - Tensors, networks, training, inference
        // Float32 tensors with tape-based reverse-mode autodiff; matrix products and convolutions go through
        // OpenBLAS sgemm.
        .target(name: "MedTensor", dependencies: ["MedCore", "COpenBLAS", "CDNNL"]),
        // Modules found by reflection (PyTorch-style dotted keys), layers, losses, optimizers, LR schedules,
        // initialisers and the reference networks (ResNet/U-Net generators, PatchGAN, U-Net segmenter);
        // checkpoints in HDF5 through MedIO.
        .target(name: "MedNN", dependencies: ["MedCore", "MedTensor", "MedIO"]),
        // Trainers (CycleGAN, pix2pix, conditional GAN, U-Net segmenter) behind one small protocol, the one run skeleton
        // (TrainingRun) with its translation and segmentation runs, the slice and patch data, and the engine benchmark.
        .target(name: "MedTraining", dependencies: ["MedCore", "MedIO", "MedMetrics", "MedTensor", "MedNN", "MedReporting",
                                                    .product(name: "Yams", package: "Yams")]),
        // Using trained checkpoints: volume translation (medsynth translate, dataset translation) and segmentation
        // prediction (medsynth segment predict).
        .target(name: "MedInference", dependencies: ["MedCore", "MedIO", "MedTensor", "MedNN", "MedTraining"]),

        // MARK: - Experiments and the command-line tool
        // The validation experiment (medsynth validate) and the end-to-end demo: synthetic data (MedSynthesis) meets
        // training (MedTraining) and inference (MedInference).
        .target(name: "MedValidation", dependencies: ["MedCore", "MedIO", "MedMetrics", "MedTensor", "MedNN", "MedSynthesis",
                                                      "MedReporting", "MedTraining", "MedInference"]),
        .executableTarget(
            name: "medsynth",
            dependencies: [
                "MedCore", "MedIO", "MedSynthesis", "MedMetrics", "MedTensor", "MedNN", "MedReporting", "MedTraining",
                "MedInference", "MedValidation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Opens a file with libhdf5 and walks it in its own process, so a libhdf5 crash on a hostile file cannot
        // take a command down (MedIO's HDF5Probe starts it before every read-only open).
        .executableTarget(name: "medsynth-hdf5-probe", dependencies: ["MedIO"]),

        // MARK: - Tests
        .target(name: "MedTestSupport", dependencies: ["MedCore", "MedIO"], path: "Tests/MedTestSupport"),
        .target(name: "MedTensorTestSupport", dependencies: ["MedTensor", "MedCore", "MedTestSupport"], path: "Tests/MedTensorTestSupport"),
        .testTarget(name: "MedCoreTests", dependencies: ["MedCore", "MedTestSupport"]),
        .testTarget(name: "MedIOTests", dependencies: ["MedIO", "MedCore", "MedTestSupport", "CHDF5", "CNIfTIGlue"]),
        .testTarget(name: "MedMetricsTests", dependencies: ["MedMetrics", "MedIO", "MedCore", "MedTestSupport"]),
        .testTarget(name: "MedTensorTests", dependencies: ["MedTensor", "MedCore", "MedTestSupport", "MedTensorTestSupport"]),
        .testTarget(name: "MedNNTests", dependencies: ["MedNN", "MedTensor", "MedCore", "MedTestSupport", "MedTensorTestSupport"]),
        .testTarget(name: "MedNNInteropTests", dependencies: ["MedNN", "MedTensor", "MedIO", "MedCore", "MedTestSupport"]),
        .testTarget(name: "MedTrainingTests", dependencies: ["MedTraining", "MedInference", "MedNN", "MedTensor", "MedIO", "MedCore", "MedTestSupport", "MedTensorTestSupport"]),
        .testTarget(name: "MedReportingTests", dependencies: ["MedReporting", "MedTestSupport"]),
        .testTarget(name: "MedInferenceTests", dependencies: ["MedInference", "MedTraining", "MedNN", "MedTensor", "MedIO", "MedCore", "MedTestSupport"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["COpenBLAS", "CZlib", "MedTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["MedCore", "MedIO", "MedMetrics", "MedTestSupport"]),
        .testTarget(name: "MedValidationTests", dependencies: ["MedValidation", "MedTraining", "MedSynthesis", "MedMetrics", "MedIO", "MedCore", "MedTestSupport"]),
        .testTarget(name: "MedSynthesisTests", dependencies: ["MedSynthesis", "MedKernels", "MedIO", "MedCore", "MedTestSupport"]),
    ]
)

/// The compiler flags of a kernel module built for an x86-64 micro-architecture level. Swift takes its code
/// generation features from the Clang importer's target, so `-Xcc -march=` sets them. Off x86-64 the modules are
/// plain copies of the baseline one (SIMDLevel.supported is then always the baseline).
func levelFlags(_ level: String) -> [SwiftSetting] {
    #if arch(x86_64)
    return [.unsafeFlags(["-Xcc", "-march=\(level)"])]
    #else
    return []
    #endif
}
