#!/usr/bin/env bash
# Builds Abseil and gRPC with ThreadSanitizer, from Debian 12's own sources
# of the very versions the product uses (abseil 20220623.1, grpc 1.51.1),
# into build/tsan-deps/prefix. Debian's binary packages are not built with
# TSan, so it cannot see their synchronisation and reports races inside them
# and on memory handed between gRPC's threads and mpower's. Built with it,
# the gRPC-facing suites (watch hub, shutdown, handlers) can be judged.
#
# Takes about half an hour on two cores; needs deb-src (added below if missing).
# Then: scripts/tsan.sh builds mpower against it and runs the suites.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/build/tsan-deps
PREFIX=$WORK/prefix
JOBS=${JOBS:-$(nproc)}
mkdir -p "$WORK/src"

if [ ! -f /etc/apt/sources.list.d/mpower-src.sources ] && ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/mpower-src.sources <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libc-ares-dev libre2-dev zlib1g-dev \
  libssl-dev libprotobuf-dev libprotoc-dev protobuf-compiler cmake ninja-build >/dev/null

cd "$WORK/src"
[ -f abseil_20220623.1.orig.tar.gz ] || apt-get source -qq --download-only abseil=20220623.1-1+deb12u2
[ -f grpc_1.51.1.orig.tar.gz ] || apt-get source -qq --download-only grpc=1.51.1-3
# Unpacks an upstream tarball and applies Debian's patches, so the build
# matches Debian's (Abseil's inline namespace and its own string_view and
# optional types, gRPC against system libraries).
unpack() {  # dir orig debian
  local dir=$1 orig=$2 debian=$3
  [ -f "$dir/.patched" ] && return
  rm -rf "$dir"
  tar xzf "$orig"
  tar xJf "$debian" -C "$dir"
  grep -v '^#' "$dir/debian/patches/series" | while read -r patch; do
    [ -n "$patch" ] && patch -s -p1 -d "$dir" < "$dir/debian/patches/$patch"
  done
  touch "$dir/.patched"
}
unpack abseil-20220623.1 abseil_20220623.1.orig.tar.gz abseil_20220623.1-1+deb12u2.debian.tar.xz
unpack grpc-1.51.1 grpc_1.51.1.orig.tar.gz grpc_1.51.1-3.debian.tar.xz

TSAN_FLAGS="-fsanitize=thread -g -O1"
if [ ! -f "$PREFIX/lib/cmake/absl/abslConfig.cmake" ]; then
  cmake -S abseil-20220623.1 -B abseil-build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_STANDARD=17 -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_SHARED_LIBS=ON \
    -DBUILD_TESTING=OFF -DABSL_PROPAGATE_CXX_STD=ON \
    -DCMAKE_C_FLAGS="$TSAN_FLAGS" -DCMAKE_CXX_FLAGS="$TSAN_FLAGS" \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib
  cmake --build abseil-build -j "$JOBS"
  cmake --install abseil-build
fi
if [ ! -f "$PREFIX/lib/cmake/grpc/gRPCConfig.cmake" ]; then
  cmake -S grpc-1.51.1 -B grpc-build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=ON -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package -DgRPC_PROTOBUF_PROVIDER=package \
    -DgRPC_RE2_PROVIDER=package -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package \
    -DgRPC_BUILD_TESTS=OFF -DgRPC_BUILD_CODEGEN=ON -DgRPC_BUILD_CSHARP_EXT=OFF \
    -DgRPC_BUILD_GRPC_CPP_PLUGIN=ON -DgRPC_BUILD_GRPC_CSHARP_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_NODE_PLUGIN=OFF -DgRPC_BUILD_GRPC_OBJECTIVE_C_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_PHP_PLUGIN=OFF -DgRPC_BUILD_GRPC_PYTHON_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_RUBY_PLUGIN=OFF \
    -DCMAKE_C_FLAGS="$TSAN_FLAGS" -DCMAKE_CXX_FLAGS="$TSAN_FLAGS" \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib
  cmake --build grpc-build -j "$JOBS"
  cmake --install grpc-build
fi
echo "TSan-built Abseil and gRPC are in $PREFIX"
