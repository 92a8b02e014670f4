// swift-tools-version: 6.1
// cnc — a declarative container engine for Linux.
// Layers (a target imports only lower layers; scripts/check-layers.py enforces it):
//   0 CNCCore · 1 CNCSpec, CNCOCI, CShim, CNCSystem, CNCMonitorCore, CNCDNSCore · 2 CNCPlanner, CNCExport, CNCImageStore, CNCGitOps
//   3 CNCState, CNCImage, CNCRegistry, CNCCgroups, CNCRuntime, CNCNetwork, CNCBuild
//   4 CNCEngine, CNCStart, CNCNetworkAttach, CNCBuilder · 5 CNCAppCLI, CNCCLI, CNCRegistryCLI
//   executables: cnc (lean start-path front), cnc-cli, cnc-net, cncapply, cnc-registry,
//   cnc-init, cnc-monitor, cnc-dns
import PackageDescription

let package = Package(
    name: "cnc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cnc", targets: ["cnc"]),
        .executable(name: "cnc-cli", targets: ["cnc-cli"]),
        .executable(name: "cnc-net", targets: ["cnc-net"]),
        .executable(name: "cncapply", targets: ["cncapply"]),
        .executable(name: "cnc-init", targets: ["cnc-init"]),
        .executable(name: "cnc-registry", targets: ["cnc-registry"]),
        .executable(name: "cnc-monitor", targets: ["cnc-monitor"]),
        .executable(name: "cnc-dns", targets: ["cnc-dns"]),
    ],
    traits: [
        // Set by `make build CONFIG=release` together with --static-swift-stdlib: a fully static
        // executable needs the static Swift runtime, so plain `swift build -c release` (without
        // it) must not ask for one.
        .trait(name: "StaticFront", description: "Link the cnc front as a fully static executable (needs --static-swift-stdlib)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Layer 0
        .target(name: "CNCCore"),

        // Layer 1
        .target(name: "CShim"),
        // libseccomp (system library) for the default seccomp profile.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // cnc-init's logic: rootfs, identity, capabilities, seccomp, exec (C: syscalls only).
        .target(name: "CInit", dependencies: ["CSeccomp"]),
        .target(name: "CNCSystem", dependencies: ["CNCCore", "CShim"]),
        // cnc-monitor's logic, one file per concern (exit recording, log, health, restart,
        // terminal relay): Glibc and CShim only, no Foundation (the monitor stays resident).
        .target(name: "CNCMonitorCore", dependencies: ["CShim"]),
        // cnc-dns's logic: DNS messages, the records file, answers, forwarding, the poll loop.
        // Glibc only (a resident process per network), like CNCMonitorCore.
        .target(name: "CNCDNSCore"),
        // libnftables for cnc's own nftables table (pkg-config libnftables).
        .systemLibrary(name: "CNftables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "CNCSpec", dependencies: ["CNCCore", "CYAML"]),
        .target(name: "CNCOCI", dependencies: ["CNCCore"]),
        // libarchive (pkg-config libarchive): tar reading and gzip/zstd decompression for layers.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

        // Layer 2
        .target(name: "CNCPlanner", dependencies: ["CNCCore", "CNCSpec", .product(name: "Crypto", package: "swift-crypto")]),

        // `cncapply export`: Kubernetes objects and Compose files from the compiled spec and what
        // the image store says about its images (passed in): pure, no runtime.
        .target(name: "CNCExport", dependencies: ["CNCCore", "CNCSpec"]),

        // The image store's reading side (OCI layout, index, tags, resolve, unpacked-layer
        // lookup): no libarchive, so the container start path links it alone.
        .target(name: "CNCImageStore", dependencies: [
            "CNCCore", "CNCOCI", "CNCSystem",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // `cncapply sync`'s self-contained parts: the git follower (system git), app discovery,
        // webhook verification, the status model, Prometheus text and a small HTTP server.
        .target(name: "CNCGitOps", dependencies: [
            "CNCCore", "CNCSystem", "CNCSpec",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Layer 3
        .target(name: "CNCImage", dependencies: [
            "CNCCore", "CNCOCI", "CNCSystem", "CNCImageStore", "CArchive",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "CNCRegistry", dependencies: [
            "CNCCore", "CNCOCI", "CNCSystem", "CNCImage",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Dockerfile builds: parser, stage graph, .dockerignore, context walker, cache keys, lint
        // (pure, no runtime yet: the executor that runs RUN through CNCRuntime comes on top).
        .target(name: "CNCBuild", dependencies: [
            "CNCCore", "CNCOCI", "CNCSystem",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CNCState", dependencies: ["CNCCore", "CSQLite"]),
        .target(name: "CNCCgroups", dependencies: ["CNCCore", "CNCSystem"]),
        // libsystemd (pkg-config libsystemd): sd-bus for the systemd cgroup driver.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The systemd cgroup driver (transient scopes over sd-bus) and the driver choice; kept out
        // of CNCCgroups so the static `cnc` front never links libsystemd.
        .target(name: "CNCSystemd", dependencies: ["CNCCore", "CNCSystem", "CNCCgroups", "CSystemd"]),
        // CNCNetwork runs nftables through a seam (NftablesRunner) and links no libnftables, so the
        // static front can attach containers to bridges; CNCNftables is libnftables in-process.
        .target(name: "CNCNetwork", dependencies: ["CNCCore", "CNCSystem", "CNCDNSCore", "CNCMonitorCore"]),
        .target(name: "CNCNftables", dependencies: ["CNCCore", "CNCSystem", "CNCNetwork", "CNftables"]),
        // CNCMonitorCore: state.json's time format, for runs without a monitor.
        .target(name: "CNCRuntime", dependencies: ["CNCCore", "CNCSystem", "CNCOCI", "CInit", "CNCCgroups", "CNCImageStore", "CNCMonitorCore"]),

        // Layer 4
        // The bridge driver behind the runtime's NetworkAttacher seam (the engine's and cnc-net's).
        .target(name: "CNCNetworkAttach", dependencies: ["CNCCore", "CNCSystem", "CNCNetwork", "CNCRuntime", "CNCStart"]),
        .target(name: "CNCEngine", dependencies: [
            "CNCCore", "CNCSystem", "CNCSpec", "CNCOCI", "CNCPlanner", "CNCState", "CNCImage", "CNCCgroups", "CNCNetwork", "CNCRuntime",
            "CNCNetworkAttach", "CNCSystemd", "CNCNftables", "CNCMonitorCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Dockerfile builds, executed: FROM, config instructions, RUN through CNCRuntime, COPY/ADD
        // into layers, the build cache (CNCBuild's pure parts underneath).
        .target(name: "CNCBuilder", dependencies: [
            "CNCCore", "CNCSystem", "CNCOCI", "CNCBuild", "CNCImage", "CNCImageStore", "CNCRuntime",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The container start path (`cnc run` / `create` without ArgumentParser), linked alone
        // into the lean `cnc` front: runtime and image-store reading only.
        .target(name: "CNCStart", dependencies: [
            "CNCCore", "CNCSystem", "CNCOCI", "CNCCgroups", "CNCRuntime", "CNCImageStore",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Layer 5: cncapply's commands (no registry client, so it starts without libcurl) and
        // cnc's, which add the image, container and network commands on top.
        .target(name: "CNCAppCLI", dependencies: [
            "CNCCore", "CNCSystem", "CNCEngine", "CNCSpec", "CNCOCI", "CNCPlanner", "CNCState", "CNCImage", "CNCRuntime", "CNCCgroups",
            "CNCStart", "CNCExport", "CNCBuild", "CNCBuilder", "CNCGitOps",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // cnc's registry commands, in their own executable (cnc-registry) so the HTTPS stack
        // loads only for them.
        .target(name: "CNCRegistryCLI", dependencies: [
            "CNCCore", "CNCAppCLI", "CNCSystem", "CNCOCI", "CNCImage", "CNCRegistry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "CNCCLI", dependencies: [
            "CNCCore", "CNCAppCLI", "CNCSystem", "CNCEngine", "CNCSpec", "CNCOCI", "CNCPlanner", "CNCState", "CNCImage", "CNCRuntime", "CNCCgroups", "CNCNetwork",
            "CNCStart", "CNCImageStore", "CNCNftables", "CNCBuild", "CNCBuilder",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Executables: @main only.
        // Release builds use --static-swift-stdlib (Makefile): `cnc` then starts in ~5 ms instead
        // of ~13 ms (dynamic Foundation + ICU relocations), most of a container's start.
        // `cnc` is a lean front for the container start path; every other command runs in
        // cnc-cli, which it execs (see CNCStart's StartPath).
        // Release with the StaticFront trait (the Makefile's): fully static (no dynamic loader,
        // ~0.7 ms less per start); its paths call nothing that needs NSS or dlopen. Plain
        // `swift build [-c release]` links it dynamically.
        .executableTarget(
            name: "cnc",
            dependencies: ["CNCStart", "CNCNetworkAttach"],
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(configuration: .release, traits: ["StaticFront"]))]
        ),
        .executableTarget(name: "cnc-cli", dependencies: ["CNCAppCLI", "CNCCLI"]),
        // libnftables for the static front: `cnc-net nft` runs the firewall changes a start needs;
        // `cnc-net forward` is rootless cnc's port forwarder for user networks (CNCSystem's PortForwarder).
        .executableTarget(name: "cnc-net", dependencies: ["CNCNftables", "CNCSystem"]),
        .executableTarget(name: "cncapply", dependencies: ["CNCAppCLI"]),
        .executableTarget(name: "cnc-registry", dependencies: ["CNCAppCLI", "CNCRegistryCLI"]),
        // The container's first process: Glibc only, linked statically so it runs in any rootfs.
        .executableTarget(
            name: "cnc-init",
            dependencies: ["CInit"],
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),

        // The per-container supervisor: Glibc only, static, small when idle.
        .executableTarget(
            name: "cnc-monitor",
            dependencies: ["CNCMonitorCore"],
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),

        // One network's DNS server: Glibc only, static, small when idle.
        .executableTarget(
            name: "cnc-dns",
            dependencies: ["CNCDNSCore"],
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),

        // Tests, in two tiers (ARCHITECTURE.md, "Tests"). Unit: CNC<Area>Tests — pure code and
        // temp directories only: no root, no kernel objects, no built executables, no servers or
        // outside tools (`make test-unit`). Integration: CNC<Area>IntegrationTests — the real
        // kernel, the built binaries, registries, CNI plugins, skopeo/umoci; CI runs them as root.
        // CNCTestSupport: helpers both tiers share (temp dirs, the CgroupManager contract).
        .target(
            name: "CNCTestSupport",
            dependencies: ["CNCCore", "CNCSystem", "CNCOCI", "CNCCgroups", "CNCImage", "CNCSystemd", "CNCNetwork", "CNCNftables"],
            path: "Tests/CNCTestSupport"
        ),
        .testTarget(name: "CNCCoreTests", dependencies: ["CNCCore"]),
        .testTarget(name: "CNCMonitorCoreTests", dependencies: ["CNCMonitorCore"]),
        .testTarget(name: "CNCDNSCoreTests", dependencies: ["CNCDNSCore"]),
        .testTarget(name: "CNCSystemTests", dependencies: ["CNCCore", "CNCSystem", "CShim"]),
        .testTarget(name: "CNCSystemIntegrationTests", dependencies: ["CNCCore", "CNCSystem"]),
        .testTarget(name: "CNCCgroupsTests", dependencies: ["CNCCore", "CNCSystem", "CNCCgroups", "CNCTestSupport"]),
        .testTarget(name: "CNCCgroupsIntegrationTests", dependencies: ["CNCCore", "CNCSystem", "CNCCgroups", "CNCSystemd", "CNCTestSupport"]),
        .testTarget(name: "CNCNetworkTests", dependencies: ["CNCCore", "CNCSystem", "CNCNetwork"]),
        .testTarget(name: "CNCNetworkIntegrationTests", dependencies: ["CNCCore", "CNCSystem", "CNCNetwork", "CNCDNSCore", "CNCNftables"]),
        .testTarget(name: "CNCOCITests", dependencies: ["CNCCore", "CNCOCI"]),
        .testTarget(
            name: "CNCImageTests",
            dependencies: ["CNCCore", "CNCOCI", "CNCSystem", "CNCImage", "CNCRegistry", "CNCTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "CNCImageIntegrationTests",
            dependencies: ["CNCCore", "CNCOCI", "CNCSystem", "CNCImage", "CNCRegistry", "CNCTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "CNCBuildTests", dependencies: ["CNCCore", "CNCOCI", "CNCSystem", "CNCBuild", "CNCTestSupport"]),
        .testTarget(name: "CNCPlannerTests", dependencies: ["CNCCore", "CNCPlanner"]),
        .testTarget(name: "CNCGitOpsTests", dependencies: ["CNCCore", "CNCGitOps", "CNCSystem", "CNCTestSupport"]),
        .testTarget(name: "CNCExportTests", dependencies: ["CNCCore", "CNCSpec", "CNCExport"]),
        .testTarget(name: "CNCStateTests", dependencies: ["CNCCore", "CNCState", "CNCSystem"]),
        .testTarget(name: "CNCEngineTests", dependencies: ["CNCCore", "CNCPlanner", "CNCSpec", "CNCState", "CNCEngine"]),
        .testTarget(name: "CNCSpecTests", dependencies: ["CNCCore", "CNCSpec", "CNCTestSupport"]),
        .testTarget(name: "CNCRuntimeTests", dependencies: ["CNCCore", "CNCRuntime", "CNCSystem", "CNCImageStore"]),
        .testTarget(name: "CNCRuntimeIntegrationTests", dependencies: ["CNCCore", "CNCRuntime", "CNCSystem", "CNCImageStore", "CNCTestSupport"]),
        .testTarget(name: "CNCCLITests", dependencies: ["CNCCore", "CNCCLI", "CNCAppCLI", "CNCRegistryCLI", "CNCEngine", "CNCState", "CNCStart", "CNCSystem",
                                                     "CNCSpec", "CNCBuild", "CNCBuilder"]),
        .testTarget(name: "CNCCLIIntegrationTests", dependencies: ["CNCCore", "CNCCLI", "CNCGitOps", "CNCBuilder", "CNCAppCLI", "CNCEngine", "CNCImage", "CNCNetwork", "CNCPlanner", "CNCRuntime", "CNCSpec", "CNCState", "CNCStart", "CNCSystem", "CNCTestSupport"],
                    exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
