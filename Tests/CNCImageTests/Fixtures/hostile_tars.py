#!/usr/bin/env python3
"""Writes the hostile-layer corpus: one tar per case into OUTDIR (argv[1]); argv[2] is a host
directory with a file named "file" that the cases aim at.

Each case's expected verdict lives in the Swift test table (LayerUnpackerTests), keyed by the
file name. Tars are generated, never committed as binaries.
"""
import gzip
import io
import os
import sys
import tarfile

OUT = sys.argv[1]
# A host directory (holding "file") that no case may touch.
HOST = sys.argv[2]


def info(name, type=tarfile.REGTYPE, size=0, **kw):
    t = tarfile.TarInfo(name)
    t.type = type
    t.size = size
    t.mode = kw.pop("mode", 0o644 if type != tarfile.DIRTYPE else 0o755)
    t.mtime = 1700000000
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def write(name, entries, fmt=tarfile.PAX_FORMAT, compress=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            if isinstance(e, tuple):
                ti, data = e
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(e)
    data = buf.getvalue()
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "zstd":
        import subprocess
        data = subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    return data


def ok_tree():
    return [info("etc", tarfile.DIRTYPE), (info("etc/hello", size=5), b"hello"),
            info("bin", tarfile.DIRTYPE), (info("bin/busybox", size=3, mode=0o4755), b"bin"),
            info("bin/sh", tarfile.SYMTYPE, linkname="busybox"),
            info("bin/ls", tarfile.LNKTYPE, linkname="bin/busybox")]


write("ok-plain.tar", ok_tree())
write("ok-gzip.tar.gz", ok_tree(), compress="gzip")
write("ok-zstd.tar.zst", ok_tree(), compress="zstd")
# Some tools omit the end-of-archive blocks: tolerated.
raw = write("tmp.tar", ok_tree(), fmt=tarfile.USTAR_FORMAT)
os.unlink(os.path.join(OUT, "tmp.tar"))
while raw.endswith(b"\0" * 512):
    raw = raw[:-512]
open(os.path.join(OUT, "ok-no-end-marker.tar"), "wb").write(raw)

write("dotdot.tar", [(info("../escape", size=1), b"x")])
write("dotdot-nested.tar", [(info("a/../../escape", size=1), b"x")])
write("absolute.tar", [(info("/etc/cnc-absolute", size=1), b"x")])
# PAX 'path' record overrides the ustar name with an escaping path.
t = info("innocent", size=1)
t.pax_headers = {"path": "../../pax-escape"}
write("pax-path-escape.tar", [(t, b"x")])
# Write through a symlink that points out of the root (absolute and relative): resolved in the root.
write("symlink-abs-dir.tar", [info("evil", tarfile.SYMTYPE, linkname=HOST), (info("evil/pwned", size=1), b"x")])
write("symlink-rel-dir.tar", [info("evil", tarfile.SYMTYPE, linkname="../../../../../.." + HOST), (info("evil/pwned", size=1), b"x")])
# A symlink to "/" then a file through it lands inside the root (RESOLVE_IN_ROOT semantics).
write("symlink-root-inside.tar", [info("lnk", tarfile.SYMTYPE, linkname="/"), (info("lnk/inside", size=2), b"ok")])
write("hardlink-abs.tar", [info("h", tarfile.LNKTYPE, linkname=HOST + "/file")])
write("hardlink-dotdot.tar", [info("h", tarfile.LNKTYPE, linkname="../../../../../.." + HOST + "/file")])
write("hardlink-missing.tar", [info("h", tarfile.LNKTYPE, linkname="nothere")])
write("hardlink-through-symlink.tar", [info("d", tarfile.SYMTYPE, linkname=HOST), info("h", tarfile.LNKTYPE, linkname="d/file")])
write("device-node.tar", [info("sda", tarfile.BLKTYPE, devmajor=8, devminor=0), info("null", tarfile.CHRTYPE, devmajor=1, devminor=3),
                          (info("keep", size=1), b"k")])
write("wh-empty.tar", [info("a/.wh.")])
write("wh-dot.tar", [info("a/.wh..")])
write("wh-dotdot.tar", [info("a/.wh...")])
write("whiteouts.tar", [info("gone-dir", tarfile.DIRTYPE), info(".wh.removed"), info("keepdir", tarfile.DIRTYPE),
                        info("keepdir/.wh..wh..opq"), info(".wh.recreated"), info("recreated", tarfile.DIRTYPE),
                        info(".wh..wh.plnk", tarfile.DIRTYPE)])
# Header says 1 MiB, the archive ends after 10 bytes.
data = write("tmp2.tar", [(info("big", size=1 << 20), b"\0" * (1 << 20))], fmt=tarfile.USTAR_FORMAT)
os.unlink(os.path.join(OUT, "tmp2.tar"))
open(os.path.join(OUT, "size-lie-truncated.tar"), "wb").write(data[:512 + 10])
# Header says 4 bytes, 1024 bytes of junk follow: the next "header" is garbage.
hdr = info("small", size=4).tobuf(format=tarfile.USTAR_FORMAT)
open(os.path.join(OUT, "size-lie-short.tar"), "wb").write(hdr + b"\x41" * 1024 + b"\0" * 1024)
# GNU/PAX sparse entry claiming 1 TiB (PAX 1.0 sparse: map + realsize).
sparse_map = (b"1\n" + str((1 << 40) - 10).encode() + b"\n10\n").ljust(512, b"\0")
t = info("GNUSparseFile.0/huge", size=512 + 10)
t.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "huge",
                 "GNU.sparse.realsize": str(1 << 40)}
write("sparse-huge.tar", [(t, sparse_map + b"x" * 10)])
# Three 4 MiB files against a 10 MiB cap.
write("over-cap.tar", [(info("f%d" % i, size=4 << 20), b"\1" * (4 << 20)) for i in range(3)])
# trusted.* xattrs (a forged overlay opaque marker) are dropped; user.* kept.
t = info("xdir", tarfile.DIRTYPE)
t.pax_headers = {"SCHILY.xattr.trusted.overlay.opaque": "y", "SCHILY.xattr.user.note": "hi"}
write("xattr-trusted.tar", [t])
