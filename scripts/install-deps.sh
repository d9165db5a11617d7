#!/usr/bin/env bash
# Installs what building and testing mpower needs, and only what is missing:
# Debian 12 packages for the C++ build (and xmllint, which checks the IATI
# export against its schema, the Python example's gRPC runtime, clang
# with libFuzzer for the fuzzers, clang-format, curl for the metrics
# test, aiosmtpd for the email tests, Chromium for the browser test, and
# zsh and fish, whose completion the first-hour test drives),
# promtool, Go
# tools (grpcurl, the Go example's protoc plugins, protoc-gen-doc for the
# API reference), and buf (from npm) for proto lint.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libsqlite3-dev libssl-dev libgtest-dev libgmock-dev sqlite3 openssl
  libpq-dev postgresql-15 prometheus-cpp-dev libsystemd-dev libcpp-httplib-dev libcurl4-openssl-dev
  libsodium-dev
  libboost1.81-dev
  curl systemd help2man dpkg-dev zsh fish
  python3-aiosmtpd chromium
  libxml2-utils python3-grpcio python3-protobuf python3-nacl
  clang-14 libfuzzer-14-dev libclang-rt-14-dev clang-format-14
)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v mvn >/dev/null 2>&1 || packages+=(maven default-jdk-headless)

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

# promtool, which checks mpowerd's metrics in the tests: taken out of
# Debian's prometheus package rather than installing it, which would start
# a Prometheus server.
if [[ ! -x tools/bin/promtool ]]; then
  echo "Installing promtool from Debian's prometheus package into tools/bin"
  download="$(mktemp -d)"
  (cd "$download" && apt-get download -qq prometheus 2>/dev/null)
  dpkg-deb -x "$download"/prometheus_*.deb "$download/root"
  mkdir -p tools/bin
  install -m 755 "$download/root/usr/bin/promtool" tools/bin/promtool
  rm -rf "$download"
fi

# From npm, pinned to exact versions in tools/package.json: buf, for `buf
# lint` of proto/, and google-proto-files, googleapis' own protos, whose
# google/rpc error details the build compiles.
if [[ ! -x tools/node_modules/.bin/buf ||
  ! -f tools/node_modules/google-proto-files/package.json ]]; then
  echo "Installing buf and google-proto-files from npm into tools/node_modules"
  npm install --prefix tools --no-package-lock --silent --no-audit --no-fund >/dev/null
fi

# Go tools, each pinned, into tools/bin: grpcurl (the end-to-end tests use it
# to check server reflection), the Go example's protoc plugins, and
# protoc-gen-doc, which writes docs/api.md from the protos.
go_tools=(
  github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.1
  google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
  google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
  github.com/pseudomuto/protoc-gen-doc/cmd/protoc-gen-doc@v1.5.1
)
for tool in "${go_tools[@]}"; do
  binary="${tool%@*}"
  binary="${binary##*/}"
  [[ -x "tools/bin/$binary" ]] && continue
  command -v go >/dev/null 2>&1 || { echo "Go is needed to install $binary" >&2; exit 1; }
  echo "Installing $binary into tools/bin"
  GOBIN="$PWD/tools/bin" GOFLAGS=-mod=mod go install "$tool"
done
