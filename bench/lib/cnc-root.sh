# Sourced by benchmarks: `cnc_root_clear BIN ROOT [APP...]` takes every app down, removes every
# container and every network of a state root (network prune keeps the default network, as
# docker's does; its bridge must go with the root), so no bridge, veth or nft table outlives a run.
cnc_root_clear() {
  local bin=$1 root=$2 app ids n
  shift 2
  for app in "$@"; do "$bin/cncapply" down --root "$root" -p "$app" -t 0 >/dev/null 2>&1 || true; done
  ids=$("$bin/cnc" ps -aq --no-trunc --root "$root" 2>/dev/null || true)
  [ -n "$ids" ] && { "$bin/cnc" rm -f --root "$root" $ids >/dev/null 2>&1 || true; }
  for n in $("$bin/cnc" network ls -q --root "$root" 2>/dev/null || true); do
    "$bin/cnc" network rm --root "$root" "$n" >/dev/null 2>&1 || true
  done
}
