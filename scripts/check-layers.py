#!/usr/bin/env python3
"""Checks that every target depends on and imports only what its layer allows (ARCHITECTURE.md).

Rules:
- A library target may depend on / import targets of a lower layer, or the same-layer targets
  listed in SAME_LAYER (explicit, reviewed edges such as CNCRuntime -> CNCCgroups).
- Only CNCSystem, CNCMonitorCore and CNCDNSCore (and the Glibc-only executables) import Glibc among
  library targets; CNCMonitorCore, CNCDNSCore, cnc-init, cnc-monitor and cnc-dns never import Foundation.
- An `import X` of a project target must be a declared dependency.
- Executables contain only a main.swift (they are @main-only shims) of at most a screenful
  (MAIN_SWIFT_MAX_LINES); longer logic belongs in the matching library target.
- The lists below name real targets and real dependency edges only: a name that is not a target
  in Package.swift (a phantom), or a library target without a layer, fails the check.
- Test-support libraries (regular targets under Tests/) are checked like test targets: they may
  use any library target.
"""
import json
import os
import re
import subprocess
import sys

LAYERS = {
    "CNCCore": 0,
    "CNCSpec": 1, "CNCOCI": 1, "CShim": 1, "CNCSystem": 1, "CNCMonitorCore": 1, "CNCDNSCore": 1,
    "CNCPlanner": 2, "CNCExport": 2, "CNCImageStore": 2, "CNCGitOps": 2,
    "CNCState": 3, "CNCImage": 3, "CNCRegistry": 3,
    "CNCCgroups": 3, "CNCSystemd": 3, "CNCRuntime": 3, "CNCNetwork": 3, "CNCNftables": 3, "CNCBuild": 3,
    "CNCEngine": 4, "CNCStart": 4, "CNCNetworkAttach": 4, "CNCBuilder": 4,
    "CNCAppCLI": 5,
    "CNCRegistryCLI": 5,
    "CNCCLI": 5,
}
# Same-layer edges, each a deliberate design choice.
SAME_LAYER = {
    ("CNCCLI", "CNCAppCLI"), ("CNCRegistryCLI", "CNCAppCLI"),
    ("CNCSystem", "CShim"), ("CNCMonitorCore", "CShim"), ("CNCSpec", "CYAML"),
    ("CNCRuntime", "CNCCgroups"), ("CNCSystemd", "CNCCgroups"),
    ("CNCRegistry", "CNCImage"),
    ("CNCNftables", "CNCNetwork"),
    ("CNCEngine", "CNCNetworkAttach"), ("CNCNetworkAttach", "CNCStart"),
}
# C modules (system libraries through pkg-config, and C targets) sit at layer 1 under any name
# starting with "C"; a Swift target must be listed in LAYERS.
GLIBC_IMPORTERS = {"CNCSystem", "CNCMonitorCore", "CNCDNSCore"}
# Resident or static processes: Glibc only, never Foundation (nor anything that pulls it in).
GLIBC_ONLY = {"cnc-init", "cnc-monitor", "CNCMonitorCore", "cnc-dns", "CNCDNSCore"}
# An executable's main.swift is a screenful: parse nothing, decide nothing, call a library.
MAIN_SWIFT_MAX_LINES = 40


def is_swift(root, t) -> bool:
    src = os.path.join(root, t.get("path") or f"Sources/{t['name']}")
    return t["type"] != "system" and any(f.endswith(".swift") for _, _, fs in os.walk(src) for f in fs)


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dump = json.loads(subprocess.check_output(["swift", "package", "dump-package"], cwd=root))
    targets = {t["name"]: t for t in dump["targets"]}
    errors = [f"{name}: listed in LAYERS but not a target of Package.swift" for name in LAYERS if name not in targets]

    def is_test_support(t):
        return t["type"] == "regular" and (t.get("path") or "").startswith("Tests/")

    # The lists of this script against Package.swift: no phantoms.
    for name in LAYERS:
        if name not in targets:
            errors.append(f"{name}: in LAYERS but not a target in Package.swift (remove it, or add the target)")
    for a, b in sorted(SAME_LAYER):
        if a not in targets or b not in targets:
            errors.append(f"same-layer edge {a} -> {b} names a target Package.swift does not have")
        elif b not in {d[kind][0] for d in targets[a].get("dependencies", []) for kind in ("byName", "target") if kind in d}:
            errors.append(f"same-layer edge {a} -> {b} is allowed here but {a} does not depend on {b}: remove the allowance")
    for name in GLIBC_IMPORTERS | GLIBC_ONLY:
        if name not in targets:
            errors.append(f"{name}: named here but not a target in Package.swift")

    def deps_of(t):
        out = []
        for d in t.get("dependencies", []):
            for kind in ("byName", "target", "product"):
                if kind in d:
                    out.append((kind, d[kind][0]))
        return out

    for name, t in targets.items():
        kind = t["type"]
        if kind == "test" or is_test_support(t):
            continue
        declared = {d for _, d in deps_of(t)}
        # Only C targets (no Swift source: CShim, CArchive, ...) sit at layer 1 without a listing;
        # a Swift library target without a layer is an error, whatever its name.
        if kind == "regular" and name not in LAYERS and (is_swift(root, t) or not name.startswith("C")):
            errors.append(f"{name}: library target without a layer in scripts/check-layers.py")
        if kind == "system":
            continue
        layer = LAYERS.get(name, 1 if name.startswith("C") and kind == "regular" else 99)
        for _, dep in deps_of(t):
            if dep not in targets:
                continue  # an external product
            if targets[dep]["type"] == "system":
                continue  # a system library (pkg-config) is a leaf below every layer
            dep_layer = LAYERS.get(dep, 1 if dep.startswith("C") else 99)
            if kind == "executable":
                continue
            if dep_layer > layer or (dep_layer == layer and (name, dep) not in SAME_LAYER):
                errors.append(f"{name} (layer {layer}) must not depend on {dep} (layer {dep_layer})")
        # A Glibc-only target links only C and other Glibc-only targets (a Swift library
        # that imports Foundation would pull it into a static, resident binary).
        if name in GLIBC_ONLY:
            for _, dep in deps_of(t):
                if dep in targets and dep not in GLIBC_ONLY and is_swift(root, targets[dep]):
                    errors.append(f"{name} is Glibc-only and must not depend on the Swift target {dep}")
        # Imports must be declared and layer-clean.
        src = os.path.join(root, t.get("path") or f"Sources/{name}")
        for dirpath, _, files in os.walk(src):
            for f in files:
                if not f.endswith(".swift"):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as fh:
                    for lineno, line in enumerate(fh, 1):
                        m = re.match(r"\s*(?:@[\w()]+\s+)*import\s+(?:\w+\s+)?(\w+)", line)
                        if not m:
                            continue
                        mod = m.group(1)
                        if mod == "Glibc" and kind != "executable" and name not in GLIBC_IMPORTERS:
                            errors.append(f"{rel}:{lineno}: only CNCSystem imports Glibc (add a wrapper there)")
                        if mod == "Foundation" and name in GLIBC_ONLY:
                            errors.append(f"{rel}:{lineno}: {name} is Glibc-only; Foundation is not allowed")
                        if mod in targets and mod not in declared and mod != name:
                            errors.append(f"{rel}:{lineno}: imports {mod}, which {name} does not declare as a dependency")
                if kind == "executable" and f != "main.swift":
                    errors.append(f"{rel}: executables hold only main.swift; move code into a library target")
                if kind == "executable" and f == "main.swift":
                    with open(path, encoding="utf-8") as fh:
                        lines = sum(1 for _ in fh)
                    if lines > MAIN_SWIFT_MAX_LINES:
                        errors.append(f"{rel}: {lines} lines; an executable's main.swift is at most {MAIN_SWIFT_MAX_LINES} "
                                      "(move the logic into the matching library target)")
    for e in errors:
        print("layering:", e, file=sys.stderr)
    if not errors:
        print(f"layering: {len(targets)} targets checked, all imports within their layers, every main.swift a screenful")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
