#!/usr/bin/env python3
"""Checks that every target depends on and imports only what its layer allows (ARCHITECTURE.md).

Rules:
- A library target may depend on / import targets of a lower layer, or the same-layer targets
  listed in SAME_LAYER (explicit, reviewed edges such as CNCRuntime -> CNCCgroups).
- Only CNCSystem (and the Glibc-only executables) import Glibc among library targets.
- An `import X` of a project target must be a declared dependency.
- Executables contain only a main.swift (they are @main-only shims).
"""
import json
import os
import re
import subprocess
import sys

LAYERS = {
    "CNCCore": 0,
    "CNCSpec": 1, "CNCOCI": 1, "CShim": 1, "CNCSystem": 1,
    "CNCPlanner": 2, "CNCImageStore": 2,
    "CNCState": 3, "CNCImage": 3, "CNCRegistry": 3,
    "CNCCgroups": 3, "CNCRuntime": 3, "CNCNetwork": 3,
    "CNCEngine": 4, "CNCStart": 4, "CNCNetworkAttach": 4,
    "CNCAppCLI": 5,
    "CNCRegistryCLI": 5,
    "CNCCLI": 5,
}
# Same-layer edges, each a deliberate design choice.
SAME_LAYER = {
    ("CNCCLI", "CNCAppCLI"), ("CNCRegistryCLI", "CNCAppCLI"),
    ("CNCSystem", "CShim"), ("CNCSpec", "CYAML"),
    ("CNCRuntime", "CNCCgroups"), ("CNCRuntime", "CNCImage"), ("CNCRuntime", "CNCNetwork"),
    ("CNCRegistry", "CNCImage"), ("CNCState", "CNCImage"), ("CNCEngine", "CNCNetworkAttach"), ("CNCNetworkAttach", "CNCStart"),
}
# C system-library modules (pkg-config) may sit at layer 1 under any name starting with "C".
GLIBC_IMPORTERS = {"CNCSystem"}
EXECUTABLES_GLIBC_ONLY = {"cnc-init", "cnc-monitor"}


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dump = json.loads(subprocess.check_output(["swift", "package", "dump-package"], cwd=root))
    targets = {t["name"]: t for t in dump["targets"]}
    errors = [f"{name}: listed in LAYERS but not a target of Package.swift" for name in LAYERS if name not in targets]

    def deps_of(t):
        out = []
        for d in t.get("dependencies", []):
            for kind in ("byName", "target", "product"):
                if kind in d:
                    out.append((kind, d[kind][0]))
        return out

    for name, t in targets.items():
        kind = t["type"]
        if kind == "test":
            continue
        declared = {d for _, d in deps_of(t)}
        if kind in ("regular",) and name not in LAYERS and not name.startswith("C"):
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
                        if mod == "Foundation" and name in EXECUTABLES_GLIBC_ONLY:
                            errors.append(f"{rel}:{lineno}: {name} is Glibc-only; Foundation is not allowed")
                        if mod in targets and mod not in declared and mod != name:
                            errors.append(f"{rel}:{lineno}: imports {mod}, which {name} does not declare as a dependency")
                if kind == "executable" and f != "main.swift":
                    errors.append(f"{rel}: executables hold only main.swift; move code into a library target")
    for e in errors:
        print("layering:", e, file=sys.stderr)
    if not errors:
        print(f"layering: {len(targets)} targets checked, all imports within their layers")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
