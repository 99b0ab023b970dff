#!/usr/bin/env bash
# Builds the release archive kubectl-etcdrestore_linux_amd64.tar.gz: fully static, stripped
# kubectl-etcdrestore and etcdctl-ext, etcdutl (etcdctl-ext's bytes under the name that selects
# its etcdutl 3.5 personality), LICENSE and README.md (packaging/README.release.md).
# etcdutl is a copy, not a symlink: krew's tar extraction refuses symlinks and hard links
# ("unable to handle file type"), which would make `kubectl krew install` fail.
#
#   scripts/release.sh [--update-manifest | --check-manifest] [BUILD_DIR]
#
#   BUILD_DIR          the release build tree (default: build-release in the repo); configured
#                      with -DETCDRESTORE_STATIC=ON, tests off, -O2, reproducible paths
#   --update-manifest  write the archive's sha256 into krew/etcdrestore.yaml (at release time)
#   --check-manifest   fail (exit 1) unless krew/etcdrestore.yaml has the archive's sha256
#   JOBS=N             ninja parallelism (default 2)
#   SOURCE_DATE_EPOCH  mtime of the archive members (default: time of the last commit that
#                      changed something besides krew/etcdrestore.yaml)
#
# Outputs, in BUILD_DIR/dist/: the archive, etcdrestore.yaml (the committed manifest with this
# archive's sha256) and the archive's sha256 on stdout as `<sha256>  <path>`.
# The archive is reproducible: sorted names, fixed mtime, owner/group 0, mode 0755/0644,
# gzip -n; the binaries are built with -ffile-prefix-map so no build path is in them.
set -euo pipefail

mode=""
case "${1:-}" in
  --update-manifest|--check-manifest) mode=$1; shift ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
esac
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-release}
mkdir -p "$build"
build=$(cd "$build" && pwd)
jobs=${JOBS:-2}
archive_name=kubectl-etcdrestore_linux_amd64.tar.gz
manifest=$src/krew/etcdrestore.yaml

version=$(sed -n 's/^project(etcdrestore VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || { echo "release: no project version in CMakeLists.txt" >&2; exit 1; }
if ! grep -qx "  version: v$version" "$manifest"; then
  echo "release: $manifest does not say 'version: v$version' (the project version)" >&2
  exit 1
fi

start=$(date +%s)
# The Kubernetes API's schemas are compiled in (get -o json|yaml of built-in kinds).
k8s_protos=$(bash "$src/scripts/k8s-protos.sh")
cmake -S "$src" -B "$build" -G Ninja \
  "-DETCDRESTORE_K8S_PROTO_DIR=$k8s_protos" \
  -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  "-DCMAKE_CXX_FLAGS=-ffunction-sections -fdata-sections -ffile-prefix-map=$src=. -ffile-prefix-map=$build=." \
  -DETCDRESTORE_STATIC=ON -DETCDRESTORE_BUILD_TESTS=OFF -DETCDRESTORE_WERROR=OFF >/dev/null
ninja -C "$build" -j "$jobs" etcdctl-ext kubectl-etcdrestore >&2
built=$(date +%s)

dist=$build/dist
stage=$dist/stage
rm -rf "$stage"
mkdir -p "$stage"
for exe in kubectl-etcdrestore etcdctl-ext; do
  strip --strip-all -o "$stage/$exe" "$build/$exe/$exe"
  chmod 0755 "$stage/$exe"
done
# etcdctl-ext runs as a drop-in etcdutl 3.5 when invoked as etcdutl (argv[0]).
install -m 0755 "$stage/etcdctl-ext" "$stage/etcdutl"
install -m 0644 "$src/LICENSE" "$stage/LICENSE"
install -m 0644 "$src/packaging/README.release.md" "$stage/README.md"

# The manifest's own commit (the sha256 update) must not change the archive: take the time of
# the last commit that touched anything else.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct -- . ':(exclude)krew/etcdrestore.yaml' 2>/dev/null || true)}
epoch=${epoch:-0}
archive=$dist/$archive_name
members=$(cd "$stage" && LC_ALL=C ls)  # byte order: LICENSE README.md etcdctl-ext etcdutl kubectl-etcdrestore
(cd "$stage" && tar --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
    -cf - $members) | gzip -n -9 > "$archive.tmp"
mv "$archive.tmp" "$archive"
sha=$(sha256sum "$archive" | cut -d' ' -f1)

sed "s/^\(    sha256: \).*/\1$sha/" "$manifest" > "$dist/etcdrestore.yaml"
grep -q "^    sha256: $sha\$" "$dist/etcdrestore.yaml" || { echo "release: no sha256 line in $manifest" >&2; exit 1; }

echo "release: v$version built in $((built - start)) s, $(stat -c %s "$archive") bytes" >&2
echo "$sha  $archive"
case "$mode" in
  --update-manifest)
    cp "$dist/etcdrestore.yaml" "$manifest"
    echo "release: wrote sha256 $sha into $manifest" >&2 ;;
  --check-manifest)
    if ! grep -q "^    sha256: $sha\$" "$manifest"; then
      echo "release: $manifest has sha256 $(sed -n 's/^    sha256: //p' "$manifest"), the archive has $sha" >&2
      exit 1
    fi ;;
esac
