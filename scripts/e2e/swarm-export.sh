#!/usr/bin/env bash
# End to end on a real Docker Swarm: exports a two-service app (a web server on a published
# port, a client that reaches it by service name) with `cncapply export --to swarm
# --image-registry --push`, deploys it with `docker stack deploy`, checks both, and removes
# everything it started. Runs as root; needs Debian's docker.io and docker-registry.
#
# What works on this kernel (../shared/notes/export.md): a private dockerd inside a network
# namespace made here (entered with nsenter + unshare --mount: `ip netns exec` remounts /sys and
# dockerd dies), the swarm advertised on a veth address in 198.18.0.0/15 (loopback is refused),
# no IPVS, so the app uses `endpoint_mode: dnsrr` and `mode: host` ports.
#
# Usage: swarm-export.sh BIN_DIR   (the directory of cnc and cncapply)
set -euo pipefail
bin=$(cd "${1:?usage: swarm-export.sh BIN_DIR}" && pwd)
[[ $(id -u) -eq 0 ]] || { echo "swarm-export: needs root" >&2; exit 1; }
for t in /usr/sbin/dockerd /usr/bin/docker /usr/bin/docker-registry /bin/busybox; do
  [[ -x $t ]] || { echo "swarm-export: $t is missing" >&2; exit 1; }
done
docker=/usr/bin/docker   # Debian's client, the daemon's version

id=$$
ns=cnc-swarm-$id
veth=cncsw$id
dir=$(mktemp -d /tmp/cnc-swarm.XXXXXX)
sock=$dir/docker.sock
dockerd_pid= registry_pid=
in_ns() { nsenter --net=/run/netns/$ns "$@"; }
d() { in_ns env DOCKER_HOST=unix://$sock $docker "$@"; }

cleanup() {
  set +e
  if [[ -S $sock ]]; then
    d stack rm hello >/dev/null 2>&1
    for _ in $(seq 1 60); do [[ -z $(d ps -aq 2>/dev/null) ]] && break; sleep 0.5; done
    d swarm leave --force >/dev/null 2>&1
  fi
  for pid in $registry_pid $dockerd_pid; do
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  # containerd-shims outlive a killed dockerd: they are ours by their socket under $dir.
  for p in $(pgrep -f "containerd-shim.*$dir" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  grep -F " $dir/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  ip netns del $ns 2>/dev/null
  ip link del $veth 2>/dev/null
  for c in /sys/fs/cgroup/*/cnc-swarm-$id; do [[ -d $c ]] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT

step() { echo "swarm-export: $*"; }

# A network namespace with loopback and one veth end carrying the advertise address.
ip netns add $ns
ip link add $veth type veth peer name eth0 netns $ns
ip link set $veth up
ip -n $ns link set lo up
ip -n $ns addr add 198.18.$((id % 250)).2/24 dev eth0
ip -n $ns link set eth0 up
advertise=198.18.$((id % 250)).2

# The registry on the namespace's 127.0.0.1.
port=5000
cat >"$dir/registry.yml" <<YML
version: 0.1
storage: { filesystem: { rootdirectory: $dir/registry } }
http: { addr: 127.0.0.1:$port }
log: { level: error }
YML
# nsenter and unshare exec what they run, so $! is the server's own pid (a shell function in the
# background would be a subshell whose death leaves the server running).
nsenter --net=/run/netns/$ns /usr/bin/docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
registry_pid=$!

# A private dockerd in that namespace (its own mount namespace, data and exec roots, cgroups).
mkdir -p "$dir/data" "$dir/exec"
nsenter --net=/run/netns/$ns unshare --mount --propagation slave /usr/sbin/dockerd --data-root "$dir/data" --exec-root "$dir/exec" \
  --pidfile "$dir/dockerd.pid" -H "unix://$sock" --cgroup-parent "/cnc-swarm-$id" >"$dir/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 300); do d version >/dev/null 2>&1 && break; kill -0 $dockerd_pid 2>/dev/null || { tail -5 "$dir/dockerd.log" >&2; exit 1; }; sleep 0.1; done
d version >/dev/null || { echo "swarm-export: dockerd did not answer" >&2; tail -5 "$dir/dockerd.log" >&2; exit 1; }
step "dockerd up; swarm init on $advertise"
d swarm init --advertise-addr "$advertise" >/dev/null

# The app: busybox as a local image in a temp cnc root, exported and pushed.
root=$dir/cnc
python3 - "$dir/web.tar" <<'PY'
import subprocess, sys, tarfile
t = tarfile.open(sys.argv[1], 'w')
t.add('/bin/busybox', arcname='bin/busybox')
for a in subprocess.check_output(['/bin/busybox', '--list']).decode().split():
    if a == 'busybox': continue
    i = tarfile.TarInfo('bin/' + a); i.type = tarfile.SYMTYPE; i.linkname = '/bin/busybox'; t.addfile(i)
for d in ['tmp', 'www']:
    i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o1777; t.addfile(i)
t.close()
PY
"$bin/cnc" import --root "$root" -c "ENV PATH=/bin" "$dir/web.tar" hello-web:1 >/dev/null
mkdir -p "$dir/app"
cat >"$dir/app/app.yaml" <<'YML'
name: hello
services:
  web:
    image: hello-web:1
    command: ["sh", "-c", "echo hello from web > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
      - target: 8080
        published: 18080
        mode: host
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 2s
    deploy:
      endpoint_mode: dnsrr
  client:
    image: hello-web:1
    command: ["sh", "-c", "while true; do wget -q -O - http://web:8080/ && sleep 30 || sleep 1; done"]
    depends_on: [web]
    deploy:
      endpoint_mode: dnsrr
YML
step "export --to swarm --image-registry 127.0.0.1:$port --push"
(cd "$dir/app" && in_ns "$bin/cncapply" export --root "$root" --to swarm --image-registry 127.0.0.1:$port --push -o "$dir/stack")
grep -q "image: \"127.0.0.1:$port/hello-web:1@sha256:" "$dir/stack/stack.yaml" || { echo "swarm-export: the stack file does not pin the pushed image" >&2; cat "$dir/stack/stack.yaml" >&2; exit 1; }

step "docker stack deploy"
d stack deploy --prune -c "$dir/stack/stack.yaml" hello
web_ok= client_ok=
for _ in $(seq 1 240); do
  [[ -z $web_ok ]] && in_ns wget -q -T 2 -O - http://127.0.0.1:18080/ 2>/dev/null | grep -q "hello from web" && web_ok=1
  [[ -z $client_ok ]] && d service logs --raw hello_client 2>/dev/null | grep -q "hello from web" && client_ok=1
  [[ -n $web_ok && -n $client_ok ]] && break
  sleep 0.5
done
d service ls
[[ -n $web_ok ]] || { echo "swarm-export: web did not answer on its published port" >&2; d service ps --no-trunc hello_web >&2; exit 1; }
[[ -n $client_ok ]] || { echo "swarm-export: the client never reached web by name" >&2; d service ps --no-trunc hello_client >&2; exit 1; }
step "web answers on its published port; the client reached web by service name"
step "ok"
