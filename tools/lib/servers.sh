# shellcheck shell=bash
# Start and stop a private MariaDB or Redis inside a folder of ours, on a loopback port.
# Sourced by tools/testenv/start.sh and stop.sh (throwaway servers for tests) and tools/stack.sh
# (the local stack, persistent folders under run/). Callers run with `set -euo pipefail`.
#
# Layout of a MariaDB folder DIR:     DIR/data (datadir), DIR/mysqld.pid, DIR/mysqld.sock (or a
#                                     short path under /tmp, see jifen_mysql_socket), DIR/mysqld.log,
#                                     DIR/tmp
# Layout of a Redis folder DIR:       DIR/redis.conf, DIR/redis.pid, DIR/redis.log, DIR/data
#
# Every stop function kills only a pid read from our own pid file, and only after checking that the
# process is the server of that folder (a pid can be reused after a reboot or a crash).

# Seconds to wait for a server to accept connections, and for one to exit after SIGTERM.
JIFEN_START_TIMEOUT_S=${JIFEN_START_TIMEOUT_S:-60}
JIFEN_STOP_TIMEOUT_S=${JIFEN_STOP_TIMEOUT_S:-30}

jifen_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
jifen_die() { jifen_log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Processes and ports

# True if the process exists and is not a zombie.
jifen_pid_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ -n $state && $state != Z ]]
}

# Prints the pid stored in FILE, or nothing if the file is missing or holds no pid.
jifen_pid_from_file() {
  local file=$1 pid=
  if [[ -r $file ]]; then read -r pid <"$file" 2>/dev/null || true; fi
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
  return 0
}

# True if /proc/PID/cmdline contains TEXT (the process is the one we think it is).
jifen_pid_cmdline_has() {
  local pid=$1 text=$2 cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  [[ $cmdline == *"$text"* ]]
}

# Waits up to SECONDS for PID to be gone. Returns 1 on timeout.
jifen_wait_pid_gone() {
  local pid=$1 seconds=$2 deadline
  deadline=$((SECONDS + seconds))
  while jifen_pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# SIGTERM, a bounded wait, then SIGKILL. NAME is for messages only.
jifen_stop_pid() {
  local pid=$1 name=$2 timeout=${3:-$JIFEN_STOP_TIMEOUT_S}
  jifen_pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! jifen_wait_pid_gone "$pid" "$timeout"; then
    jifen_log "$name (pid $pid) still running ${timeout}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    jifen_wait_pid_gone "$pid" 10 || jifen_log "$name (pid $pid) did not exit after SIGKILL"
  fi
}

# True if something listens on 127.0.0.1:PORT or on the wildcard address with that port.
jifen_port_in_use() {
  local port=$1
  [[ -n $(ss -Hltn "( sport = :$port )" 2>/dev/null) ]]
}

# Prints a TCP port that nothing listens on. Chosen at random below the kernel's ephemeral range
# (32768+), so outgoing connections do not take it in the meantime. A caller must still cope with a
# lost race (another process binding the port first): every start function below fails fast then.
jifen_pick_free_port() {
  local port i
  for ((i = 0; i < 500; i++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    if ! jifen_port_in_use "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  jifen_die "no free loopback port found in 20000-31999"
}

# Shell-quotes each argument and prints them as one command line.
jifen_quote_command() {
  local out='' arg
  for arg in "$@"; do out+="${out:+ }$(printf '%q' "$arg")"; done
  printf '%s\n' "$out"
}

# A command prefix that runs the rest of the command line without the files it inherits beyond
# stdin, stdout and stderr. Servers outlive the command that starts them: a test run's servers
# that kept its `flock /tmp/jifen-build.lock` descriptor held the lock (and every build and test
# waiting on it) for as long as they lived.
jifen_without_inherited_files() {
  # shellcheck disable=SC2016  # expanded by that bash
  jifen_quote_command bash -c 'for fd in /proc/self/fd/*; do fd=${fd##*/}; ((fd > 2)) && { exec {fd}>&-; } 2>/dev/null; done; exec "$@"' jifen-server
}

# Prints the last LINES lines of FILE written after byte OFFSET to stderr, for failure reports.
jifen_show_log() {
  local file=$1 lines=${2:-40} offset=${3:-0}
  [[ -r $file ]] || return 0
  jifen_log "last lines of $file:"
  tail -c +"$((offset + 1))" "$file" | tail -n "$lines" | sed 's/^/    /' >&2
}

# ---------------------------------------------------------------------------------------------
# MariaDB

# Unix socket paths are limited to 107 bytes; a deep build folder would exceed that, so long
# folders get a short socket path under /tmp derived from the folder's name.
jifen_mysql_socket() {
  local dir=$1 sock=$1/mysqld.sock
  if ((${#sock} > 100)); then
    sock=/tmp/jifen-mysqld-$(printf '%s' "$dir" | md5sum | cut -c1-16).sock
  fi
  printf '%s\n' "$sock"
}
jifen_mysql_datadir() { printf '%s\n' "$1/data"; }
jifen_mysql_pidfile() { printf '%s\n' "$1/mysqld.pid"; }
jifen_mysql_logfile() { printf '%s\n' "$1/mysqld.log"; }

# mariadbd refuses to run as root unless told to; as any other user --user must be left out.
jifen_mysql_user_args() {
  if [[ $(id -u) -eq 0 ]]; then printf '%s\n' --user=root; fi
}

# Prints the mariadbd argument vector for folder DIR and PORT, one argument per line.
# JIFEN_MYSQL_EXTRA_ARGS (space-separated) is appended, e.g. "--innodb-buffer-pool-size=1G".
jifen_mysql_args() {
  local dir=$1 port=$2
  # shellcheck disable=SC2207  # one word or none
  local -a args=(
    --no-defaults
    $(jifen_mysql_user_args)
    --datadir="$(jifen_mysql_datadir "$dir")"
    --socket="$(jifen_mysql_socket "$dir")"
    --pid-file="$(jifen_mysql_pidfile "$dir")"
    --log-error="$(jifen_mysql_logfile "$dir")"
    --tmpdir="$dir/tmp"
    --port="$port"
    --bind-address=127.0.0.1
    --skip-name-resolve
    --character-set-server=utf8mb4
    --collation-server=utf8mb4_general_ci
    --default-time-zone=+08:00
    --max-connections=500
    # Services keep prepared statements per pooled connection (common/mysql/statement_cache.h):
    # up to 128 x 500 connections, more than the default limit of 16,382 for the whole server.
    --max-prepared-stmt-count=1048576
    --innodb-buffer-pool-size=256M
    --innodb-log-file-size=48M
    # Durable commits: crash tests kill -9 the server and expect committed rows back.
    --innodb-flush-log-at-trx-commit=1
    --innodb-doublewrite=1
    # Simulated AIO: several private servers on one machine must not exhaust fs.aio-max-nr, and
    # io_uring may be refused inside containers.
    --innodb-use-native-aio=0
    --skip-log-bin
  )
  # shellcheck disable=SC2206
  [[ -n ${JIFEN_MYSQL_EXTRA_ARGS:-} ]] && args+=($JIFEN_MYSQL_EXTRA_ARGS)
  printf '%s\n' "${args[@]}"
}

# Prints a /bin/sh command line that starts mariadbd for DIR on PORT in the background, detached
# from the caller (own session, stdio to a file), and returns at once. Recorded for tests that
# restart the server after kill -9.
jifen_mysql_start_command() {
  local dir=$1 port=$2 mariadbd
  mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  local -a args
  mapfile -t args < <(jifen_mysql_args "$dir" "$port")
  printf '%s %s </dev/null >>%s 2>&1 &\n' "$(jifen_without_inherited_files)" \
    "$(jifen_quote_command setsid "$mariadbd" "${args[@]}")" \
    "$(printf '%q' "$dir/mysqld.out")"
}

# Creates the data folder of DIR once (system tables, root@localhost without password, reachable
# only through the socket inside DIR). Does nothing if it already exists.
jifen_mysql_install() {
  local dir=$1 datadir
  datadir=$(jifen_mysql_datadir "$dir")
  [[ -d $datadir/mysql ]] && return 0
  [[ $datadir != *[[:space:]]* ]] ||
    jifen_die "mariadb-install-db can't handle white space in the data folder: $datadir"
  mkdir -p "$datadir" "$dir/tmp"
  jifen_log "mariadb-install-db into $datadir"
  # shellcheck disable=SC2046  # one word or none
  if ! mariadb-install-db --no-defaults $(jifen_mysql_user_args) \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    --datadir="$datadir" --innodb-log-file-size=48M --innodb-use-native-aio=0 \
    >"$dir/install-db.log" 2>&1; then
    jifen_show_log "$dir/install-db.log"
    rm -rf "$datadir"
    jifen_die "mariadb-install-db failed"
  fi
}

# Runs the mariadb client as root through DIR's socket; extra arguments are passed on.
jifen_mysql_root() {
  local dir=$1
  shift
  mariadb --no-defaults --protocol=socket --socket="$(jifen_mysql_socket "$dir")" -uroot \
    --connect-timeout=5 "$@"
}

jifen_mysql_ping() {
  mariadb-admin --no-defaults --protocol=socket --socket="$(jifen_mysql_socket "$1")" -uroot \
    --connect-timeout=2 ping >/dev/null 2>&1
}

# Prints the pid of DIR's running mariadbd, or nothing.
jifen_mysql_running_pid() {
  local dir=$1 pid
  pid=$(jifen_pid_from_file "$(jifen_mysql_pidfile "$dir")")
  if [[ -n $pid ]] && jifen_pid_alive "$pid" &&
    jifen_pid_cmdline_has "$pid" "--datadir=$(jifen_mysql_datadir "$dir")"; then
    printf '%s\n' "$pid"
  fi
}

# Starts mariadbd for DIR on PORT and waits until it answers through its socket. Fails fast (and
# returns 1 with the server's log shown) if the server aborts, e.g. because PORT was taken.
jifen_mysql_start() {
  local dir=$1 port=$2 timeout=${3:-$JIFEN_START_TIMEOUT_S}
  local log pidfile offset deadline pid
  log=$(jifen_mysql_logfile "$dir")
  pidfile=$(jifen_mysql_pidfile "$dir")
  mkdir -p "$dir/tmp"
  rm -f "$pidfile"
  touch "$log"
  offset=$(stat -c %s "$log")
  sh -c "$(jifen_mysql_start_command "$dir" "$port")"
  deadline=$((SECONDS + timeout))
  while :; do
    pid=$(jifen_pid_from_file "$pidfile")
    if [[ -n $pid ]] && jifen_pid_alive "$pid" && jifen_mysql_ping "$dir"; then
      return 0
    fi
    if tail -c +"$((offset + 1))" "$log" | grep -q -e '\[ERROR\] Aborting' -e 'Do you already have another'; then
      jifen_log "mariadbd for $dir did not start on port $port"
      jifen_show_log "$log" 20 "$offset"
      [[ -n $pid ]] && jifen_stop_pid "$pid" mariadbd 10
      return 1
    fi
    if ((SECONDS >= deadline)); then
      jifen_log "mariadbd for $dir did not answer within ${timeout}s"
      jifen_show_log "$log" 20 "$offset"
      [[ -n $pid ]] && jifen_stop_pid "$pid" mariadbd 10
      return 1
    fi
    sleep 0.2
  done
}

# Creates (or resets the password of) an account USER@127.0.0.1 and USER@localhost with every
# privilege WITH GRANT OPTION.
jifen_mysql_ensure_admin() {
  local dir=$1 user=$2 password=$3 host sql=
  [[ $user =~ ^[A-Za-z0-9_]+$ ]] || jifen_die "bad MySQL user name: $user"
  password=${password//\\/\\\\}
  password=${password//\'/\\\'}
  for host in 127.0.0.1 localhost; do
    sql+="CREATE USER IF NOT EXISTS '$user'@'$host' IDENTIFIED BY '$password';"
    sql+="ALTER USER '$user'@'$host' IDENTIFIED BY '$password';"
    sql+="GRANT ALL PRIVILEGES ON *.* TO '$user'@'$host' WITH GRANT OPTION;"
  done
  # mariadb-install-db also made root accounts without password for TCP from loopback (and the
  # host name); root stays reachable through the socket in DIR only.
  local root_host
  while read -r root_host; do
    [[ -n $root_host ]] && sql+="DROP USER IF EXISTS 'root'@'$root_host';"
  done < <(jifen_mysql_root "$dir" -N -B -e \
    "SELECT host FROM mysql.user WHERE user = 'root' AND host <> 'localhost'")
  # On standard input: the statements hold the password, and `ps` shows arguments to every user.
  jifen_mysql_root "$dir" <<<"$sql"
}

# Stops DIR's mariadbd if it runs (only a process whose command line names DIR's datadir).
jifen_mysql_stop() {
  local dir=$1 pid
  pid=$(jifen_mysql_running_pid "$dir")
  if [[ -n $pid ]]; then
    jifen_log "stopping mariadbd (pid $pid, $dir)"
    jifen_stop_pid "$pid" mariadbd
  fi
  rm -f "$(jifen_mysql_pidfile "$dir")"
  # The short socket under /tmp is ours too; mariadbd leaves it behind after a kill -9.
  local sock
  sock=$(jifen_mysql_socket "$dir")
  [[ $sock == /tmp/jifen-mysqld-* ]] && rm -f "$sock" "$sock.lock"
  return 0
}

# ---------------------------------------------------------------------------------------------
# Redis

jifen_redis_conf() { printf '%s\n' "$1/redis.conf"; }
jifen_redis_pidfile() { printf '%s\n' "$1/redis.pid"; }
jifen_redis_logfile() { printf '%s\n' "$1/redis.log"; }

# Writes DIR/redis.conf for PORT. Append-only file, fsync every second: Redis holds nothing that
# can't be rebuilt, but keeping data across a restart makes the local stack pleasant.
jifen_redis_write_conf() {
  local dir=$1 port=$2
  mkdir -p "$dir/data"
  cat >"$(jifen_redis_conf "$dir")" <<EOF
# Written by tools/lib/servers.sh; rewritten on every start.
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile $(jifen_redis_pidfile "$dir")
logfile $(jifen_redis_logfile "$dir")
dir $dir/data
save ""
appendonly yes
appendfsync everysec
EOF
}

# Prints a /bin/sh command line that starts redis-server for DIR (config already written); it
# daemonizes, so the command returns at once.
jifen_redis_start_command() {
  local dir=$1 server
  server=$(command -v redis-server || echo /usr/bin/redis-server)
  printf '%s %s </dev/null >>%s 2>&1\n' "$(jifen_without_inherited_files)" \
    "$(jifen_quote_command "$server" "$(jifen_redis_conf "$dir")")" \
    "$(printf '%q' "$dir/redis.out")"
}

# Prints the pid of DIR's running redis-server, or nothing. Redis rewrites its command line to
# "redis-server 127.0.0.1:PORT", so the port read from DIR's config identifies it.
jifen_redis_running_pid() {
  local dir=$1 pid port
  pid=$(jifen_pid_from_file "$(jifen_redis_pidfile "$dir")")
  port=$(awk '$1 == "port" {print $2}' "$(jifen_redis_conf "$dir")" 2>/dev/null || true)
  if [[ -n $pid && -n $port ]] && jifen_pid_alive "$pid" &&
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server ]] &&
    jifen_pid_cmdline_has "$pid" ":$port"; then
    printf '%s\n' "$pid"
  fi
}

# Starts redis-server for DIR on PORT and waits until the server on PORT answers and is ours
# (its process_id equals our pid file). Returns 1, with the log shown, if it fails.
jifen_redis_start() {
  local dir=$1 port=$2 timeout=${3:-$JIFEN_START_TIMEOUT_S}
  local log pidfile offset deadline pid server_pid
  log=$(jifen_redis_logfile "$dir")
  pidfile=$(jifen_redis_pidfile "$dir")
  jifen_redis_write_conf "$dir" "$port"
  rm -f "$pidfile"
  touch "$log"
  offset=$(stat -c %s "$log")
  sh -c "$(jifen_redis_start_command "$dir")"
  deadline=$((SECONDS + timeout))
  while :; do
    pid=$(jifen_pid_from_file "$pidfile")
    if [[ -n $pid ]] && jifen_pid_alive "$pid"; then
      server_pid=$(redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null |
        tr -d '\r' | awk -F: '$1 == "process_id" {print $2}' || true)
      [[ $server_pid == "$pid" ]] && return 0
    fi
    if tail -c +"$((offset + 1))" "$log" | grep -q -e 'Could not create server TCP' -e 'Failed listening on port' -e '# Fatal'; then
      jifen_log "redis-server for $dir did not start on port $port"
      jifen_show_log "$log" 20 "$offset"
      [[ -n $pid ]] && jifen_stop_pid "$pid" redis-server 10
      return 1
    fi
    if ((SECONDS >= deadline)); then
      jifen_log "redis-server for $dir did not answer within ${timeout}s"
      jifen_show_log "$log" 20 "$offset"
      [[ -n $pid ]] && jifen_stop_pid "$pid" redis-server 10
      return 1
    fi
    sleep 0.1
  done
}

jifen_redis_stop() {
  local dir=$1 pid
  pid=$(jifen_redis_running_pid "$dir")
  if [[ -n $pid ]]; then
    jifen_log "stopping redis-server (pid $pid, $dir)"
    jifen_stop_pid "$pid" redis-server
  fi
  rm -f "$(jifen_redis_pidfile "$dir")"
  return 0
}
