// swift-tools-version: 6.1
// cnc — a declarative container engine for Linux.
// Layers (a target imports only lower layers; scripts/check-layers.py enforces it):
//   0 CNCCore · 1 CNCSpec, CNCOCI, CShim, CNCSystem · 2 CNCPlanner
//   3 CNCState, CNCImage, CNCRegistry, CNCBuild, CNCCgroups, CNCRuntime, CNCNetwork
//   4 CNCEngine · 5 CNCCLI · executables: cnc, cncapply, cnc-init
import PackageDescription

let package = Package(
    name: "cnc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cnc", targets: ["cnc"]),
        .executable(name: "cncapply", targets: ["cncapply"]),
        .executable(name: "cnc-init", targets: ["cnc-init"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Layer 0
        .target(name: "CNCCore"),

        // Layer 1
        .target(name: "CShim"),
        .target(name: "CNCSystem", dependencies: ["CNCCore", "CShim"]),
        // libnftables for cnc's own nftables table (pkg-config libnftables).
        .systemLibrary(name: "CNftables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),

        // Layer 3
        .target(name: "CNCCgroups", dependencies: ["CNCCore", "CNCSystem"]),
        .target(name: "CNCNetwork", dependencies: ["CNCCore", "CNCSystem", "CNftables"]),
        .target(name: "CNCRuntime", dependencies: ["CNCCore", "CNCSystem", "CShim", "CNCCgroups"]),

        // Layer 4
        .target(name: "CNCEngine", dependencies: [
            "CNCCore", "CNCSystem", "CNCCgroups", "CNCNetwork", "CNCRuntime",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Layer 5
        .target(name: "CNCCLI", dependencies: [
            "CNCCore", "CNCSystem", "CNCEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Executables: @main only.
        .executableTarget(name: "cnc", dependencies: ["CNCCLI"]),
        .executableTarget(name: "cncapply", dependencies: ["CNCCLI"]),
        // The container's first process: Glibc only, linked statically so it runs in any rootfs.
        .executableTarget(
            name: "cnc-init",
            dependencies: ["CShim"],
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),

        // Tests
        .testTarget(name: "CNCCoreTests", dependencies: ["CNCCore"]),
        .testTarget(name: "CNCSystemTests", dependencies: ["CNCCore", "CNCSystem", "CShim"]),
        .testTarget(name: "CNCCgroupsTests", dependencies: ["CNCCore", "CNCCgroups"]),
        .testTarget(name: "CNCNetworkTests", dependencies: ["CNCCore", "CNCSystem", "CNCNetwork"]),
        .testTarget(name: "CNCCLITests", dependencies: ["CNCCore", "CNCCLI", "CNCEngine"]),
    ],
    swiftLanguageModes: [.v6]
)
