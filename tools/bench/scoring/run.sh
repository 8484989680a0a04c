#!/usr/bin/env bash
# The scoring benchmark of issue 3 (Acceptance), in one run, on this machine:
#
#   tools/bench/scoring/run.sh [jifen-bench-scoring flags, e.g. --seconds=10 --clients=8,32]
#
# Starts a throwaway MariaDB + Redis (tools/testenv/start.sh) under a temporary folder, runs
# jifen-bench-scoring against them (it starts its own jifen-scoring) and stops everything on exit.
# Results go to stdout as Markdown tables, progress to stderr.
#
# Environment:
#   JIFEN_BUILD_DIR      build folder, relative to the checkout or absolute (default: build); it
#                        must hold jifen-scoring and jifen-bench-scoring:
#                          cmake --build build --target jifen-bench-scoring jifen-scoring
#   JIFEN_BENCH_LOCK     lock file held while measuring, so that builds serialised on it (see
#                        docs/dev-notes.md) do not run meanwhile (default: /tmp/jifen-build.lock;
#                        empty: no lock)
#   JIFEN_MYSQL_EXTRA_ARGS  extra mariadbd arguments for tools/testenv/start.sh (default:
#                        "--innodb-buffer-pool-size=1G --innodb-log-file-size=512M": the
#                        1,000,000-entry ledger (about 0.6 GB with its indexes) fits in memory, as
#                        it would on a production server, and its bulk load is not throttled by
#                        the tests' 48 MB redo log; commits still flush the log, as in the tests)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
build_dir=${JIFEN_BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir=$root/$build_dir
bench=$build_dir/tools/bench/jifen-bench-scoring
for binary in "$bench" "$build_dir/services/scoring/jifen-scoring"; do
  if [[ ! -x $binary ]]; then
    echo "run.sh: $binary is missing; build it first:" >&2
    echo "  cmake --build $build_dir --target jifen-bench-scoring jifen-scoring" >&2
    exit 2
  fi
done

command="tools/bench/scoring/run.sh${*:+ $*}"
[[ -z ${JIFEN_BUILD_DIR:-} ]] || command="JIFEN_BUILD_DIR=$JIFEN_BUILD_DIR $command"

work=$(mktemp -d "${TMPDIR:-/tmp}/jifen-bench-scoring.XXXXXX")
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  bash "$root/tools/testenv/stop.sh" "$work/servers" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

default_mysql_args="--innodb-buffer-pool-size=1G --innodb-log-file-size=512M"
export JIFEN_MYSQL_EXTRA_ARGS=${JIFEN_MYSQL_EXTRA_ARGS-$default_mysql_args}
bash "$root/tools/testenv/start.sh" "$work/servers" >&2
mkdir -p "$work/tmp"
export JIFEN_TESTENV=$work/servers/env
export JIFEN_SOURCE_DIR=$root
export JIFEN_BINARY_DIR=$build_dir
# The harness keeps its keys and the service's log under TMPDIR: inside $work, removed on exit.
export TMPDIR=$work/tmp

run=("$bench" "--command=$command" "$@")
lock=${JIFEN_BENCH_LOCK-/tmp/jifen-build.lock}
if [[ -n $lock ]]; then
  echo "run.sh: waiting for $lock (no builds while measuring)" >&2
  run=(flock "$lock" "${run[@]}")
fi
status=0
"${run[@]}" || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: jifen-bench-scoring failed ($status); the service's log:" >&2
  tail -n 40 "$work"/tmp/jifen-scoring-*.log >&2 2>/dev/null || true
fi
exit "$status"
