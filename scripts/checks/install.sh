#!/usr/bin/env bash
# `make install DESTDIR=... INSTALL_FROM=.build/debug` (the debug build: a release build takes
# minutes here, so this check installs the debug build; the release path differs only in the
# build step before scripts/install.sh): every executable lands
# in $PREFIX/bin and the installed front reaches its helpers there; completions and a man page
# per command are installed and valid; `make uninstall` removes all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .build/debug/cnc-cli ] || { echo "install: build first (.build/debug)" >&2; exit 1; }

dest=$(mktemp -d /tmp/cnc-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
prefix=/usr/local
make -s install DESTDIR="$dest" PREFIX="$prefix" INSTALL_FROM=.build/debug >/dev/null
p=$dest$prefix
fail() { echo "install: $*" >&2; exit 1; }

for b in cnc cnc-cli cnc-net cncapply cnc-registry cnc-init cnc-monitor cnc-dns; do [ -x "$p/bin/$b" ] || fail "bin/$b missing"; done
# The front hands `version` to the cnc-cli beside it: the installed layout works.
"$p/bin/cnc" version | grep -q '^cnc version ' || fail "installed cnc version failed"
"$p/bin/cncapply" ls --root "$dest/root" | grep -q '^NAME' || fail "installed cncapply ls failed"
bash -n "$p/share/bash-completion/completions/cnc" && bash -n "$p/share/bash-completion/completions/cncapply"
[ -s "$p/share/zsh/site-functions/_cnc" ] && [ -s "$p/share/fish/vendor_completions.d/cncapply.fish" ] || fail "zsh/fish completions missing"
for page in cnc cnc-run cnc-network-create cnc-completion cncapply cncapply-ls cncapply-validate; do
  f=$p/share/man/man1/$page.1
  [ -s "$f" ] || fail "man page $page.1 missing"
  grep -q '^\.Dt ' "$f" || fail "$page.1 is not an mdoc page"
done
grep -q 'EXAMPLES' "$p/share/man/man1/cncapply-ls.1" || fail "cncapply-ls.1 lacks the examples"
# Hidden commands (the runtime's hooks) have none.
for page in cnc-network-attach-hook cnc-cgroup-attach-hook; do
  [ ! -e "$p/share/man/man1/$page.1" ] || fail "a man page for the hidden command $page"
done
unit=$p/lib/systemd/system/cnc-restart.service
grep -qx "ExecStart=$prefix/bin/cnc start --all --filter restart-policy=always --filter restart-policy=unless-stopped" "$unit" \
  || fail "cnc-restart.service missing or without the installed cnc"

make -s uninstall DESTDIR="$dest" PREFIX="$prefix" >/dev/null
left=$(find "$p" -type f | head -5)
[ -z "$left" ] || fail "uninstall left: $left"
echo "install: executables, completions and man pages installed and removed under DESTDIR"
