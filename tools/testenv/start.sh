#!/usr/bin/env bash
# Usage: tools/testenv/start.sh OUTDIR
#
# Starts a throwaway MariaDB and Redis for the tests, on free loopback ports, with every file inside
# OUTDIR, and writes OUTDIR/env (KEY=VALUE lines, read by tests/support/testenv.cc):
#   JIFEN_TEST_MYSQL_HOST / _PORT / _USER / _PASSWORD / _SOCKET / _DATADIR / _PIDFILE
#   JIFEN_TEST_MYSQL_START   /bin/sh command line that starts the same mariadbd again, in the
#                            background (returns at once); for tests that kill -9 the server
#   JIFEN_TEST_REDIS_HOST / _PORT / _PIDFILE
#   JIFEN_TEST_REDIS_START   same for redis-server
# Servers left running in OUTDIR by an earlier, crashed run are stopped first, and OUTDIR is
# recreated. tools/testenv/stop.sh OUTDIR stops both and removes OUTDIR.
# The CTest fixture `jifen_servers` (tests/CMakeLists.txt) runs this with OUTDIR=<build>/testenv.
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/lib/servers.sh
source "$here/../lib/servers.sh"

outdir=$(realpath -m -- "$1")
marker=$outdir/.jifen-testenv
admin_user=jifen_admin
admin_password=jifen_admin_pw

# OUTDIR is deleted and recreated: refuse a folder that is not one of ours.
if [[ -e $outdir ]]; then
  if [[ ! -f $marker && -n $(ls -A "$outdir" 2>/dev/null) ]]; then
    jifen_die "$outdir exists, is not empty and was not made by $0; refusing to delete it"
  fi
  jifen_mysql_stop "$outdir/mysql"
  jifen_redis_stop "$outdir/redis"
  rm -rf -- "$outdir"
fi
mkdir -p "$outdir/mysql" "$outdir/redis"
touch "$marker"

started=false
on_exit() {
  if [[ $started != true ]]; then
    jifen_log "start failed; stopping what was started"
    jifen_mysql_stop "$outdir/mysql"
    jifen_redis_stop "$outdir/redis"
  fi
}
trap on_exit EXIT

# MariaDB: a few attempts, in case another process takes the chosen port before mariadbd binds it.
jifen_mysql_install "$outdir/mysql"
mysql_port=
for attempt in 1 2 3 4 5; do
  port=$(jifen_pick_free_port)
  if jifen_mysql_start "$outdir/mysql" "$port"; then
    mysql_port=$port
    break
  fi
  jifen_log "mariadbd start attempt $attempt failed; trying another port"
done
[[ -n $mysql_port ]] || jifen_die "could not start mariadbd"
jifen_mysql_ensure_admin "$outdir/mysql" "$admin_user" "$admin_password"
# The account works over TCP, and the server on that port is ours (same data folder).
datadir=$(jifen_mysql_datadir "$outdir/mysql")
seen=$(mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$mysql_port" -u"$admin_user" \
  -p"$admin_password" --connect-timeout=5 -N -B -e 'SELECT @@datadir')
[[ ${seen%/} == "${datadir%/}" ]] || jifen_die "port $mysql_port answers with datadir '$seen', not $datadir"

redis_port=
for attempt in 1 2 3 4 5; do
  port=$(jifen_pick_free_port)
  if jifen_redis_start "$outdir/redis" "$port"; then
    redis_port=$port
    break
  fi
  jifen_log "redis-server start attempt $attempt failed; trying another port"
done
[[ -n $redis_port ]] || jifen_die "could not start redis-server"

# Written to a temporary name first, so a reader never sees half a file.
cat >"$outdir/env.tmp" <<EOF
JIFEN_TEST_MYSQL_HOST=127.0.0.1
JIFEN_TEST_MYSQL_PORT=$mysql_port
JIFEN_TEST_MYSQL_USER=$admin_user
JIFEN_TEST_MYSQL_PASSWORD=$admin_password
JIFEN_TEST_MYSQL_SOCKET=$(jifen_mysql_socket "$outdir/mysql")
JIFEN_TEST_MYSQL_DATADIR=$datadir
JIFEN_TEST_MYSQL_PIDFILE=$(jifen_mysql_pidfile "$outdir/mysql")
JIFEN_TEST_MYSQL_START=$(jifen_mysql_start_command "$outdir/mysql" "$mysql_port")
JIFEN_TEST_REDIS_HOST=127.0.0.1
JIFEN_TEST_REDIS_PORT=$redis_port
JIFEN_TEST_REDIS_PIDFILE=$(jifen_redis_pidfile "$outdir/redis")
JIFEN_TEST_REDIS_START=$(jifen_redis_start_command "$outdir/redis")
EOF
mv "$outdir/env.tmp" "$outdir/env"
started=true

echo "MariaDB 127.0.0.1:$mysql_port (pid $(jifen_mysql_running_pid "$outdir/mysql"), user $admin_user)"
echo "Redis   127.0.0.1:$redis_port (pid $(jifen_redis_running_pid "$outdir/redis"))"
echo "env:    $outdir/env"
