#!/usr/bin/env bash
# Usage: tools/bench/redemption/run.sh [BUILD_DIR] [bench flags...]
# Starts a throwaway MariaDB (tools/testenv/start.sh), runs redemption-bench against it, stops it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${1:-$root/build}
shift || true
env_dir=$(mktemp -d /tmp/redemption-bench.XXXXXX)
rmdir "$env_dir"
trap 'bash "$root/tools/testenv/stop.sh" "$env_dir" >/dev/null 2>&1 || true' EXIT
bash "$root/tools/testenv/start.sh" "$env_dir" >/dev/null
# The env file holds KEY=VALUE lines, some of them command lines: read values, never source it.
value() { grep "^$1=" "$env_dir/env" | head -1 | cut -d= -f2-; }
cd "$root"
"$build/services/redemption/redemption-bench" \
  --mysql_host="$(value JIFEN_TEST_MYSQL_HOST)" --mysql_port="$(value JIFEN_TEST_MYSQL_PORT)" \
  --mysql_user="$(value JIFEN_TEST_MYSQL_USER)" \
  --mysql_password="$(value JIFEN_TEST_MYSQL_PASSWORD)" "$@"
