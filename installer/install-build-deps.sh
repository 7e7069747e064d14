#!/usr/bin/env bash
# Installs, with apt-get, whatever the build and the tests need and this Debian 12 machine lacks.
# Safe to run again: it installs nothing when everything is present.
set -euo pipefail

# One group per line, each saying what needs it.
packages=(
  cmake g++ make pkg-config # the build
  libpoco-dev libcurl4-openssl-dev libxml2-dev libsqlite3-dev libssl-dev zlib1g-dev libpq-dev # libraries
  postgresql # the PostgreSQL engine's tests start a throw-away server (tests/support/pg-server.sh)
  doctest-dev clang-format sqlite3 python3 curl ca-certificates git # tests and their tools
  qt6-base-dev libgl-dev xvfb tint2 x11-apps x11-utils xdotool # gp-agent-tray and its desktop test (ctest -L gui)
  chromium chromium-driver # the status page's browser test: headless Chromium driven over WebDriver (ctest -L gui)
  dpkg-dev fakeroot systemd adduser # Debian packages: cpack's dpkg-shlibdeps, the unit checks (ctest -L packaging)
  clang libclang-rt-14-dev llvm # fuzzing: libFuzzer, its sanitizer runtimes, llvm-symbolizer (installer/fuzz.sh)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-build-deps: everything needed is installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-build-deps: missing ${missing[*]}; run as root (or with sudo) to install them" >&2
  exit 1
fi

echo "install-build-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
