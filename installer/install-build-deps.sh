#!/usr/bin/env bash
# Installs, with apt-get, whatever the build and the tests need and this Debian 12 machine lacks.
# Safe to run again: it installs nothing when everything is present.
set -euo pipefail

# One group per line, each saying what needs it.
packages=(
  cmake g++ make pkg-config # the build
  libpoco-dev libcurl4-openssl-dev libxml2-dev libsqlite3-dev libssl-dev zlib1g-dev # libraries
  doctest-dev clang-format sqlite3 python3 curl ca-certificates git # tests and their tools
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
