#!/usr/bin/env bash
# `cnc completion bash|zsh|fish` and `cncapply completion ...` are valid scripts (bash -n, and
# zsh -n / fish -n where those shells are installed), and bash really completes through the
# `cnc` front: commands, flags, and container, image, network and service names read from a
# temp state root (a container created for it, removed at exit), and --filter keys.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$PWD/.build/debug
[ -x "$bin/cnc" ] && [ -x "$bin/cncapply" ] || { echo "completion: build first (.build/debug/cnc)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/cnc-completion.XXXXXX)
root=$tmp/root
cleanup() {
  "$bin/cnc" rm -f --root "$root" compl-web >/dev/null 2>&1 || true
  "$bin/cnc" network rm --root "$root" compl-net >/dev/null 2>&1 || true
  "$bin/cnc" volume rm --root "$root" compl-vol >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

for tool in cnc cncapply; do
  for shell in bash zsh fish; do
    "$bin/$tool" completion "$shell" >"$tmp/$tool.$shell"
    [ -s "$tmp/$tool.$shell" ] || { echo "completion: $tool completion $shell is empty" >&2; exit 1; }
    if command -v "$shell" >/dev/null; then "$shell" -n "$tmp/$tool.$shell"; fi
  done
done

# A temp root with one image, one container and one network; an app spec with two services.
bash scripts/make-busybox-rootfs.sh "$tmp/rootfs" >/dev/null
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
"$bin/cnc" import --root "$root" "$tmp/rootfs.tar" compl-image:v1 >/dev/null
"$bin/cnc" create --root "$root" --name compl-web compl-image:v1 sleep 1 >/dev/null
"$bin/cnc" network create --root "$root" compl-net >/dev/null
"$bin/cnc" volume create --root "$root" compl-vol >/dev/null
printf 'name: compl\nservices:\n  frontend:\n    image: compl-image:v1\n  backend:\n    image: compl-image:v1\n' >"$tmp/app.yaml"

# Completes the last word of "$@" as bash would at a TAB (cnc found on PATH, as installed).
complete_words() {
  local tool=$1; shift
  PATH="$bin:$PATH" bash -c '
    tool=$1; shift; source "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
    fn=$(complete -p "$tool" | sed -E "s/.*-F ([^ ]+).*/\1/")  # the function the script registered
    "$fn" "$tool" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' "$tmp/$tool.bash" "$tool" "$@"
}
expect() {  # expect WORD <completions>: WORD must be one of the completions
  local want=$1 got=$2
  grep -qx -- "$want" <<<"$got" || { echo "completion: expected '$want' among: $(tr '\n' ' ' <<<"$got")" >&2; exit 1; }
}
expect stop "$(complete_words cnc cnc st)"
expect --time "$(complete_words cnc cnc stop --ti)"
expect compl-web "$(complete_words cnc cnc --root "$root" stop compl-)"
expect compl-web "$(complete_words cnc cnc logs --root "$root" "")"
expect compl-image:v1 "$(complete_words cnc cnc --root "$root" rmi com)"
expect compl-net "$(complete_words cnc cnc --root "$root" network rm c)"
expect compl-vol "$(complete_words cnc cnc --root "$root" volume rm c)"
expect compl-vol "$(complete_words cnc cnc --root "$root" volume inspect "")"
for verb in attach diff commit export rename; do
  expect compl-web "$(complete_words cnc cnc --root "$root" "$verb" compl)"
done
expect type= "$(complete_words cnc cnc events --filter t)"
expect dangling= "$(complete_words cnc cnc volume ls --filter d)"
expect ls "$(complete_words cncapply cncapply l)"
expect backend "$(complete_words cncapply cncapply logs -f "$tmp/app.yaml" b)"
expect frontend "$(complete_words cncapply cncapply logs -f "$tmp/app.yaml" "")"
echo "completion: bash/zsh/fish scripts valid; names complete from a temp root"
