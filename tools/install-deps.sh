#!/usr/bin/env bash
# Installs the Debian packages listed in tools/lib/packages.txt that are not installed yet, with
# one apt-get call (after apt-get update). Does nothing, and needs no network, when all are there.
# Runs as root, or through sudo when that exists. Works without a terminal (CI).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list=$here/lib/packages.txt

missing=()
while read -r package _; do
  [[ -z $package || $package == \#* ]] && continue
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$package")
done <"$list"

if ((${#missing[@]} == 0)); then
  echo "install-deps: all $(grep -cvE '^\s*(#|$)' "$list") packages are installed"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
# The mariadb-server and redis-server packages may start their system services; Jifen never uses
# them (tests and the stack start their own servers on other ports).
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null
