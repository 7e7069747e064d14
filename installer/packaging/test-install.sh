#!/usr/bin/env bash
# The Debian packages installed into a throwaway root with dpkg --root (ctest -L packaging;
# needs root to set owners, skipped otherwise).
#   test-install.sh STEP BUILD_DIR PACKAGES_DIR VERSION
# STEP is one of:
#   lifecycle  install: user and state directory made once, unit enabled, nothing done to this
#              machine; reinstall is harmless; remove keeps the state; purge deletes it
#   scripts    the maintainer scripts as on a real machine (adduser; no DPKG_ROOT) in a private
#              mount namespace: user made once, state kept on remove and deleted on purge
#   deliver    install, queue a message while spine-mock answers 503, upgrade to VERSION+1 (the
#              edited conffile and the queue stay), then the installed gp-agent with the installed
#              configuration delivers it to the installed spine-mock: acked; purge
# shellcheck source=installer/packaging/package-test-lib.sh
source "$(dirname "$0")/package-test-lib.sh"

# -- a throwaway root for dpkg --root ------------------------------------------------------------
make_root() {
  [ "$(id -u)" -eq 0 ] || skip "dpkg --root needs root to set owners"
  need_tool useradd "package passwd"
  root=$(mktemp -d /tmp/gp-agent-pkgroot-XXXXXX)
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" \
    "$root/var/log" "$root/etc/systemd/system" "$root/tmp"
  touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  echo 'root:*:19000:0:99999:7:::' >"$root/etc/shadow"
  echo 'root:*::' >"$root/etc/gshadow"
  chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
  cp /etc/login.defs "$root/etc/login.defs" 2>/dev/null || true
}

# The libraries come from this machine, so Depends are not installed in the root (dpkg's
# complaints about them go to a log, shown when a step fails).
dpkg_root() {
  echo "dpkg $*" >>"$root/tmp/dpkg.log"
  dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null "$@" \
    >>"$root/tmp/dpkg.log" 2>&1 || {
    cat "$root/tmp/dpkg.log" >&2
    return 1
  }
}

# What must not change on this machine while packages go into the root.
host_fingerprint() {
  { getent passwd gp-agent || true; ls -la /etc/systemd/system/multi-user.target.wants 2>/dev/null || true; } |
    sha256sum
}

# -L too: the enablement links point at absolute paths, which resolve only inside the root.
expect_file() { [ -e "$root$1" ] || [ -L "$root$1" ] || fail "$1 missing in the root"; }
expect_no_file() {
  if [ -e "$root$1" ] || [ -L "$root$1" ]; then fail "$1 still in the root"; fi
}

check_user_and_state() {
  grep -c '^gp-agent:' "$root/etc/passwd" | grep -qx 1 || fail "not exactly one gp-agent user"
  grep -c '^gp-agent:' "$root/etc/group" | grep -qx 1 || fail "not exactly one gp-agent group"
  local uid shell
  uid=$(awk -F: '$1 == "gp-agent" { print $3 }' "$root/etc/passwd")
  shell=$(awk -F: '$1 == "gp-agent" { print $7 }' "$root/etc/passwd")
  [ "$uid" -lt 1000 ] || fail "gp-agent is not a system user (uid $uid)"
  [ "$shell" = /usr/sbin/nologin ] || fail "gp-agent's shell is $shell"
  [ "$(stat -c '%u %a' "$root/var/lib/gp-agent")" = "$uid 750" ] ||
    fail "/var/lib/gp-agent is $(stat -c '%u %a' "$root/var/lib/gp-agent"), expected $uid 750"
}

check_lifecycle() {
  make_root
  trap finish EXIT
  local before
  before=$(host_fingerprint)

  dpkg_root -i "$(deb current gp-agent)" || fail "install"
  expect_file /usr/bin/gp-agent
  expect_file /usr/bin/gp-agentctl
  expect_file /lib/systemd/system/gp-agent.service
  expect_file /etc/gp-agent/agent.properties
  expect_file /etc/systemd/system/multi-user.target.wants/gp-agent.service
  check_user_and_state
  [ "$(host_fingerprint)" = "$before" ] || fail "installing into the root changed this machine's users or units"

  # The scripts are idempotent: postinst again, and the same package again (an "upgrade").
  DPKG_ROOT="$root" DPKG_MAINTSCRIPT_PACKAGE=gp-agent DPKG_MAINTSCRIPT_NAME=postinst \
    sh "$root/var/lib/dpkg/info/gp-agent.postinst" configure "$version" ||
    fail "postinst configure run a second time"
  dpkg_root -i "$(deb current gp-agent)" || fail "reinstall"
  check_user_and_state
  [ "$(host_fingerprint)" = "$before" ] || fail "reinstalling changed this machine's users or units"

  echo "queue" >"$root/var/lib/gp-agent/gp-agent.db"
  dpkg_root -r gp-agent || fail "remove"
  expect_no_file /usr/bin/gp-agent
  expect_file /var/lib/gp-agent/gp-agent.db
  expect_file /etc/gp-agent/agent.properties
  grep -q '^gp-agent:' "$root/etc/passwd" || fail "remove deleted the user"
  [ "$(readlink "$root/etc/systemd/system/gp-agent.service")" = /dev/null ] ||
    fail "remove did not mask the unit, as dh_installsystemd's postrm does"
  dpkg_root -P gp-agent || fail "purge"
  expect_no_file /var/lib/gp-agent
  expect_no_file /etc/gp-agent/agent.properties
  expect_no_file /etc/systemd/system/multi-user.target.wants/gp-agent.service
  expect_no_file /etc/systemd/system/gp-agent.service
  [ "$(host_fingerprint)" = "$before" ] || fail "remove or purge changed this machine"

  dpkg_root -i "$(deb current spine-mock)" || fail "install spine-mock"
  expect_file /usr/bin/spine-mock
  expect_file /etc/spine-mock/registry.json
  expect_file /etc/systemd/system/multi-user.target.wants/spine-mock.service
  mkdir -p "$root/var/lib/private/spine-mock"
  dpkg_root -r spine-mock || fail "remove spine-mock"
  expect_file /var/lib/private/spine-mock
  dpkg_root -P spine-mock || fail "purge spine-mock"
  expect_no_file /var/lib/private/spine-mock
  expect_no_file /etc/spine-mock/registry.json
  if [ -f "$packages/current/gp-agent-tray_${version}_${arch}.deb" ]; then
    dpkg_root -i "$(deb current gp-agent-tray)" || fail "install gp-agent-tray"
    expect_file /usr/bin/gp-agent-tray
    expect_file /etc/xdg/autostart/gp-agent-tray.desktop
    dpkg_root -r gp-agent-tray || fail "remove gp-agent-tray"
    expect_file /etc/xdg/autostart/gp-agent-tray.desktop # a conffile stays until purge
    dpkg_root -P gp-agent-tray || fail "purge gp-agent-tray"
    expect_no_file /etc/xdg/autostart/gp-agent-tray.desktop
  fi
  [ "$(host_fingerprint)" = "$before" ] || fail "the packages changed this machine"
  echo "install, reinstall, remove and purge behave; this machine untouched"
}

# -- deliver -------------------------------------------------------------------------------------
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# The root is removed after a pass and kept, with its logs, after a failure.
finish() {
  local status=$?
  stop_all
  if [ "$status" -eq 0 ]; then rm -rf "$root"; else echo "the throwaway root is kept: $root" >&2; fi
}

start_agent() { # the installed binary with the installed (edited) configuration
  rm -f "$state/ports.json"
  NOTIFY_SOCKET=${NOTIFY_SOCKET:-} \
    "$root/usr/bin/gp-agent" --config "$root/etc/gp-agent/agent.properties" >>"$root/tmp/gp-agent.log" 2>&1 &
  agent_pid=$!
  pids+=("$agent_pid")
  wait_for 30 "gp-agent to listen (log: $root/tmp/gp-agent.log)" test -s "$state/ports.json"
}

stop_agent() {
  kill -TERM "$agent_pid"
  wait "$agent_pid" || fail "gp-agent exited with $? on SIGTERM"
}

ctl() { "$root/usr/bin/gp-agentctl" --config "$root/etc/gp-agent/agent.properties" "$@"; }
message_field() { ctl --json show "$1" 2>/dev/null | json_field "$2" 2>/dev/null; }
attempted() { [ "$(message_field "$1" attempts)" -ge 1 ] 2>/dev/null; }
acked() { [ "$(message_field "$1" state)" = acked ]; }

mock_admin() { # mock_admin METHOD PATH [JSON]
  curl -fsS -X "$1" "http://127.0.0.1:$mock_port$2" ${3:+-H 'Content-Type: application/json' -d "$3"} >/dev/null
}

check_deliver() {
  make_root
  trap finish EXIT
  need_tool python3 "package python3"
  need_tool curl "package curl"
  need_tool sqlite3 "package sqlite3"
  state="$root/var/lib/gp-agent"

  dpkg_root -i "$(deb current gp-agent)" "$(deb current spine-mock)" || fail "install"

  # The installed spine-mock with its installed configuration and example registry, on a port
  # the kernel picks, answering 503 until told otherwise so that a message waits in the queue.
  cat >>"$root/etc/spine-mock/mock.properties" <<CONF
mock.port = 0
mock.stateDir = $root/var/lib/spine-mock
mock.registry = $root/etc/spine-mock/registry.json
CONF
  "$root/usr/bin/spine-mock" --config "$root/etc/spine-mock/mock.properties" >"$root/tmp/spine-mock.log" 2>&1 &
  pids+=("$!")
  wait_for 30 "spine-mock to listen (log: $root/tmp/spine-mock.log)" test -s "$root/var/lib/spine-mock/ports.json"
  mock_port=$(json_field http <"$root/var/lib/spine-mock/ports.json")
  mock_admin POST /_admin/faults \
    '{"interaction": "PORX_IN020101SM31", "times": 100000, "fault": {"type": "http", "status": 503}}'

  # What a test set-up changes in the installed template: the practice, loopback ports chosen by
  # the kernel, the spine-mock over plain HTTP instead of TLS to the Spine.
  cat >>"$root/etc/gp-agent/agent.properties" <<CONF

# -- test set-up (ctest -L packaging)
agent.odsCode = A83008
agent.partyKey = A83008-9199121
agent.asid = 200000001234
agent.stateDir = $state
api.port = 0
inbound.bind = 127.0.0.1
inbound.port = 0
tls.caFile =
tls.certFile =
tls.keyFile =
inbound.certFile =
inbound.keyFile =
test.allowPlainHttp = true
retry.baseDelay = PT0.2S
retry.maxDelay = PT0.5S
spine.url = http://127.0.0.1:$mock_port
sds.url = http://127.0.0.1:$mock_port/spine-directory
CONF
  local edited message_id
  edited=$(sha256sum <"$root/etc/gp-agent/agent.properties")

  start_agent
  message_id=$(ctl --json submit eps "$source_dir/installer/examples/prescription.json" | json_field messageId)
  [ -n "$message_id" ] || fail "no message id from submit"
  wait_for 30 "the first attempt of $message_id" attempted "$message_id"
  stop_agent
  [ "$(message_field_offline "$message_id")" = retry-wait ] ||
    fail "$message_id is $(message_field_offline "$message_id"), expected retry-wait"

  # Upgrade: the edited conffile and the queue stay.
  dpkg_root -i "$(deb upgrade gp-agent)" "$(deb upgrade spine-mock)" || fail "upgrade"
  [ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' gp-agent)" = "$version+1" ] ||
    fail "gp-agent not upgraded"
  [ "$(sha256sum <"$root/etc/gp-agent/agent.properties")" = "$edited" ] ||
    fail "the upgrade changed the edited /etc/gp-agent/agent.properties"
  expect_no_file /etc/gp-agent/agent.properties.dpkg-new
  check_user_and_state
  [ "$(message_field_offline "$message_id")" = retry-wait ] || fail "the upgrade lost the queued message"

  # The upgraded agent sends it once the Spine answers again. It tells systemd when it is ready
  # (Type=notify): a socket standing in for systemd's receives READY=1.
  mock_admin DELETE /_admin/faults
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
data = s.recv(4096)
open(sys.argv[2], "wb").write(data)' "$root/tmp/notify.sock" "$root/tmp/notify.txt" &
  pids+=("$!")
  wait_for 10 "the notification socket" test -S "$root/tmp/notify.sock"
  NOTIFY_SOCKET="$root/tmp/notify.sock" start_agent
  wait_for 10 "READY=1 from gp-agent" grep -q '^READY=1' "$root/tmp/notify.txt"
  wait_for 60 "$message_id to be acked (log: $root/tmp/gp-agent.log)" acked "$message_id"
  ctl audit verify || fail "audit verify after the upgrade"
  stop_agent
  echo "message $message_id queued under $version, acked by $version+1 after the upgrade"

  dpkg_root -P gp-agent spine-mock || fail "purge"
  expect_no_file /var/lib/gp-agent
}

# The state column straight from the database, with the agent stopped.
message_field_offline() {
  sqlite3 "$state/gp-agent.db" "SELECT state FROM messages WHERE message_id = '$1'"
}

# -- scripts -------------------------------------------------------------------------------------
# The maintainer scripts as a real installation runs them (no DPKG_ROOT: adduser, getent), in a
# private mount namespace whose /etc is an overlay and whose /var/lib and unit directory are
# scratch, so this machine keeps its users and units.
check_scripts() {
  [ "$(id -u)" -eq 0 ] || skip "a mount namespace needs root"
  need_tool unshare "package util-linux"
  need_tool adduser "package adduser"
  local scripts
  work=$(mktemp -d /tmp/gp-agent-scripts-XXXXXX) # global: the EXIT trap removes it
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/upper" "$work/overlay-work" "$work/control"
  dpkg-deb -e "$(deb current gp-agent)" "$work/control"
  dpkg-deb --fsys-tarfile "$(deb current gp-agent)" | tar -xOf - ./lib/systemd/system/gp-agent.service \
    >"$work/gp-agent.service"
  scripts="$work/control"
  cat >"$work/run.sh" <<SCRIPT
set -e
mount -t overlay overlay -o lowerdir=/etc,upperdir=$work/upper,workdir=$work/overlay-work /etc
mount -t tmpfs tmpfs /var/lib
mkdir -p /lib/systemd/system && mount -t tmpfs tmpfs /lib/systemd/system
cp $work/gp-agent.service /lib/systemd/system/
export DPKG_MAINTSCRIPT_PACKAGE=gp-agent
DPKG_MAINTSCRIPT_NAME=postinst sh $scripts/postinst configure ""
DPKG_MAINTSCRIPT_NAME=postinst sh $scripts/postinst configure "$version"
[ "\$(grep -c '^gp-agent:' /etc/passwd)" = 1 ] || { echo "not one gp-agent user"; exit 1; }
[ "\$(getent passwd gp-agent | cut -d: -f7)" = /usr/sbin/nologin ] || { echo "gp-agent can log in"; exit 1; }
[ "\$(stat -c '%U %G %a' /var/lib/gp-agent)" = "gp-agent gp-agent 750" ] ||
  { echo "/var/lib/gp-agent is \$(stat -c '%U %G %a' /var/lib/gp-agent)"; exit 1; }
[ -L /etc/systemd/system/multi-user.target.wants/gp-agent.service ] || { echo "not enabled"; exit 1; }
touch /var/lib/gp-agent/gp-agent.db
DPKG_MAINTSCRIPT_NAME=prerm sh $scripts/prerm remove
DPKG_MAINTSCRIPT_NAME=postrm sh $scripts/postrm remove
[ -e /var/lib/gp-agent/gp-agent.db ] || { echo "remove deleted the state"; exit 1; }
[ "\$(readlink /etc/systemd/system/gp-agent.service)" = /dev/null ] || { echo "not masked"; exit 1; }
DPKG_MAINTSCRIPT_NAME=postrm sh $scripts/postrm purge
[ ! -e /var/lib/gp-agent ] || { echo "purge kept the state"; exit 1; }
[ ! -e /etc/systemd/system/multi-user.target.wants/gp-agent.service ] || { echo "still enabled"; exit 1; }
getent passwd gp-agent >/dev/null || { echo "purge deleted the user"; exit 1; }
SCRIPT
  local before
  before=$(host_fingerprint)
  unshare --mount --propagation private true 2>/dev/null || skip "no mount namespaces here"
  unshare --mount --propagation private sh "$work/run.sh" >"$work/log" 2>&1 ||
    fail "the maintainer scripts: $(cat "$work/log")"
  [ "$(host_fingerprint)" = "$before" ] || fail "the scripts changed this machine's users or units"
  echo "postinst (twice), prerm, postrm remove and purge with adduser: user once, state kept, then gone"
}

case "$step" in
scripts) check_scripts ;;
lifecycle) check_lifecycle ;;
deliver) check_deliver ;;
*) fail "unknown step $step" ;;
esac
