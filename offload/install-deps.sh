#!/bin/sh
# Installs what the kernel offload (offload/, its tests and bench/offload.ts) needs, and ONLY what
# is missing: clang + llvm (to build the tc program), libbpf-dev (bpf_helpers.h), bpftool (load,
# pin, map writes), iproute2 (tc, ip), ethtool (the checksum tests), util-linux (nsenter).
# Quiet when there is nothing to do. Never fails the build: without root (or without apt-get) it
# only says what is missing and exits 0 — the offload itself needs root anyway, and its tests skip
# without it. Run by `make setup`.
set -u

missing=""
need() { # need COMMAND-OR-PATH PACKAGE
  case "$1" in
  /*) [ -e "$1" ] ;;
  *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] ;;
  esac || missing="$missing $2"
}
need clang clang
need llc llvm
need /usr/include/bpf/bpf_helpers.h libbpf-dev
need bpftool bpftool
need tc iproute2
need ip iproute2
need ethtool ethtool
need nsenter util-linux

missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
[ -z "${missing% }" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "offload/install-deps.sh: not root, so not installing: ${missing}(only the kernel offload needs them)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "offload/install-deps.sh: no apt-get; install these for the kernel offload: ${missing}" >&2
  exit 0
fi

log="${TMPDIR:-/tmp}/l7mp-offload-install-deps.log"
export DEBIAN_FRONTEND=noninteractive
# Try with the package lists as they are; refresh them only if that fails.
if ! apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1; then
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >>"$log" 2>&1; then
    echo "offload/install-deps.sh: could not install ${missing}(see $log); the offload tests will fail" >&2
    tail -n 5 "$log" >&2
  fi
fi
exit 0
