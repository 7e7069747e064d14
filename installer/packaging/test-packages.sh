#!/usr/bin/env bash
# The Debian packages' tests that need no installation (ctest -L packaging;
# installer/packaging/PackagingTests.cmake). test-install.sh has those that install.
#   test-packages.sh STEP BUILD_DIR PACKAGES_DIR VERSION
# STEP is one of:
#   build      cpack the packages into PACKAGES_DIR/current, and again with version VERSION+1 into
#              PACKAGES_DIR/upgrade (the fixture the other steps need)
#   contents   dpkg-deb -I/-c: files, modes, conffiles, maintainer scripts, Depends
#   units      systemd-analyze verify of both units in the unpacked packages, and the exposure
#              score of gp-agent.service (2.5 or lower)
#   template   the packaged configuration: unfilled, the agent stops naming the key to fill in;
#              filled in with an identity and certificates, it starts on mutual TLS
# shellcheck source=installer/packaging/package-test-lib.sh
source "$(dirname "$0")/package-test-lib.sh"

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
  if grep -q '^set(CPACK_COMPONENTS_ALL ".*tray' "$build/CPackConfig.cmake"; then
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

# -- template ------------------------------------------------------------------------------------
# The packaged /etc/gp-agent/agent.properties as a practice receives it stops the agent naming the
# first key to fill in; filled in (identity, certificates: here the test PKI's) the agent starts
# with mutual TLS and no test flag. So the template's keys are ones the agent knows and accepts.
check_template() {
  need_tool openssl "package openssl"
  local work config pid
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  dpkg-deb -x "$(deb current gp-agent)" "$work/root"
  bash "$source_dir/tests/support/make-test-pki.sh" "$work/pki" >/dev/null 2>&1 || fail "make-test-pki.sh"
  mkdir -m 0750 "$work/state"
  config="$work/root/etc/gp-agent/agent.properties"

  sed -i "s|^agent.stateDir = .*|agent.stateDir = $work/state|" "$config"
  local status=0
  "$work/root/usr/bin/gp-agent" --config "$config" >"$work/unfilled.log" 2>&1 || status=$?
  [ "$status" = 78 ] || fail "the unfilled template: exit $status, expected 78: $(cat "$work/unfilled.log")"
  grep -q 'agent.odsCode: is required' "$work/unfilled.log" ||
    fail "the unfilled template does not name agent.odsCode: $(cat "$work/unfilled.log")"

  sed -i -e "s|^agent.odsCode =\$|agent.odsCode = A83008|" \
    -e "s|^agent.partyKey =\$|agent.partyKey = A83008-9199121|" \
    -e "s|^agent.asid =\$|agent.asid = 200000001234|" \
    -e "s|/etc/gp-agent/tls/nhs-ca.pem|$work/pki/ca.pem|" \
    -e "s|/etc/gp-agent/tls/endpoint.pem|$work/pki/practice-a.pem|" \
    -e "s|/etc/gp-agent/tls/endpoint.key|$work/pki/practice-a.key|" \
    -e "s|^api.port = 7670|api.port = 0|" -e "s|^inbound.port = 7671|inbound.port = 0|" "$config"
  ! grep -q 'allowPlainHttp' <<<"$(grep -v '^#' "$config")" || fail "the template sets a test flag"
  "$work/root/usr/bin/gp-agent" --config "$config" >"$work/filled.log" 2>&1 &
  pid=$!
  local deadline=$((SECONDS + 30))
  until [ -s "$work/state/ports.json" ]; do
    kill -0 "$pid" 2>/dev/null || fail "the filled-in template: gp-agent stopped: $(cat "$work/filled.log")"
    [ $SECONDS -lt $deadline ] || { kill "$pid"; fail "the filled-in template: gp-agent did not start"; }
    sleep 0.1
  done
  kill -TERM "$pid"
  wait "$pid" || fail "gp-agent exited with $? on SIGTERM"
  grep -q 'inbound mutual TLS' "$work/filled.log" || fail "the inbound endpoint is not on mutual TLS"
  ! grep -q 'PLAIN HTTP' "$work/filled.log" || fail "the template runs plain HTTP somewhere"
  echo "the template stops naming agent.odsCode; filled in, the agent starts on mutual TLS"
}

case "$step" in
build) build_packages ;;
contents) check_contents ;;
units) check_units ;;
template) check_template ;;
*) fail "unknown step $step" ;;
esac
