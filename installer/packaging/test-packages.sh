#!/usr/bin/env bash
# The Debian packages' tests (ctest -L packaging; installer/packaging/PackagingTests.cmake).
#   test-packages.sh STEP BUILD_DIR PACKAGES_DIR VERSION
# STEP is one of:
#   build      cpack the packages into PACKAGES_DIR/current, and again with version VERSION+1 into
#              PACKAGES_DIR/upgrade (the fixture the other steps need)
#   contents   dpkg-deb -I/-c: files, modes, conffiles, maintainer scripts, Depends
#   units      systemd-analyze verify of both units in the unpacked packages, and the exposure
#              score of gp-agent.service (2.5 or lower)
#   lifecycle  dpkg --root into a throwaway root: install, user and state directory made once,
#              nothing done to this machine, reinstall is harmless, remove keeps the state,
#              purge deletes it
#   deliver    install, queue a message while the Spine is unreachable, upgrade to VERSION+1
#              (the edited conffile and the queue stay), then the installed gp-agent with the
#              installed configuration delivers it to the installed spine-mock: acked; purge
# Exit code 77 (ctest: skipped) when a tool or root, which dpkg --root needs, is missing.
set -euo pipefail

step=$1
build=$(cd "$2" && pwd)
mkdir -p "$3"
packages=$(cd "$3" && pwd)
version=$4
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(dpkg --print-architecture)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}
need_tool() { command -v "$1" >/dev/null || skip "$1 is not installed ($2)"; }

deb() { # deb DIR PACKAGE: the one package file
  local file
  file="$packages/$1/$2_$(package_version "$1")_${arch}.deb"
  [ -f "$file" ] || fail "no package $file (did the build step run?)"
  echo "$file"
}
package_version() { if [ "$1" = upgrade ]; then echo "$version+1"; else echo "$version"; fi; }

# -- build ---------------------------------------------------------------------------------------
build_packages() {
  need_tool dpkg-shlibdeps "package dpkg-dev"
  rm -rf "$packages"
  mkdir -p "$packages/current" "$packages/upgrade"
  (cd "$packages/current" && cpack --config "$build/CPackConfig.cmake" -B "$packages/current") ||
    fail "cpack failed"
  (cd "$packages/upgrade" && cpack --config "$build/CPackConfig.cmake" -B "$packages/upgrade" \
    -D CPACK_PACKAGE_VERSION="$version+1") || fail "cpack of the upgrade packages failed"
  ls -l "$packages"/current/*.deb "$packages"/upgrade/*.deb
}

# -- contents ------------------------------------------------------------------------------------
# expect_entry LISTING MODE PATH: dpkg-deb -c shows PATH with MODE, owned by root.
expect_entry() {
  grep -Eq "^$2 root/root +[0-9]+ [0-9-]+ [0-9:]+ \.$3( |$)" <<<"$1" ||
    fail "$3 is not in the package with mode $2 and owner root; the package has:
$(grep -F "$3" <<<"$1" || echo '(nothing)')"
}

expect_field() { # expect_field DEB FIELD REGEX
  local value
  value=$(dpkg-deb -f "$1" "$2")
  grep -Eq "$3" <<<"$value" || fail "$(basename "$1"): $2 is '$value', expected to match $3"
}

expect_conffiles() { # expect_conffiles DEB FILE...: exactly these conffiles
  local listed expected
  listed=$(dpkg-deb -I "$1" conffiles | sort)
  expected=$(printf '%s\n' "${@:2}" | sort)
  [ "$listed" = "$expected" ] || fail "$(basename "$1") conffiles are '$listed', expected '$expected'"
}

expect_scripts() { # expect_scripts DEB SCRIPT...: maintainer scripts present, 0755
  local control
  control=$(dpkg-deb --ctrl-tarfile "$1" | tar -tvf -)
  for script in "${@:2}"; do
    grep -Eq "^-rwxr-xr-x .* \./$script$" <<<"$control" ||
      fail "$(basename "$1"): no executable $script in the control archive:
$control"
  done
}

check_contents() {
  local agent mock listing
  agent=$(deb current gp-agent)
  mock=$(deb current spine-mock)

  expect_field "$agent" Package '^gp-agent$'
  expect_field "$agent" Version "^$version$"
  # adduser for postinst, and the libraries dpkg-shlibdeps found.
  expect_field "$agent" Depends '(^|, )adduser(,|$)'
  expect_field "$agent" Depends 'libc6 \(>= '
  expect_field "$agent" Depends 'libsqlite3-0'
  expect_field "$agent" Depends 'libpoco'
  expect_field "$agent" Depends 'libcurl'
  expect_conffiles "$agent" /etc/gp-agent/agent.properties
  expect_scripts "$agent" postinst prerm postrm
  listing=$(dpkg-deb -c "$agent")
  expect_entry "$listing" -rwxr-xr-x /usr/bin/gp-agent
  expect_entry "$listing" -rwxr-xr-x /usr/bin/gp-agentctl
  expect_entry "$listing" -rw-r--r-- /lib/systemd/system/gp-agent.service
  expect_entry "$listing" -rw-r--r-- /etc/gp-agent/agent.properties
  expect_entry "$listing" -rw-r--r-- /usr/share/man/man8/gp-agent.8.gz
  expect_entry "$listing" -rw-r--r-- /usr/share/man/man8/gp-agentctl.8.gz
  expect_entry "$listing" -rw-r--r-- /usr/share/doc/gp-agent/operations.md
  ! grep -q 'spine-mock' <<<"$(grep -v '/doc/' <<<"$listing")" || fail "gp-agent carries spine-mock files"
  # Stripped: no debug sections shipped to practice servers.
  dpkg-deb --fsys-tarfile "$agent" | tar -xOf - ./usr/bin/gp-agent >"$packages/gp-agent.bin"
  ! readelf -S "$packages/gp-agent.bin" | grep -q '\.debug_info' || fail "gp-agent is not stripped"

  expect_field "$mock" Package '^spine-mock$'
  expect_field "$mock" Depends 'libsqlite3-0'
  expect_conffiles "$mock" /etc/spine-mock/mock.properties /etc/spine-mock/registry.json
  expect_scripts "$mock" postinst prerm postrm
  listing=$(dpkg-deb -c "$mock")
  expect_entry "$listing" -rwxr-xr-x /usr/bin/spine-mock
  expect_entry "$listing" -rw-r--r-- /lib/systemd/system/spine-mock.service
  expect_entry "$listing" -rw-r--r-- /etc/spine-mock/mock.properties
  expect_entry "$listing" -rw-r--r-- /etc/spine-mock/registry.json

  # gp-agent-tray exists only where Qt 6 was found at configure time.
  if grep -q 'gp-agent-tray' "$build/CPackConfig.cmake" 2>/dev/null &&
    [ -n "$(ls "$packages"/current/gp-agent-tray_*.deb 2>/dev/null)" ]; then
    local tray
    tray=$(deb current gp-agent-tray)
    expect_conffiles "$tray" /etc/xdg/autostart/gp-agent-tray.desktop
    listing=$(dpkg-deb -c "$tray")
    expect_entry "$listing" -rwxr-xr-x /usr/bin/gp-agent-tray
    expect_entry "$listing" -rw-r--r-- /usr/share/applications/gp-agent-tray.desktop
    expect_entry "$listing" -rw-r--r-- /etc/xdg/autostart/gp-agent-tray.desktop
    expect_field "$tray" Depends 'libqt6'
    echo "gp-agent-tray checked"
  else
    echo "gp-agent-tray not built here (no Qt 6): not checked"
  fi
  echo "contents, modes, conffiles, scripts and Depends as expected"
}

# -- units ---------------------------------------------------------------------------------------
check_units() {
  need_tool systemd-analyze "package systemd"
  local unpacked score
  unpacked=$(mktemp -d)
  trap 'rm -rf "$unpacked"' RETURN
  dpkg-deb -x "$(deb current gp-agent)" "$unpacked"
  dpkg-deb -x "$(deb current spine-mock)" "$unpacked"
  # --root finds ExecStart='s binary inside the unpacked packages; the targets the units are
  # ordered after come from this machine's systemd (copied: a link would point back into the root).
  cp -rn /lib/systemd/system/. "$unpacked/lib/systemd/system/"
  for unit in gp-agent spine-mock; do
    # It warns about unknown keys and bad values but still exits 0: any output is a failure.
    systemd-analyze verify --man=no --root="$unpacked" "$unpacked/lib/systemd/system/$unit.service" \
      >"$unpacked/verify.txt" 2>&1 || fail "systemd-analyze verify $unit.service: $(cat "$unpacked/verify.txt")"
    [ ! -s "$unpacked/verify.txt" ] || fail "systemd-analyze verify $unit.service: $(cat "$unpacked/verify.txt")"
    echo "systemd-analyze verify $unit.service: clean"
  done
  # The man pages the unit's Documentation= names render without warnings.
  for page in gp-agent gp-agentctl; do
    man --warnings -l "$unpacked/usr/share/man/man8/$page.8.gz" 2>&1 >/dev/null | grep . &&
      fail "man page $page.8 has warnings"
  done
  # Offline: scores the unit file as written, no running systemd needed. 25 means 2.5.
  systemd-analyze security --offline=yes --root="$unpacked" --threshold=25 \
    "$unpacked/lib/systemd/system/gp-agent.service" >"$unpacked/security.txt" 2>&1 ||
    fail "gp-agent.service exposure above 2.5:
$(cat "$unpacked/security.txt")"
  score=$(grep -o 'Overall exposure level for gp-agent.service: [0-9.]* [A-Z]*' "$unpacked/security.txt")
  echo "$score"
  systemd-analyze security --offline=yes --root="$unpacked" --threshold=25 \
    "$unpacked/lib/systemd/system/spine-mock.service" | tail -1
}

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

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
    sleep 0.1
  done
}

start_agent() { # the installed binary with the installed (edited) configuration
  rm -f "$state/ports.json"
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
message_field() { ctl --json show "$1" | json_field "$2"; }
attempted() { [ "$(message_field "$1" attempts)" -ge 1 ] 2>/dev/null; }
acked() { [ "$(message_field "$1" state)" = acked ]; }

check_deliver() {
  make_root
  trap finish EXIT
  need_tool python3 "package python3"
  state="$root/var/lib/gp-agent"

  dpkg_root -i "$(deb current gp-agent)" "$(deb current spine-mock)" || fail "install"

  # What a test set-up changes in the installed template: the practice, loopback ports chosen by
  # the kernel, no TLS, and a Spine nobody listens on (port 1) so the message waits in the queue.
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
test.allowPlainHttp = true
retry.baseDelay = PT0.2S
retry.maxDelay = PT0.5S
spine.url = http://127.0.0.1:1
CONF
  local edited message_id mock_port
  edited=$(sha256sum <"$root/etc/gp-agent/agent.properties")

  start_agent
  message_id=$(ctl --json submit eps "$source_dir/installer/examples/prescription.json" | json_field messageId)
  [ -n "$message_id" ] || fail "no message id from submit"
  wait_for 30 "the first attempt of $message_id" attempted "$message_id"
  stop_agent
  [ "$(message_field_offline "$message_id")" != acked ] || fail "acked without a Spine"

  # Upgrade: the edited conffile and the queue stay.
  dpkg_root -i "$(deb upgrade gp-agent)" "$(deb upgrade spine-mock)" || fail "upgrade"
  [ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' gp-agent)" = "$version+1" ] ||
    fail "gp-agent not upgraded"
  [ "$(sha256sum <"$root/etc/gp-agent/agent.properties")" = "$edited" ] ||
    fail "the upgrade changed the edited /etc/gp-agent/agent.properties"
  expect_no_file /etc/gp-agent/agent.properties.dpkg-new
  [ "$(sqlite3 "$state/gp-agent.db" "SELECT COUNT(*) FROM messages WHERE message_id = '$message_id'")" = 1 ] ||
    fail "the upgrade lost the queued message"

  # The installed spine-mock with its installed configuration and example registry.
  cat >>"$root/etc/spine-mock/mock.properties" <<CONF
mock.port = 0
mock.stateDir = $root/var/lib/spine-mock
mock.registry = $root/etc/spine-mock/registry.json
CONF
  "$root/usr/bin/spine-mock" --config "$root/etc/spine-mock/mock.properties" >"$root/tmp/spine-mock.log" 2>&1 &
  pids+=("$!")
  wait_for 30 "spine-mock to listen (log: $root/tmp/spine-mock.log)" test -s "$root/var/lib/spine-mock/ports.json"
  mock_port=$(json_field http <"$root/var/lib/spine-mock/ports.json")
  printf 'spine.url = http://127.0.0.1:%s\n' "$mock_port" >>"$root/etc/gp-agent/agent.properties"

  start_agent
  wait_for 60 "$message_id to be acked (log: $root/tmp/gp-agent.log)" acked "$message_id"
  ctl audit verify || fail "audit verify after the upgrade"
  stop_agent
  echo "message $message_id queued by $version, acked after the upgrade to $version+1"

  dpkg_root -P gp-agent spine-mock || fail "purge"
  expect_no_file /var/lib/gp-agent
}

# The state column straight from the database, with the agent stopped.
message_field_offline() {
  sqlite3 "$state/gp-agent.db" "SELECT state FROM messages WHERE message_id = '$1'"
}

case "$step" in
build) build_packages ;;
contents) check_contents ;;
units) check_units ;;
lifecycle) check_lifecycle ;;
deliver) check_deliver ;;
*) fail "unknown step $step" ;;
esac
