#!/usr/bin/env bash
# The Debian package, made by CPack from the build tree given: it holds the
# programs, the configuration, the unit and the man pages; it depends only
# on Debian's packages; its postinst makes the system user and starts
# nothing; and the mpowerd in it, unpacked into a scratch root, serves from
# the configuration in it (the state directory and ports this test's own),
# where the mpower in it reaches it. Usage: package_test.sh BUILD_DIR
set -euo pipefail
build="$1"
work="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >/dev/null)
deb="$(ls "$work"/out/mpower_*.deb)"
echo "built $(basename "$deb")"
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"
for file in usr/bin/mpowerd usr/bin/mpower etc/mpower/mpowerd.conf \
    lib/systemd/system/mpowerd.service lib/systemd/system/mpowerd-backup.service \
    lib/systemd/system/mpowerd-backup.timer usr/share/man/man1/mpowerd.1.gz \
    usr/share/man/man1/mpower.1.gz usr/share/bash-completion/completions/mpower; do
  [[ -e "$work/root/$file" ]] || fail "the package has no $file"
done
# The man pages list the flags (from --help), and completion is mpower's.
zcat "$work/root/usr/share/man/man1/mpowerd.1.gz" | grep -q 'purge\\-protected\\-after' ||
  fail "mpowerd's man page does not list its flags"
zcat "$work/root/usr/share/man/man1/mpower.1.gz" | grep -q 'completion' ||
  fail "mpower's man page does not mention completion"
grep -q 'complete .*-F _mpower mpower' "$work/root/usr/share/bash-completion/completions/mpower" ||
  fail "the bash completion does not complete mpower"
grep -q '^ExecStart=/usr/bin/mpowerd --config=/etc/mpower/mpowerd.conf$' \
  "$work/root/lib/systemd/system/mpowerd.service" || fail "the unit does not run /usr/bin/mpowerd"
grep -qx /etc/mpower/mpowerd.conf "$work/control/conffiles" || fail "the config is not a conffile"
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst makes no system user"
if grep -v '^ *#' "$work/control/postinst" | grep -q 'systemctl \(enable\|start\)'; then
  fail "postinst starts mpowerd"
fi
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
for library in libgrpc++ libprotobuf libsqlite3 libssl3 libprometheus-cpp-pull libsystemd0 adduser; do
  [[ "$depends" == *"$library"* ]] || fail "Depends lacks $library"
done
# Every dependency is a Debian package that apt knows.
for package in $(echo "$depends" | tr ',' '\n' | sed 's/(.*//; s/|.*//' | tr -d ' '); do
  apt-cache show "$package" >/dev/null 2>&1 || fail "$package is not a Debian package"
done

"$work/root/usr/bin/mpowerd" --config="$work/root/etc/mpower/mpowerd.conf" \
  --data-dir="$work/state" --listen=127.0.0.1:0 --metrics-listen=127.0.0.1:0 \
  --client-config="$work/client.config" >"$work/stdout" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "serving on" "$work/stdout" && break
  sleep 0.1
done
grep -q "serving on" "$work/stdout" || { cat "$work/log" >&2; fail "the packaged mpowerd did not start"; }
MPOWER_CONFIG="$work/client.config" "$work/root/usr/bin/mpower" partners list >"$work/partners" ||
  fail "the packaged mpower cannot reach it"
echo "the packaged mpowerd serves; mpower lists $(($(wc -l <"$work/partners") - 1)) partners"
