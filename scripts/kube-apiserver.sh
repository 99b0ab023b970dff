#!/usr/bin/env bash
# A real kube-apiserver and kubelet for the kubectl-etcdrestore e2e tests and the demo.
#
# Debian ships neither binary, but its `kubernetes` source package is the full upstream tree
# (v1.20.2 in bookworm) with a complete vendor/: we build cmd/kube-apiserver and cmd/kubelet
# from it offline with Debian's Go, once per machine, into a cache outside the checkout
# keyed by the Debian version:
#   ${ETCDRESTORE_CACHE:-~/.cache/etcdrestore}/kube-apiserver/<debian version>/{kube-apiserver,kubelet}
#
# Usage: scripts/kube-apiserver.sh COMMAND
#   path          print the cached kube-apiserver's path; build it first if it is missing
#                 (~4 min on 2 cores, build log on stderr)
#   kubelet-path  print the cached kubelet's path, building what is missing first
#   build         make sure both are cached; print both paths (one line each)
#   version       print the cache key (the Debian source version)
#
# Whatever is missing is built by ONE `make WHAT="cmd/kube-apiserver cmd/kubelet"` (the two
# share most packages; ~7 min niced on 2 busy cores for both); when kube-apiserver is already
# cached only the kubelet is built, and `path` alone never waits for a kubelet build it does not
# need. Building needs root the first time (apt-get build-dep, deb-src entry); later calls only
# read the cache. Concurrent callers wait on a lock instead of building twice.
#
# Facts this relies on (see docs/kube-apiserver.md of the reference notes): Kubernetes 1.20
# builds in GOPATH mode only through `make WHAT=cmd/...` (module mode fails with "updates to
# go.mod needed"; a plain `go build` lacks the generated OpenAPI file). CGO_ENABLED=0 gives
# static binaries; the kubelet then runs with the cgroupfs driver (tests/e2e/realnode).
set -euo pipefail

CACHE=${ETCDRESTORE_CACHE:-$HOME/.cache/etcdrestore}/kube-apiserver

log() { printf 'kube-apiserver.sh: %s\n' "$*" >&2; }

# debian_version, ensure_deb_src
# shellcheck source-path=SCRIPTDIR
# shellcheck source=debian-source.sh
. "$(dirname "$0")/debian-source.sh"

BUILD_WORK=
cleanup() { [ -z "$BUILD_WORK" ] || rm -rf "$BUILD_WORK"; }
trap cleanup EXIT

build() { # build DEST_DIR VERSION COMPONENT... (kube-apiserver, kubelet)
  local dest=$1 version=$2 work c what=
  shift 2
  for c in "$@"; do what="$what${what:+ }cmd/$c"; done
  ensure_deb_src
  if ! command -v go >/dev/null || ! command -v make >/dev/null; then
    [ "$(id -u)" = 0 ] || { log "go/make missing and not root: cannot install the build dependencies"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq kubernetes >/dev/null
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-build.XXXXXX")
  BUILD_WORK=$work
  log "building $* from Debian source $version in $work (about 4 minutes each, 7 for both)"
  ( cd "$work" && apt-get source -qq "kubernetes=$version" >/dev/null 2>&1 ) ||
    ( cd "$work" && apt-get source -qq kubernetes >/dev/null )
  local tree
  tree=$(find "$work" -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
  for c in "$@"; do [ -d "$tree/cmd/$c" ] || { log "no cmd/$c in $tree"; return 1; }; done
  swap_reflect2 "$work" "$tree"
  # hack/lib/init.sh sets GO111MODULE=off; everything comes from the tree's vendor/.
  ( cd "$tree" && env -u GOFLAGS GOPROXY=off GOFLAGS= CGO_ENABLED=0 HOME="$work" GOCACHE="$work/gocache" \
      make WHAT="$what" >&2 )
  mkdir -p "$dest"
  for c in "$@"; do
    install -m 0755 "$tree/_output/bin/$c" "$dest/$c.tmp"
    mv -f "$dest/$c.tmp" "$dest/$c"
    "$dest/$c" --version >&2
  done
}

# Kubernetes 1.20 vendors github.com/modern-go/reflect2 1.0.1, which reads Go's runtime map
# internals and breaks under Go >= 1.18 (Debian builds this source with Go 1.19): the
# apiserver dies with SIGSEGV in json-iterator's map iteration on the first request for a
# custom resource. reflect2 1.0.2 is the upstream fix and Debian packages it
# (golang-github-modern-go-reflect2-dev): its sources replace the vendored copy before the
# build. The cache key names the swap, so binaries built without it are never reused.
REFLECT2=1.0.2
swap_reflect2() { # WORK TREE
  local work=$1 tree=$2 v src
  v=$tree/vendor/github.com/modern-go/reflect2
  [ -d "$v" ] || { log "no vendored reflect2 in $tree"; return 1; }
  ( cd "$work" && apt-get download -qq "golang-github-modern-go-reflect2-dev=$REFLECT2-*" >/dev/null 2>&1 ) ||
    ( cd "$work" && apt-get download -qq golang-github-modern-go-reflect2-dev >/dev/null )
  dpkg -x "$work"/golang-github-modern-go-reflect2-dev_*.deb "$work/reflect2"
  src=$work/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2
  [ -f "$src/go_above_118.go" ] || { log "Debian's reflect2 lacks the Go 1.18 fix (go_above_118.go)"; return 1; }
  find "$v" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
  cp "$src"/*.go "$src"/*.s "$v/"
  log "vendored reflect2 replaced by Debian's $(basename "$work"/golang-github-modern-go-reflect2-dev_*.deb)"
}

cache_key() { printf '%s+reflect2-%s\n' "$(debian_version)" "$REFLECT2"; }

missing() { # DEST COMPONENT...: the components not cached in DEST
  local dest=$1 c out=()
  shift
  for c in "$@"; do [ -x "$dest/$c" ] || out+=("$c"); done
  # Nothing at all when nothing is missing: printf of an empty list would print one empty
  # line, which a caller that waited on the lock read as a component named "" (make cmd/).
  if ((${#out[@]})); then printf '%s\n' "${out[@]}"; fi
}

ensure() { # COMPONENT...: build what is missing (one make), print each path
  local version dest c
  version=$(debian_version)
  dest=$CACHE/$(cache_key)
  if [ -n "$(missing "$dest" "$@")" ]; then
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9
    local todo
    mapfile -t todo < <(missing "$dest" "$@")
    if ((${#todo[@]})); then build "$dest" "$version" "${todo[@]}"; fi
    exec 9>&-
  fi
  for c in "$@"; do printf '%s\n' "$dest/$c"; done
}

case ${1:-} in
  path) ensure kube-apiserver ;;
  kubelet-path)
    # kube-apiserver shares most of the kubelet's build: when both are missing, one make builds both.
    if [ -x "$CACHE/$(cache_key)/kube-apiserver" ]; then ensure kubelet; else ensure kube-apiserver kubelet | tail -n 1; fi ;;
  build) ensure kube-apiserver kubelet ;;
  version) cache_key ;;
  *) sed -n '2,26s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
