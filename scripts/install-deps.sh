#!/usr/bin/env bash
# Installs the Debian packages cnc builds and tests with — only those missing, without asking.
# Runs `apt-get update` once, and only when something has to be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  pkg-config
  libyaml-dev          # YAML through the system libyaml (CNCSpec)
  libsystemd-dev       # the systemd cgroup driver over sd-bus
  libseccomp-dev       # the default seccomp profile
  libcurl4-openssl-dev # static-stdlib release builds: FoundationNetworking links libcurl
  libarchive-dev       # layer tars
  libsqlite3-dev sqlite3  # state.db
  zlib1g-dev libzstd-dev
  libnl-route-3-dev    # rtnetlink for the bridge driver
  libnftables-dev nftables
  busybox-static       # the test base image
  containernetworking-plugins iptables
  docker-registry      # a real OCI registry for push/pull tests
  docker.io            # a real Docker Swarm for the export end-to-end test (a private dockerd)
  skopeo umoci         # peers that must read cnc's image store
  runc crun            # peers for runtime benchmarks
  systemd dbus python3-dbus  # a real systemd for the systemd driver tests
  hyperfine docker-compose   # benchmarks against the peers
  python3-jsonschema python3-yaml
  util-linux iproute2 curl procps
  gcc libc6-dev        # the httpserver example is a static C binary
  mmdebstrap           # the examples' toolchain image from Debian's packages (make-toolchain-image.sh)
  zstd                 # zstd layers in the hostile-tar corpus
  age                  # encrypted secrets (.env.enc, *.enc): cncapply decrypts with age -d
  git                  # cncapply sync follows git repositories with the system git
  uidmap               # rootless cnc: newuidmap and newgidmap (setuid) map the user's /etc/subuid ranges
  passt                # rootless cnc's default network: pasta (podman 5's), ports forwarded from the host
)

# Debian's dockerd and containerd also serve the side-by-side benchmarks (`make bench`), as a
# private daemon for docker-compose (bench/lib/private-dockerd.sh).

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The schema checks use python3's jsonschema and yaml modules. The python3 on PATH may not be
# Debian's (pyenv); make sure the one we call has them.
if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
  python3 -m pip install -q jsonschema pyyaml
fi

# The export checks (scripts/checks/export-validate.sh): kubernetes-validate (PyPI) in a
# project-local virtualenv, and Debian's kubernetes-client (kubectl 1.20, for `kubectl kustomize`)
# unpacked into .tools/: the package conflicts with a kubectl the host may already have.
# Both directories are git-ignored.
if [[ ! -x .venv/bin/kubernetes-validate ]]; then
  echo "install-deps: kubernetes-validate into .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q kubernetes-validate
fi
if [[ ! -x .tools/kubernetes-client/usr/bin/kubectl ]]; then
  echo "install-deps: Debian's kubernetes-client into .tools/kubernetes-client"
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download kubernetes-client >/dev/null 2>&1); then
    [[ $(id -u) -eq 0 ]] && apt-get update -qq
    (cd "$tmp" && apt-get download kubernetes-client >/dev/null)
  fi
  mkdir -p .tools/kubernetes-client
  dpkg-deb -x "$tmp"/kubernetes-client_*.deb .tools/kubernetes-client
  rm -rf "$tmp"
fi
