#!/usr/bin/env bash
# Installs what building and testing mpower needs, and only what is missing:
# Debian 12 packages for the C++ build (and xmllint, which checks the IATI
# export against its schema), and buf (from npm) for proto lint.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libsqlite3-dev libssl-dev libgtest-dev libgmock-dev sqlite3 openssl
  libxml2-utils
)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# buf, pinned to an exact version in tools/package.json, for `buf lint` of proto/.
if [[ ! -x tools/node_modules/.bin/buf ]]; then
  echo "Installing buf from npm into tools/node_modules"
  npm install --prefix tools --no-package-lock --silent --no-audit --no-fund >/dev/null
fi

# grpcurl, the tool integrators reach for, as a Go module: the end-to-end
# tests use it to check server reflection.
if [[ ! -x tools/bin/grpcurl ]]; then
  command -v go >/dev/null 2>&1 || { echo "Go is needed to install grpcurl" >&2; exit 1; }
  echo "Installing grpcurl into tools/bin"
  GOBIN="$PWD/tools/bin" GOFLAGS=-mod=mod go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.1
fi
