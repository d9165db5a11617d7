#!/usr/bin/env bash
# Runs README's "Running in production" under a live systemd, on a machine
# (or container) whose PID 1 is not systemd: boots systemd as PID 1 of new
# PID, mount, network, UTS and IPC namespaces, installs the package there
# with apt, and checks what the offline checks (check-systemd-unit.sh)
# cannot: `systemctl enable --now mpowerd` reaches "active" only once
# mpowerd says READY (Type=notify); `mpower` reaches it as the first admin;
# the sandbox holds at run time; `systemctl reload` (SIGHUP) rereads the
# log settings; the watchdog restarts an mpowerd that stops answering; the
# backup timer's service writes a backup; a reinstall over a running
# install (the upgrade path) serves again. Then it purges the package and
# powers the namespace's systemd off.
#
#   sudo scripts/check-systemd-live.sh build/package/mpower_0.2.0_amd64.deb
#
# It needs root with CAP_SYS_ADMIN, and it installs the package into this
# machine's file system for its duration (the namespaces isolate
# processes, mounts and the network, not files; /tmp and /var/tmp get
# their own tmpfs, since systemd empties /tmp at boot), so run it on a machine
# you may change: it is not part of `.ci/run`. Takes about a minute, most
# of it the 30 s watchdog.
set -euo pipefail
deb="$(realpath "${1:?usage: check-systemd-live.sh PATH/TO/mpower_VERSION_amd64.deb}")"
[[ $EUID -eq 0 ]] || { echo "run as root" >&2; exit 2; }
if dpkg -s mpower >/dev/null 2>&1; then
  echo "mpower is installed on this machine already; remove it first" >&2
  exit 2
fi
console="$(mktemp -p /var/tmp)"
setsid unshare --pid --fork --mount --mount-proc --net --uts --ipc bash -c '
  mount --make-rprivate /
  # systemd-tmpfiles empties /tmp at boot; these keep it to the namespace.
  mount -t tmpfs tmpfs /tmp
  mount -t tmpfs tmpfs /var/tmp
  ip link set lo up
  exec /lib/systemd/systemd --system --unit=multi-user.target --log-target=console
' >"$console" 2>&1 </dev/null &
pid1=""
for _ in $(seq 50); do
  pid1="$(pgrep -f '^/lib/systemd/systemd --system --unit=multi-user.target' | head -1 || true)"
  [[ -n "$pid1" ]] && break
  sleep 0.2
done
[[ -n "$pid1" ]] || { echo "systemd did not start:" >&2; cat "$console" >&2; exit 1; }
inside() { timeout 120 nsenter -t "$pid1" -p -m -n -u -i "$@"; }
cleanup() {
  inside systemctl disable --now mpowerd mpowerd-backup.timer >/dev/null 2>&1 || true
  inside apt-get purge -y -qq mpower >/dev/null 2>&1 || true
  rm -rf /var/lib/mpower
  userdel mpower >/dev/null 2>&1 || true
  inside systemctl poweroff >/dev/null 2>&1 || kill "$pid1" 2>/dev/null || true
  rm -f "$console"
}
trap cleanup EXIT
for _ in $(seq 100); do
  state="$(inside systemctl is-system-running 2>/dev/null || true)"
  [[ "$state" == running || "$state" == degraded ]] && break
  sleep 0.2
done
check() {  # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what" >&2; exit 1; fi
}
property() { inside systemctl show mpowerd -p "$1" --value; }

inside apt-get install -y -qq "$deb" >/dev/null
check "the package starts nothing" test "$(property ActiveState)" = inactive
inside systemctl enable --now mpowerd >/dev/null 2>&1
check "enable --now: active once READY (Type=notify)" test "$(property ActiveState)" = active
check "runs as the mpower user" test "$(property User)" = mpower
client_config=/var/lib/mpower/.config/mpower/config
check "mpower reaches it as the first admin" \
  inside env MPOWER_CONFIG="$client_config" mpower partners list
check "metrics on loopback" inside curl -sf -o /dev/null http://127.0.0.1:9464/metrics
score="$(inside systemd-analyze security mpowerd --no-pager | sed -n 's/.*exposure level for mpowerd.service: \([0-9.]*\).*/\1/p')"
echo "systemd-analyze security, running unit: $score"
check "exposure below 2.0" awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'
since="$(date '+%Y-%m-%d %H:%M:%S')"
inside systemctl reload mpowerd
reloaded() {
  for _ in $(seq 50); do
    inside journalctl -u mpowerd --since "$since" --no-pager | grep -q 'SIGHUP: reloaded' && return 0
    sleep 0.2
  done
  return 1
}
check "reload (SIGHUP) rereads the log settings" reloaded
first_pid="$(property MainPID)"
inside kill -STOP "$first_pid"
echo "stopped mpowerd (pid $first_pid); waiting out WatchdogSec=$(property WatchdogUSec)"
for _ in $(seq 60); do
  [[ "$(property NRestarts)" -ge 1 && "$(property ActiveState)" == active ]] && break
  sleep 1
done
check "the watchdog restarted it" test "$(property NRestarts)" -ge 1
check "  as a new process" test "$(property MainPID)" != "$first_pid"
inside systemctl enable --now mpowerd-backup.timer >/dev/null 2>&1
inside systemctl start mpowerd-backup.service
backed_up() { inside ls /var/lib/mpower/backups | grep -q '^mpower-.*\.db$'; }
check "the backup service writes a backup" backed_up
inside systemctl stop mpowerd
inside apt-get install -y -qq --reinstall "$deb" >/dev/null
inside systemctl start mpowerd
check "upgrade in place: serves again" inside env MPOWER_CONFIG="$client_config" mpower partners list
echo "all checks passed under a live systemd"
