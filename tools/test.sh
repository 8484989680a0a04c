#!/usr/bin/env bash
# The test command: configure + build into build/ (Ninja, RelWithDebInfo, ccache), then run every
# test with ctest. Exits with ctest's code. Extra arguments go to ctest, e.g.
#   tools/test.sh -L unit          only the unit tests (no servers)
#   tools/test.sh -R ledger        tests whose name matches
# Integration and e2e tests get a throwaway MariaDB + Redis from the CTest fixture jifen_servers.
# See tools/lib/build.sh for the environment variables (JIFEN_BUILD_DIR, JIFEN_JOBS, CCACHE_DIR).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=tools/lib/build.sh
source tools/lib/build.sh

jifen_configure_and_build
status=0
ctest --test-dir "$(jifen_build_dir)" --output-on-failure -j "${JIFEN_JOBS:-2}" "$@" || status=$?
exit "$status"
