#!/usr/bin/env bash
# Usage: tools/testenv/stop.sh OUTDIR
#
# Stops the MariaDB and Redis that tools/testenv/start.sh started in OUTDIR (exactly the pids in
# their pid files: SIGTERM, a bounded wait, then SIGKILL) and removes OUTDIR.
# Set JIFEN_TESTENV_KEEP=1 to keep OUTDIR (server logs) for a look after a failed run.
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/lib/servers.sh
source "$here/../lib/servers.sh"

outdir=$(realpath -m -- "$1")
[[ -e $outdir ]] || exit 0
[[ -f $outdir/.jifen-testenv ]] || jifen_die "$outdir was not made by start.sh; leaving it alone"

jifen_redis_stop "$outdir/redis"
jifen_mysql_stop "$outdir/mysql"

if [[ ${JIFEN_TESTENV_KEEP:-0} == 1 ]]; then
  jifen_log "servers stopped; keeping $outdir (JIFEN_TESTENV_KEEP=1)"
else
  rm -rf -- "$outdir"
fi
