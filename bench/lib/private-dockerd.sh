# Sourced by benchmarks that compare with Docker: starts a private dockerd (its own data root,
# exec root and socket under $1; no iptables rules, so nothing is left in the host's tables and
# the peer does less work per container than a stock daemon — ratios against it are
# conservative) and exports DOCKER_HOST. `private_dockerd_stop` stops it by pid and unmounts
# what it mounted. Needs Debian's docker.io (dockerd + containerd); `make bench` installs it.
private_dockerd_start() {
  local dir=$1
  command -v dockerd >/dev/null || { echo "private-dockerd: dockerd not installed (apt-get install docker.io)" >&2; return 1; }
  mkdir -p "$dir/data" "$dir/exec"
  PRIVATE_DOCKERD_DIR=$dir
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" --iptables=false --ip6tables=false --ip-masq=false \
    --bridge=none --storage-driver overlay2 >"$dir/dockerd.log" 2>&1 &
  PRIVATE_DOCKERD_PID=$!
  export DOCKER_HOST="unix://$dir/docker.sock"
  local i
  for i in $(seq 1 200); do
    docker version >/dev/null 2>&1 && return 0
    kill -0 "$PRIVATE_DOCKERD_PID" 2>/dev/null || { echo "private-dockerd: dockerd exited:" >&2; tail -5 "$dir/dockerd.log" >&2; return 1; }
    sleep 0.1
  done
  echo "private-dockerd: no answer after 20 s" >&2; return 1
}

private_dockerd_stop() {
  [ -n "${PRIVATE_DOCKERD_PID:-}" ] || return 0
  docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network prune -f >/dev/null 2>&1 || true
  kill "$PRIVATE_DOCKERD_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 150); do kill -0 "$PRIVATE_DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PRIVATE_DOCKERD_PID" 2>/dev/null || true
  wait "$PRIVATE_DOCKERD_PID" 2>/dev/null || true
  # Everything dockerd and its containerd mounted lives under the private directory.
  grep -F " $PRIVATE_DOCKERD_DIR/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  unset DOCKER_HOST PRIVATE_DOCKERD_PID
}
