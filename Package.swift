// swift-tools-version: 6.0
// synthlab: LAB-style synthetic data generation and phased fine-tuning.
//
// Modules form a one-way graph (see README "Architecture"):
//   LabCore ← LabTaxonomy, LabDocuments, LabGGUF, LabTokenizer, LabTensor
//   LabCore ← LabJinja ← LabTokenizer (a GGUF's own chat template)
//   LabTensor, LabGGUF, LabTokenizer ← LabLLM
//   LabCore, LabDocuments, LabTaxonomy, LabPipeline, LabStore ← LabGeneration
//   LabCore ← LabOpenAI (wire types, remote teacher); LabLLM, LabOpenAI ← LabServer
//   LabStore ← LabStorePostgres (the same store on PostgreSQL)
//   LabStore ← LabReview (the curator's web page)
//   LabTensor, LabGGUF, LabLLM ← LabTrain (fine-tuning numerics)
//   LabTrain, LabLLM, LabStore, LabGeneration, LabTokenizer ← LabCurriculum (phased training jobs, task accuracy)
//   LabGGUF ← LabMerge (mergekit-style model merging, tensor by tensor)
//   everything ← LabCLI ← synthlab (the composition root)
import PackageDescription

/// One set of compiler settings for every target, so no module is built under looser rules.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Numerical modules are always optimised for speed: a debug build of a kernel is
/// one to two orders of magnitude slower, which would make `swift test` on the real
/// model impractically slow. `-Ounchecked` is not used: bounds checks stay on.
let kernelSettings: [SwiftSetting] = strictSettings + [
    .unsafeFlags(["-O"]),
]

/// Settings of the engine's modules (LabTensor, LabLLM): `kernelSettings` plus whole-module
/// optimisation, so the small SIMD helpers inline across files, with `-num-threads 1` so it
/// still writes one object file per source file as SwiftPM's debug build expects (without it
/// the build fails with "index output filenames do not match input source files"); and a target
/// CPU: the SIMD loops are written for 256-bit vectors with FMA, and without one the compiler
/// emits baseline SSE2. x86-64-v3 (AVX2, FMA, F16C: Haswell, 2013, and later) is the floor on
/// x86_64 hosts.
#if arch(x86_64)
let tensorSettings: [SwiftSetting] = kernelSettings + [
    .unsafeFlags(["-wmo", "-num-threads", "1", "-Xcc", "-march=x86-64-v3"]),
]
#else
let tensorSettings: [SwiftSetting] = kernelSettings + [.unsafeFlags(["-wmo", "-num-threads", "1"])]
#endif

/// The C kernel is always optimised and, on x86_64, built for the same x86-64-v3 floor as the
/// Swift kernels (AVX2, FMA, F16C); elsewhere it compiles its portable scalar loops.
#if arch(x86_64)
let quantKernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-march=x86-64-v3"])]
#else
let quantKernelFlags: [CSetting] = [.unsafeFlags(["-O3"])]
#endif

let package = Package(
    name: "synthlab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "synthlab", targets: ["synthlab"]),
        .library(name: "LabCore", targets: ["LabCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/stencilproject/Stencil", from: "0.15.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Shared value types and protocols; depends on nothing of ours.
        .target(
            name: "LabCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Knowledge documents: loading, local/git resolution, chunking with stable ids.
        .target(name: "LabDocuments", dependencies: ["LabCore", "CZlib"], swiftSettings: strictSettings),
        // zlib (Debian: zlib1g-dev), for the zlib entropy of a text (novelty scores).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // The curated tree: qna.yaml parsing with marks, InstructLab's schema rules, walk, changes.
        .target(
            name: "LabTaxonomy",
            dependencies: ["LabCore", "LabDocuments", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // GGUF model files: reading (memory-mapped, bounds-checked), writing, quantized block formats.
        .target(name: "LabGGUF", dependencies: ["LabCore"], exclude: ["README.md"], swiftSettings: kernelSettings),
        // A Jinja-subset interpreter (jinja2's semantics) for the chat templates stored in GGUF files.
        .target(name: "LabJinja", dependencies: ["LabCore"], exclude: ["README.md"], swiftSettings: strictSettings),
        // Tokenizers from GGUF metadata (byte-level BPE, SentencePiece BPE), chat templates.
        .target(name: "LabTokenizer", dependencies: ["LabCore", "LabGGUF", "LabJinja"], swiftSettings: kernelSettings),
        // Generation pipelines: filters (grounding, safety, duplicates, format).
        .target(
            name: "LabPipeline",
            dependencies: ["LabCore", .product(name: "Yams", package: "Yams"), .product(name: "Stencil", package: "Stencil")],
            swiftSettings: strictSettings
        ),
        // The SQLite store: runs, leaves, requests/responses cache, samples, verdicts, lineage.
        .target(
            name: "LabStore",
            dependencies: ["LabCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The store on PostgreSQL (many machines): the same queries and migrations as LabStore's SQLite.
        .target(
            name: "LabStorePostgres",
            dependencies: [
                "LabCore", "LabStore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Generation runs: plans, leaf-local units, run-time blocks, the resumable runner.
        .target(
            name: "LabGeneration",
            dependencies: ["LabCore", "LabDocuments", "LabTaxonomy", "LabPipeline", "LabStore"],
            swiftSettings: strictSettings
        ),
        // OpenAI-compatible wire types and the remote teacher (`OpenAITeacher`) over AsyncHTTPClient.
        .target(
            name: "LabOpenAI",
            dependencies: [
                "LabCore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // `synthlab serve`: the OpenAI-compatible HTTP server over the in-process engine (Hummingbird).
        .target(
            name: "LabServer",
            dependencies: [
                "LabCore", "LabLLM", "LabOpenAI", "LabTokenizer", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // `synthlab review`: the curator's web page over the store (Hummingbird, Mustache templates that
        // escape by default, server-rendered SVG; every asset served by the binary). Loads no model.
        .target(
            name: "LabReview",
            dependencies: [
                "LabCore", "LabStore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // OpenBLAS's CBLAS interface; imported by LabTensor only.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The integer dot products of the decode path (AVX2 byte multiply-add has no Swift SIMD spelling).
        .target(name: "CQuantKernels", cSettings: quantKernelFlags),
        .target(name: "CAttentionKernel", cSettings: quantKernelFlags),
        // Kernels: matmul through OpenBLAS, norms, RoPE, attention, quantized weight blocks.
        .target(name: "LabTensor", dependencies: ["LabCore", "LabGGUF", "COpenBLAS", "CQuantKernels", "CAttentionKernel"], swiftSettings: tensorSettings),
        .target(
            name: "LabLLM",
            dependencies: ["LabCore", "LabTensor", "LabGGUF", "LabTokenizer"],
            swiftSettings: tensorSettings
        ),
        // Fine-tuning: float32 master weights, forward/backward, AdamW, GGUF checkpoints.
        .target(
            name: "LabTrain",
            dependencies: ["LabCore", "LabTensor", "LabGGUF", "LabLLM"],
            swiftSettings: tensorSettings
        ),
        // Phased training jobs: curriculum (phases, replay, RAFT, held-out), encoding, evaluation, the journaled job.
        .target(
            name: "LabCurriculum",
            dependencies: ["LabCore", "LabGGUF", "LabTokenizer", "LabStore", "LabGeneration", "LabLLM", "LabTrain", "LabDocuments"],
            // The general multiple-choice set (ARC-Easy, CC BY-SA 4.0: a separate data file with its notice).
            // The general text for CPT replay (Wikipedia paragraphs via BoolQ, CC BY-SA 3.0: a separate data file with its notice).
            resources: [.copy("Resources/general-mc"), .copy("Resources/general-text")],
            swiftSettings: strictSettings
        ),
        .target(name: "LabMerge", dependencies: ["LabCore", "LabGGUF", .product(name: "Yams", package: "Yams")], swiftSettings: strictSettings),
        .target(
            name: "LabCLI",
            dependencies: [
                "LabCore", "LabDocuments", "LabTaxonomy", "LabGGUF", "LabTokenizer", "LabTensor", "LabLLM",
                "LabPipeline", "LabStore", "LabGeneration", "LabOpenAI", "LabServer", "LabTrain",
                "LabCurriculum", "LabReview", "LabJinja", "LabMerge", "LabStorePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "synthlab",
            dependencies: ["LabCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),

        // Test doubles and fixtures shared by every test target.
        .target(
            name: "LabTestSupport", dependencies: ["LabCore", "LabGGUF", "LabLLM"],
            // Tiny random-weight GGUFs of every architecture with llama.cpp's logits on them.
            resources: [.copy("Architectures")],
            swiftSettings: strictSettings
        ),
        // A scriptable raw-TCP HTTP server (faults: resets, half bodies, delays) for client tests and benchmarks.
        .target(
            name: "LabHTTPTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // `openai-load`: drives OpenAITeacher against a fixed-latency stub for bench/openai-client.
        .executableTarget(
            name: "openai-load",
            dependencies: [
                "LabCore", "LabOpenAI", "LabHTTPTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // `openai-stub`: a scripted OpenAI-compatible teacher with a fixed latency, for bench/scale.
        .executableTarget(
            name: "openai-stub",
            dependencies: ["LabCore", "LabHTTPTestSupport", "LabTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        // `dedup-bench`: the run-wide duplicate check's cost per candidate at 100,000 accepted samples (bench/scale).
        .executableTarget(name: "dedup-bench", dependencies: ["LabCore", "LabStore", "LabStorePostgres", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: strictSettings),
        // `review-bench-store`: a large store for bench/review, written through the store's own API.
        .executableTarget(name: "review-bench-store", dependencies: ["LabCore", "LabStore"], swiftSettings: strictSettings),
        .testTarget(
            name: "LabOpenAITests",
            dependencies: ["LabOpenAI", "LabCore", "LabHTTPTestSupport", "LabTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LabServerTests",
            dependencies: ["LabServer", "LabOpenAI", "LabLLM", "LabTokenizer", "LabCore", "LabTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LabTrainTests",
            dependencies: ["LabTrain", "LabLLM", "LabGGUF", "LabTensor", "LabCore", "LabTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: tensorSettings
        ),
        .testTarget(
            name: "LabCurriculumTests",
            dependencies: ["LabCurriculum", "LabTrain", "LabStore", "LabTokenizer", "LabGGUF", "LabCore", "LabTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LabCoreTests", dependencies: ["LabCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "LabMergeTests",
            dependencies: ["LabMerge", "LabGGUF", "LabCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LabJinjaTests",
            dependencies: ["LabJinja", "LabTokenizer", "LabGGUF", "LabCore", "LabTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LabTensorTests", dependencies: ["LabTensor", "LabCore", "CAttentionKernel"], swiftSettings: tensorSettings),
        .testTarget(
            name: "LabLLMTests",
            dependencies: ["LabLLM", "LabGGUF", "LabCore", "LabTokenizer", "LabTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: tensorSettings
        ),
        .testTarget(
            name: "LabDocumentsTests",
            dependencies: ["LabDocuments", "LabTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LabTaxonomyTests",
            dependencies: ["LabTaxonomy", "LabTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LabGGUFTests",
            dependencies: ["LabGGUF", "LabCore", "LabTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LabTokenizerTests",
            dependencies: ["LabTokenizer", "LabGGUF", "LabTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LabStoreTests",
            dependencies: ["LabStore", "LabStorePostgres", "LabTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LabPipelineTests", dependencies: ["LabPipeline", "LabTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "LabGenerationTests",
            dependencies: ["LabGeneration", "LabPipeline", "LabStore", "LabTaxonomy", "LabDocuments", "LabCore", "LabTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LabReviewTests", dependencies: ["LabReview", "LabStore"], swiftSettings: strictSettings),
        .testTarget(name: "LabCLITests", dependencies: ["LabCLI", "LabGGUF", "LabStore", "LabTestSupport", "LabHTTPTestSupport"], swiftSettings: strictSettings),
    ]
)
