// swift-tools-version:6.2
//
// Estuary: a feed aggregator daemon. Targets split where a dependency enters
// (see docs/architecture.md):
//
//   EstuaryCore     model, config, dedupe, output writers, the cycle  (no C)
//   EstuaryFetch    libcurl multi            -> EstuaryCCurl, EstuaryCurlShims; libpsl -> EstuaryCPSL
//   EstuaryParse    libxml2 SAX              -> EstuaryCLibXML2
//   EstuaryStore    SQLite through GRDB
//   EstuaryMetrics  Prometheus metrics       -> swift-prometheus; /metrics listener, textfile
//   EstuaryCLI      the `estuary` executable, wires the stages together
import PackageDescription

let package = Package(
    name: "Estuary",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "estuary", targets: ["EstuaryCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries, each entering through one system-library target.
        .systemLibrary(
            name: "EstuaryCCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "EstuaryCurlShims",
            dependencies: ["EstuaryCCurl"]
        ),
        .systemLibrary(
            name: "EstuaryCPSL",
            pkgConfig: "libpsl",
            providers: [.apt(["libpsl-dev"])]
        ),
        .systemLibrary(
            name: "EstuaryCLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),

        // Swift libraries.
        .target(
            name: "EstuaryCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .target(
            name: "EstuaryFetch",
            dependencies: [
                "EstuaryCore", "EstuaryCCurl", "EstuaryCurlShims", "EstuaryCPSL",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "EstuaryParse",
            dependencies: ["EstuaryCore", "EstuaryCLibXML2"]
        ),
        .target(
            name: "EstuaryStore",
            dependencies: [
                "EstuaryCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "EstuaryMetrics",
            dependencies: [
                "EstuaryCore",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "EstuaryCLI",
            dependencies: [
                "EstuaryCore", "EstuaryFetch", "EstuaryParse", "EstuaryStore", "EstuaryMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // Tests.
        .target(
            name: "EstuaryTestSupport",
            dependencies: ["EstuaryCore"],
            path: "Tests/EstuaryTestSupport"
        ),
        .testTarget(name: "EstuaryCoreTests", dependencies: ["EstuaryCore", "EstuaryTestSupport"]),
        .testTarget(
            name: "EstuaryParseTests", dependencies: ["EstuaryParse", "EstuaryTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "EstuaryFetchTests", dependencies: ["EstuaryFetch", "EstuaryTestSupport"]),
        .testTarget(
            name: "EstuaryMetricsTests",
            dependencies: ["EstuaryMetrics", "EstuaryTestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "EstuaryStoreTests",
            dependencies: ["EstuaryStore", "EstuaryTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "EstuarySchedulerTests",
            dependencies: [
                "EstuaryCore", "EstuaryFetch", "EstuaryParse", "EstuaryStore", "EstuaryTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "EstuaryEndToEndTests",
            dependencies: ["EstuaryParse", "EstuaryTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)

// Zero warnings: every warning in Estuary's own targets is an error.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.treatAllWarnings(as: .error)]
}
// The parser's hot paths (SAX callbacks on classes, millions per run) spent about 10% of their
// time in the runtime's dynamic exclusivity checks. Release builds of EstuaryParse skip them; the
// compile-time checks stay, and debug builds (the test suite, the conformance run) keep the
// dynamic ones. What makes this safe: a SAX callback never touches a property that is being
// accessed around the xmlParseChunk/htmlParseChunk call that invokes it, and no callback makes
// overlapping accesses of its own; the debug builds would trap on either. Measured in
// docs/performance.md.
for target in package.targets where target.name == "EstuaryParse" {
    target.swiftSettings! += [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
}
