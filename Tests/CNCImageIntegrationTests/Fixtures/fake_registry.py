#!/usr/bin/env python3
"""A deliberately difficult registry for client tests, on 127.0.0.1 (a free port, printed on stdout).

- /v2/ and everything under it wants a Bearer token; /token hands one out for Basic user:secret.
- The first GET of the manifest answers 503 (retry with backoff).
- The first GET of the layer blob sends half the bytes, then drops the connection; the client
  must resume with a Range request. /stats reports what happened, as JSON.

With the argument "stall": no auth, no 503, and every GET of the layer sends half the bytes
and then nothing more, the connection held open (the client must time out on its own).
Prints "PORT MANIFEST_DIGEST LAYER_DIGEST".
"""
import gzip
import hashlib
import io
import json
import socket
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as tf:
    data = (b"resumable layer content\n" * 40000)
    ti = tarfile.TarInfo("hello.txt"); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
tar = buf.getvalue()
layer = gzip.compress(tar, compresslevel=1)
def sha(b): return "sha256:" + hashlib.sha256(b).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["cat", "/hello.txt"]},
                     "rootfs": {"type": "layers", "diff_ids": [sha(tar)]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config), "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(layer), "size": len(layer)}]}).encode()
blobs = {sha(config): config, sha(layer): layer}
STALL = sys.argv[1:] == ["stall"]
never = threading.Event()
stats = {"manifest_gets": 0, "layer_gets": 0, "ranges": [], "token_requests": 0, "unauthorized": 0}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path.startswith("/stats"):
            return self.send(200, json.dumps(stats).encode())
        if self.path.startswith("/token"):
            stats["token_requests"] += 1
            import base64
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"user:secret").decode():
                return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return self.send(200, json.dumps({"token": "good-token"}).encode())
        if self.headers.get("Authorization") != "Bearer good-token" and not STALL:
            stats["unauthorized"] += 1
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
                "WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{port}/token",service="fake",scope="repository:test/app:pull"'})
        if self.path == "/v2/":
            return self.send(200, b"{}")
        if self.path == "/v2/test/app/manifests/v1" or self.path == "/v2/test/app/manifests/" + sha(manifest):
            stats["manifest_gets"] += 1
            if stats["manifest_gets"] == 1 and not STALL:
                return self.send(503, b'{"errors":[{"code":"UNAVAILABLE"}]}')
            return self.send(200, manifest, {"Content-Type": "application/vnd.oci.image.manifest.v1+json",
                                             "Docker-Content-Digest": sha(manifest)})
        for d, b in blobs.items():
            if self.path == f"/v2/test/app/blobs/{d}":
                if b is layer and self.command == "GET":
                    stats["layer_gets"] += 1
                    rng = self.headers.get("Range")
                    if rng and not STALL:
                        stats["ranges"].append(rng)
                        start = int(rng.split("=")[1].split("-")[0])
                        return self.send(206, b[start:], {"Content-Range": f"bytes {start}-{len(b)-1}/{len(b)}"})
                    if stats["layer_gets"] == 1 or STALL:
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(b)))
                        self.end_headers()
                        self.wfile.write(b[: len(b) // 2])
                        self.wfile.flush()
                        if STALL:
                            never.wait()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                return self.send(200, b)
        return self.send(404, b'{"errors":[{"code":"NOT_FOUND"}]}')


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(srv.server_address[1], sha(manifest), sha(layer), flush=True)
srv.serve_forever()
