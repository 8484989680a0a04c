#!/usr/bin/env bash
# The local stack on loopback, with one command.
#
#   tools/stack.sh up       install missing packages, build, start MariaDB + Redis (data kept under
#                           run/), apply migrations, start every built service, load demo data once;
#                           writes run/stack.json and prints where everything listens.
#                           Running it again while up starts nothing twice.
#   tools/stack.sh down     stop exactly the processes `up` started (services, Redis, MariaDB)
#   tools/stack.sh status   each process, its address and whether it is alive (exit 1 if a
#                           recorded process is dead)
#
# Environment (all optional):
#   JIFEN_MYSQL_PORT=13306  JIFEN_REDIS_PORT=16379     loopback ports of MariaDB and Redis
#   JIFEN_<NAME>_PORT, JIFEN_<NAME>_METRICS_PORT        override a service's ports from
#                                                       tools/lib/services.txt (NAME upper case)
#   JIFEN_RUN_DIR=run   JIFEN_BUILD_DIR=build           folders (relative to the repository root)
#   JIFEN_SKIP_DEPS=1   JIFEN_SKIP_BUILD=1              skip tools/install-deps.sh / the build
#   JIFEN_SERVICE_START_TIMEOUT_S=30                    how long a service may take to listen
#   JIFEN_DEV_WECHAT_PORT=18090                         loopback port of jifen-dev-wechat, the
#                                                       demo's stand-in for WeChat's code2Session
set -euo pipefail
set +m  # background jobs stay in our process group; setsid below detaches them

# The script a detached process runs as `bash -c "$detached_exec" PIDFILE COMMAND...`: it records
# its own pid (exact whether or not setsid had to fork), closes every file it inherited beyond
# stdin, stdout and stderr, and becomes COMMAND. A service that kept the descriptor of
# `flock /tmp/jifen-build.lock tools/stack.sh up` would hold every build and test on this machine
# for as long as it runs.
# shellcheck disable=SC2016  # expanded by the inner shell
detached_exec='echo $$ >"$0.tmp" && mv "$0.tmp" "$0" &&
  for fd in /proc/self/fd/*; do fd=${fd##*/}; ((fd > 2)) && { exec {fd}>&-; } 2>/dev/null; done;
  exec "$@"'

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=tools/lib/servers.sh
source tools/lib/servers.sh
# shellcheck source=tools/lib/build.sh
source tools/lib/build.sh

run_dir=$(realpath -m -- "${JIFEN_RUN_DIR:-run}")
build_dir=$(realpath -m -- "$(jifen_build_dir)")
mysql_dir=$run_dir/mysql
redis_dir=$run_dir/redis
keys_dir=$run_dir/keys
secrets_dir=$run_dir/secrets
logs_dir=$run_dir/logs
pids_dir=$run_dir/pids
mysql_admin_user=jifen_admin
service_start_timeout_s=${JIFEN_SERVICE_START_TIMEOUT_S:-30}

# Ports of the running servers (set by start_mysql/start_redis, or read from the running process).
mysql_port=
redis_port=

# =============================================================================================
# Hooks: how each process is called. Adjust these as the binaries' flags settle.

# Flags for service NAME listening on PORT with metrics on METRICS_PORT; one flag per line. No
# secret goes on a command line, which `ps` shows to every user: passwords are in the process's
# environment (service_environment), keys and tokens in files under run/ (mode 600).
service_environment() {
  local name=$1
  printf '%s\n' "JIFEN_MYSQL_PASSWORD=$(secret "mysql_$name")"
}
# Flags for service NAME listening on PORT with metrics on METRICS_PORT; one flag per line.
service_flags() {
  local name=$1 port=$2 metrics_port=$3
  printf '%s\n' \
    "--listen=127.0.0.1:$port" \
    "--metrics_listen=127.0.0.1:$metrics_port" \
    "--mysql_host=127.0.0.1" \
    "--mysql_port=$mysql_port" \
    "--mysql_user=jifen_$name" \
    "--mysql_database=jifen_$name" \
    "--redis_host=127.0.0.1" \
    "--redis_port=$redis_port" \
    "--token_public_key=$keys_dir/token_public.pem"
  # Each service's own flags: who it calls, and its keys.
  case $name in
    scoring)
      printf '%s\n' "--phone_key_file=$(phone_key)" \
        "--audit_address=127.0.0.1:$(service_port audit)" \
        "--service_token_file=$(service_token "$name")" ;;
    publicity)
      printf '%s\n' "--scoring_address=127.0.0.1:$(service_port scoring)" \
        "--audit_address=127.0.0.1:$(service_port audit)" \
        "--service_token_file=$(service_token "$name")" ;;
    redemption)
      printf '%s\n' "--scoring_address=127.0.0.1:$(service_port scoring)" \
        "--audit_address=127.0.0.1:$(service_port audit)" \
        "--service_token_file=$(service_token "$name")" ;;
    audit)
      # Checklists and dashboards read scoring, publicity and redemption with audit's own token.
      printf '%s\n' "--audit_signing_key=$(audit_signing_key)" \
        "--scoring_address=127.0.0.1:$(service_port scoring)" \
        "--publicity_address=127.0.0.1:$(service_port publicity)" \
        "--redemption_address=127.0.0.1:$(service_port redemption)" \
        "--service_token_file=$(service_token "$name")" ;;
    gateway)
      mkdir -p "$run_dir/photos"
      secret district_admin >/dev/null
      printf '%s\n' "--token_private_key=$keys_dir/token_private.pem" \
        "--photo_dir=$run_dir/photos" \
        "--bootstrap_admin_username=district" \
        "--bootstrap_admin_password_file=$secrets_dir/district_admin.password" \
        "--scoring_address=127.0.0.1:$(service_port scoring)" \
        "--publicity_address=127.0.0.1:$(service_port publicity)" \
        "--redemption_address=127.0.0.1:$(service_port redemption)" \
        "--audit_address=127.0.0.1:$(service_port audit)" \
        "--service_token_file=$(service_token "$name")"
      # Residents sign in through the demo's stand-in for WeChat when it runs (start_dev_wechat).
      if [[ -n $(dev_wechat_pid) ]]; then
        secret wechat_app >/dev/null
        printf '%s\n' "--wechat_api_base=http://127.0.0.1:$dev_wechat_port" \
          "--wechat_app_id=wx-dev" \
          "--wechat_app_secret_file=$secrets_dir/wechat_app.password"
      fi ;;
  esac
}

# jifen-dev-wechat: WeChat's code2Session for the demo (this machine can't reach WeChat, and has no
# mini-program to make codes); any code signs in the resident it names, the same one every time.
dev_wechat_port=${JIFEN_DEV_WECHAT_PORT:-18090}
dev_wechat_pidfile() { printf '%s\n' "$pids_dir/dev-wechat.pid"; }
dev_wechat_pid() {
  local pid
  pid=$(jifen_pid_from_file "$(dev_wechat_pidfile)")
  if [[ -n $pid ]] && jifen_pid_alive "$pid" && jifen_pid_cmdline_has "$pid" jifen-dev-wechat; then
    printf '%s\n' "$pid"
  fi
}

start_dev_wechat() {
  local tool pid log=$logs_dir/dev-wechat.log deadline
  tool=$(find_tool jifen-dev-wechat)
  [[ -n $tool ]] || return 0
  pid=$(dev_wechat_pid)
  [[ -z $pid ]] || return 0
  jifen_port_in_use "$dev_wechat_port" &&
    jifen_die "dev-wechat: port $dev_wechat_port is taken; set JIFEN_DEV_WECHAT_PORT"
  secret wechat_app >/dev/null
  setsid bash -c "$detached_exec" \
    "$(dev_wechat_pidfile)" "$tool" "--port=$dev_wechat_port" --app_id=wx-dev \
    "--app_secret_file=$secrets_dir/wechat_app.password" </dev/null >>"$log" 2>&1 &
  deadline=$((SECONDS + service_start_timeout_s))
  until pid=$(dev_wechat_pid) && [[ -n $pid ]] && pid_listens_on "$pid" "$dev_wechat_port"; do
    ((SECONDS < deadline)) || jifen_die "dev-wechat did not listen on $dev_wechat_port (log: $log)"
    sleep 0.1
  done
  jifen_log "dev-wechat (WeChat stand-in) listening on 127.0.0.1:$dev_wechat_port (pid $pid)"
}

# The 32-byte key that encrypts phone numbers at rest (scoring), made once.
phone_key() {
  local file=$secrets_dir/phone.key
  if [[ ! -s $file ]]; then
    mkdir -p "$secrets_dir"
    (umask 077 && openssl rand -hex 32 >"$file")
  fi
  printf '%s' "$file"
}

# The audit service's checkpoint signing key (ECDSA P-256), made once.
audit_signing_key() {
  local file=$keys_dir/audit_signing.pem
  if [[ ! -s $file ]]; then
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$file" \
      2>/dev/null)
  fi
  printf '%s' "$file"
}

# A service's identity token (role "service"), minted with the gateway's key by jifen-token.
# Renewed on every `up`, so a long-running stack needs an `up` within the token's 30 days.
service_token() {
  local name=$1 file=$keys_dir/$1.token tool
  tool=$(find_tool jifen-token)
  [[ -n $tool ]] || jifen_die "jifen-token is not built"
  "$tool" --private_key="$keys_dir/token_private.pem" --role=service --subject="$name" \
    --ttl=720h --out="$file" || jifen_die "cannot mint the $name service token"
  printf '%s' "$file"
}

# --<peer>_address=127.0.0.1:<port> for every other service in services.txt.
peer_address_flags() {
  local name=$1 i
  for i in "${!svc_names[@]}"; do
    [[ ${svc_names[i]} == "$name" ]] && continue
    printf '%s\n' "--${svc_names[i]}_address=127.0.0.1:${svc_ports[i]}"
  done
}

# Flags for jifen-migrate (tools/migrate/main.cc): creates database jifen_NAME and user
# jifen_NAME if missing, then applies services/NAME/migrations.
migrate_flags() {
  local name=$1
  printf '%s\n' \
    "--mysql_host=127.0.0.1" \
    "--mysql_port=$mysql_port" \
    "--mysql_user=$mysql_admin_user" \
    "--database=jifen_$name" \
    "--folder=$root/services/$name/migrations" \
    "--service_user=jifen_$name"
}
# The passwords jifen-migrate takes from its environment (not its command line) for NAME.
migrate_environment() {
  local name=$1
  printf '%s\n' "JIFEN_MYSQL_PASSWORD=$(secret mysql_admin)" \
    "JIFEN_SERVICE_PASSWORD=$(secret "mysql_$name")"
}

# Flags for jifen-demo, run once after every service listens. It should write the demo accounts
# to run/demo-logins.txt, which `up` prints.
demo_flags() {
  printf '%s\n' \
    "--scoring_address=127.0.0.1:$(service_port scoring)" \
    "--private_key=$keys_dir/token_private.pem" \
    "--summary_out=$run_dir/demo-summary.json"
}

# =============================================================================================

svc_names=()
svc_ports=()
svc_metrics_ports=()
while read -r name port metrics_port _; do
  [[ -z $name || $name == \#* ]] && continue
  upper=${name^^}
  port_var=JIFEN_${upper}_PORT
  metrics_var=JIFEN_${upper}_METRICS_PORT
  svc_names+=("$name")
  svc_ports+=("${!port_var:-$port}")
  svc_metrics_ports+=("${!metrics_var:-$metrics_port}")
done <tools/lib/services.txt

service_port() {
  local i
  for i in "${!svc_names[@]}"; do
    [[ ${svc_names[i]} == "$1" ]] && { printf '%s\n' "${svc_ports[i]}"; return 0; }
  done
  return 1
}

service_binary() { printf '%s\n' "$build_dir/services/$1/jifen-$1"; }
service_pidfile() { printf '%s\n' "$pids_dir/$1.pid"; }
service_log() { printf '%s\n' "$logs_dir/$1.log"; }

# Prints the path of built tool NAME (build/tools/NAME or build/tools/*/NAME), or nothing.
find_tool() {
  local candidate
  for candidate in "$build_dir/tools/$1" "$build_dir"/tools/*/"$1"; do
    if [[ -f $candidate && -x $candidate ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
}

# Prints the secret NAME from run/secrets, generating it on first use.
secret() {
  local file=$secrets_dir/$1.password
  if [[ ! -s $file ]]; then
    mkdir -p "$secrets_dir"
    chmod 700 "$secrets_dir"
    (umask 077 && openssl rand -hex 16 >"$file")
  fi
  cat "$file"
}

# Value of --FLAG=VALUE in the command line of PID.
pid_flag() {
  tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | sed -n "s/^--$2=//p" | head -n 1
}

# Prints the pid of service NAME if the process from our pid file is alive and runs its binary.
service_running_pid() {
  local name=$1 pid
  pid=$(jifen_pid_from_file "$(service_pidfile "$name")")
  if [[ -n $pid ]] && jifen_pid_alive "$pid" &&
    jifen_pid_cmdline_has "$pid" "$(service_binary "$name")"; then
    printf '%s\n' "$pid"
  fi
}

# True if PID listens on PORT.
pid_listens_on() {
  ss -Hltnp "( sport = :$2 )" 2>/dev/null | grep -q "pid=$1,"
}

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# ---------------------------------------------------------------------------------------------

ensure_keys() {
  mkdir -p "$keys_dir"
  chmod 700 "$keys_dir"
  if [[ ! -s $keys_dir/token_private.pem || ! -s $keys_dir/token_public.pem ]]; then
    jifen_log "generating the ES256 token key pair in $keys_dir"
    (
      umask 077
      openssl ecparam -name prime256v1 -genkey -noout -out "$keys_dir/token_ec.pem"
      openssl pkcs8 -topk8 -nocrypt -in "$keys_dir/token_ec.pem" -out "$keys_dir/token_private.pem"
      openssl ec -in "$keys_dir/token_private.pem" -pubout -out "$keys_dir/token_public.pem" 2>/dev/null
      rm -f "$keys_dir/token_ec.pem"
    )
    chmod 644 "$keys_dir/token_public.pem"
  fi
}

start_mysql() {
  local pid
  pid=$(jifen_mysql_running_pid "$mysql_dir")
  if [[ -n $pid ]]; then
    mysql_port=$(pid_flag "$pid" port)
    jifen_log "MariaDB already running (pid $pid, port $mysql_port)"
  else
    mysql_port=${JIFEN_MYSQL_PORT:-13306}
    if jifen_port_in_use "$mysql_port"; then
      jifen_die "port $mysql_port is taken by another process; set JIFEN_MYSQL_PORT to a free one"
    fi
    jifen_mysql_install "$mysql_dir"
    jifen_log "starting MariaDB on 127.0.0.1:$mysql_port"
    jifen_mysql_start "$mysql_dir" "$mysql_port" || jifen_die "MariaDB did not start"
  fi
  jifen_mysql_ensure_admin "$mysql_dir" "$mysql_admin_user" "$(secret mysql_admin)"
}

start_redis() {
  local pid
  pid=$(jifen_redis_running_pid "$redis_dir")
  if [[ -n $pid ]]; then
    redis_port=$(awk '$1 == "port" {print $2}' "$(jifen_redis_conf "$redis_dir")")
    jifen_log "Redis already running (pid $pid, port $redis_port)"
  else
    redis_port=${JIFEN_REDIS_PORT:-16379}
    if jifen_port_in_use "$redis_port"; then
      jifen_die "port $redis_port is taken by another process; set JIFEN_REDIS_PORT to a free one"
    fi
    jifen_log "starting Redis on 127.0.0.1:$redis_port"
    jifen_redis_start "$redis_dir" "$redis_port" || jifen_die "Redis did not start"
  fi
}

# Reads the ports of the running servers without starting anything (for status).
read_server_ports() {
  local pid
  pid=$(jifen_mysql_running_pid "$mysql_dir")
  mysql_port=${pid:+$(pid_flag "$pid" port)}
  pid=$(jifen_redis_running_pid "$redis_dir")
  redis_port=${pid:+$(awk '$1 == "port" {print $2}' "$(jifen_redis_conf "$redis_dir")")}
}

apply_migrations() {
  local tool name
  tool=$(find_tool jifen-migrate)
  for name in "${svc_names[@]}"; do
    [[ -d services/$name/migrations ]] || continue
    if [[ -z $tool ]]; then
      jifen_log "WARNING: jifen-migrate is not built; services/$name/migrations not applied"
      continue
    fi
    local -a flags environment
    mapfile -t flags < <(migrate_flags "$name")
    mapfile -t environment < <(migrate_environment "$name")
    # Exported by the shell itself (a subshell), so that no process's arguments ever hold them.
    if ! (export "${environment[@]}" && exec "$tool" "${flags[@]}") \
      >>"$logs_dir/migrate.log" 2>&1 </dev/null; then
      jifen_show_log "$logs_dir/migrate.log" 20
      jifen_die "migrations of $name failed (log: $logs_dir/migrate.log)"
    fi
    jifen_log "migrations of $name: $(tail -n 1 "$logs_dir/migrate.log")"
  done
}

# Starts service I (index into svc_*) unless it runs already or is not built.
start_service() {
  local i=$1 name=${svc_names[$1]} port=${svc_ports[$1]} metrics_port=${svc_metrics_ports[$1]}
  local binary pidfile log pid deadline
  binary=$(service_binary "$name")
  pidfile=$(service_pidfile "$name")
  log=$(service_log "$name")
  if [[ ! -x $binary ]]; then
    jifen_log "$name: not built ($binary missing); skipped"
    return 0
  fi
  pid=$(service_running_pid "$name")
  if [[ -n $pid ]]; then
    jifen_log "$name already running (pid $pid)"
    return 0
  fi
  for p in "$port" "$metrics_port"; do
    if jifen_port_in_use "$p"; then
      jifen_die "$name: port $p is taken by another process; set JIFEN_${name^^}_PORT or JIFEN_${name^^}_METRICS_PORT"
    fi
  done
  local -a flags environment
  mapfile -t flags < <(service_flags "$name" "$port" "$metrics_port")
  mapfile -t environment < <(service_environment "$name")
  rm -f "$pidfile"
  printf '\n=== %s starting %s\n' "$(date '+%F %T')" "$name" >>"$log"
  # The secrets are exported by the shell itself (a subshell), never an argument of any process.
  (export "${environment[@]}" && exec setsid bash -c "$detached_exec" \
    "$pidfile" "$binary" "${flags[@]}") </dev/null >>"$log" 2>&1 &
  deadline=$((SECONDS + service_start_timeout_s))
  while :; do
    pid=$(jifen_pid_from_file "$pidfile")
    if [[ -n $pid ]] && pid_listens_on "$pid" "$port"; then
      jifen_log "$name listening on 127.0.0.1:$port (pid $pid)"
      return 0
    fi
    if [[ -n $pid ]] && ! jifen_pid_alive "$pid"; then
      jifen_show_log "$log" 30
      jifen_die "$name exited during start (log: $log)"
    fi
    if ((SECONDS >= deadline)); then
      jifen_show_log "$log" 30
      [[ -n $pid ]] && jifen_stop_pid "$pid" "$name" 10
      rm -f "$pidfile"
      jifen_die "$name did not listen on 127.0.0.1:$port within ${service_start_timeout_s}s (log: $log)"
    fi
    sleep 0.1
  done
}

load_demo() {
  local tool marker=$run_dir/demo.done
  [[ -f $marker ]] && return 0
  tool=$(find_tool jifen-demo)
  if [[ -z $tool ]]; then
    jifen_log "jifen-demo is not built; no demo data loaded"
    return 0
  fi
  local -a flags
  mapfile -t flags < <(demo_flags)
  jifen_log "loading demo data"
  if ! "$tool" "${flags[@]}" >"$logs_dir/demo.log" 2>&1 </dev/null; then
    jifen_show_log "$logs_dir/demo.log" 30
    jifen_die "demo data failed (log: $logs_dir/demo.log); fix and run up again"
  fi
  touch "$marker"
  create_demo_staff
}

# Staff accounts for the demo, through the gateway's own API: a village admin and a grid worker of
# 革新村 (the first demo village), made by the bootstrap district account.
create_demo_staff() {
  local gateway summary village town grid token logins=$run_dir/demo-logins.txt
  gateway=http://127.0.0.1:$(service_port gateway)
  summary=$run_dir/demo-summary.json
  if [[ -z $(service_running_pid gateway) || ! -s $summary ]]; then
    jifen_log "gateway not running; demo staff accounts not created"
    return 0
  fi
  village=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["villages"][0]["village_id"])' "$summary")
  town=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["villages"][0]["town_id"])' "$summary")
  grid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["villages"][0]["grid_id"])' "$summary")
  # Bodies holding a password go to curl on its standard input (--data-binary @-), not in its
  # arguments, which `ps` shows to every user.
  token=$(curl -sf -X POST "$gateway/v1/auth/staff/login" -H 'Content-Type: application/json' \
    --data-binary @- <<<"{\"username\":\"district\",\"password\":\"$(secret district_admin)\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ||
    jifen_die "cannot sign in as the bootstrap district account"
  local role user scope
  for role in village_admin grid_worker; do
    user=gexin_${role%%_*}
    scope="\"town_id\":$town,\"village_id\":$village"
    [[ $role == grid_worker ]] && scope="$scope,\"grid_id\":$grid"
    curl -sf -X POST "$gateway/v1/auth/staff" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' \
      --data-binary @- <<<"{\"username\":\"$user\",\"password\":\"$(secret "staff_$user")\",\"role\":\"$role\",$scope}" \
      >/dev/null || jifen_die "cannot create demo account $user"
  done
  {
    echo "district official  user district       password $(secret district_admin)"
    echo "village admin 革新村 user gexin_village  password $(secret staff_gexin_village)"
    echo "grid worker 革新村   user gexin_grid     password $(secret staff_gexin_grid)"
    echo "sign in: curl -X POST $gateway/v1/auth/staff/login -H 'Content-Type: application/json' -d '{\"username\":\"district\",\"password\":\"...\"}'"
  } >"$logins"
}

# Once per run folder (also one whose demo predates it): an invitation for a demo resident, added
# to the demo logins, when the WeChat stand-in runs.
ensure_demo_resident() {
  local marker=$run_dir/demo-resident.done gateway summary=$run_dir/demo-summary.json invitation
  gateway=http://127.0.0.1:$(service_port gateway)
  [[ -f $marker || ! -s $summary || ! -f $run_dir/demo-logins.txt ]] && return 0
  [[ -n $(dev_wechat_pid) && -n $(service_running_pid gateway) ]] || return 0
  invitation=$(demo_resident_invitation "$gateway" "$summary")
  {
    echo "resident 革新村 (first household, through the WeChat stand-in): the first sign-in binds"
    echo "  curl -X POST $gateway/v1/auth/wechat/login -H 'Content-Type: application/json' -d '{\"code\":\"demo-resident\",\"invitation_code\":\"$invitation\"}'"
    echo "  later sign-ins: the same code alone ({\"code\":\"demo-resident\"})"
  } >>"$run_dir/demo-logins.txt"
  touch "$marker"
}

# An access token of 革新村's demo village admin (gexin_village), signed in through the gateway.
demo_village_admin_token() {
  curl -sf -X POST "$1/v1/auth/staff/login" -H 'Content-Type: application/json' \
    --data-binary @- <<<"{\"username\":\"gexin_village\",\"password\":\"$(secret staff_gexin_village)\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' ||
    jifen_die "cannot sign in as the demo village admin"
}

# Once per run folder (also one whose demo predates it): an assessment team (考核小组) of 革新村 over
# its first two villager groups, made by the village admin, and an assessor account of it, added
# to the demo logins.
ensure_demo_assessor() {
  local marker=$run_dir/demo-assessor.done gateway summary=$run_dir/demo-summary.json
  local token village groups team
  gateway=http://127.0.0.1:$(service_port gateway)
  [[ -f $marker || ! -s $summary || ! -f $run_dir/demo-logins.txt ]] && return 0
  [[ -n $(service_running_pid gateway) ]] || return 0
  village=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["villages"][0]["village_id"])' "$summary")
  token=$(demo_village_admin_token "$gateway") || exit 1
  groups=$(curl -sf "$gateway/v1/villages" -H "Authorization: Bearer $token" |
    python3 -c 'import json,sys; print(json.dumps([int(g["group_id"]) for g in json.load(sys.stdin)["groups"]][:2]))') ||
    jifen_die "cannot list the demo village's groups"
  team=$(curl -sf -X POST "$gateway/v1/villages/$village/teams" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"name\":\"第一考核小组\",\"group_ids\":$groups}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["team_id"])') ||
    jifen_die "cannot create the demo assessment team"
  curl -sf -X POST "$gateway/v1/auth/staff" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    --data-binary @- <<<"{\"username\":\"gexin_assessor\",\"password\":\"$(secret staff_gexin_assessor)\",\"role\":\"assessor\",\"team_id\":$team}" \
    >/dev/null || jifen_die "cannot create demo account gexin_assessor"
  echo "assessor 革新村      user gexin_assessor password $(secret staff_gexin_assessor) (team $team: groups $groups)" \
    >>"$run_dir/demo-logins.txt"
  touch "$marker"
}

# An invitation from 革新村's admin for the first member of its first household, so that a resident
# can sign in through jifen-dev-wechat; prints its code (nothing when dev-wechat is not running).
demo_resident_invitation() {
  local gateway=$1 summary=$2 household token member
  [[ -n $(dev_wechat_pid) ]] || return 0
  household=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["villages"][0]["first_household_id"])' "$summary")
  token=$(demo_village_admin_token "$gateway") || exit 1
  member=$(curl -sf "$gateway/v1/households/$household" -H "Authorization: Bearer $token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["members"][0]["member_id"])') ||
    jifen_die "cannot read demo household $household"
  curl -sf -X POST "$gateway/v1/auth/invitations" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"household_id\":$household,\"member_id\":$member,\"valid_hours\":720}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["invitation_code"])' ||
    jifen_die "cannot invite the demo resident"
}

write_stack_json() {
  local tmp=$run_dir/stack.json.tmp i name pid state sep=
  {
    printf '{\n'
    printf '  "run_dir": %s,\n' "$(json_string "$run_dir")"
    printf '  "mysql": {"host": "127.0.0.1", "port": %s, "pid": %s, "socket": %s, "data_dir": %s, ' \
      "${mysql_port:-null}" "$(jifen_mysql_running_pid "$mysql_dir" | grep . || echo null)" \
      "$(json_string "$(jifen_mysql_socket "$mysql_dir")")" \
      "$(json_string "$(jifen_mysql_datadir "$mysql_dir")")"
    printf '"log": %s, "admin_user": %s, "admin_password_file": %s},\n' \
      "$(json_string "$(jifen_mysql_logfile "$mysql_dir")")" "$(json_string "$mysql_admin_user")" \
      "$(json_string "$secrets_dir/mysql_admin.password")"
    printf '  "redis": {"host": "127.0.0.1", "port": %s, "pid": %s, "log": %s},\n' \
      "${redis_port:-null}" "$(jifen_redis_running_pid "$redis_dir" | grep . || echo null)" \
      "$(json_string "$(jifen_redis_logfile "$redis_dir")")"
    printf '  "services": [\n'
    for i in "${!svc_names[@]}"; do
      name=${svc_names[i]}
      pid=$(service_running_pid "$name")
      if [[ -n $pid ]]; then
        state=running
      elif [[ -x $(service_binary "$name") ]]; then
        state=stopped
      else
        state=not_built
      fi
      printf '%s    {"name": %s, "state": "%s", "listen": "127.0.0.1:%s", "metrics_listen": "127.0.0.1:%s", "pid": %s, "log": %s, "mysql_database": %s, "mysql_user": %s, "mysql_password_file": %s}' \
        "$sep" "$(json_string "$name")" "$state" "${svc_ports[i]}" "${svc_metrics_ports[i]}" \
        "${pid:-null}" "$(json_string "$(service_log "$name")")" \
        "$(json_string "jifen_$name")" "$(json_string "jifen_$name")" \
        "$(json_string "$secrets_dir/mysql_$name.password")"
      sep=$',\n'
    done
    printf '\n  ],\n'
    printf '  "keys": {"token_public": %s, "token_private": %s},\n' \
      "$(json_string "$keys_dir/token_public.pem")" "$(json_string "$keys_dir/token_private.pem")"
    if [[ -f $run_dir/demo-logins.txt ]]; then
      printf '  "demo_logins_file": %s\n' "$(json_string "$run_dir/demo-logins.txt")"
    else
      printf '  "demo_logins_file": null\n'
    fi
    printf '}\n'
  } >"$tmp"
  mv "$tmp" "$run_dir/stack.json"
}

rel() { printf '%s\n' "${1#"$root"/}"; }

print_summary() {
  local i name pid
  echo
  echo "Jifen stack is up (run folder: $(rel "$run_dir"))"
  printf '  %-11s %-22s pid %-8s admin %s, password in %s\n' MariaDB "127.0.0.1:$mysql_port" \
    "$(jifen_mysql_running_pid "$mysql_dir")" "$mysql_admin_user" \
    "$(rel "$secrets_dir/mysql_admin.password")"
  printf '  %-11s %-22s pid %s\n' Redis "127.0.0.1:$redis_port" "$(jifen_redis_running_pid "$redis_dir")"
  for i in "${!svc_names[@]}"; do
    name=${svc_names[i]}
    pid=$(service_running_pid "$name")
    if [[ -n $pid ]]; then
      printf '  %-11s %-22s pid %-8s metrics 127.0.0.1:%s, log %s\n' "$name" \
        "127.0.0.1:${svc_ports[i]}" "$pid" "${svc_metrics_ports[i]}" "$(rel "$(service_log "$name")")"
    else
      printf '  %-11s not built (%s)\n' "$name" "$(rel "$(service_binary "$name")")"
    fi
  done
  if [[ -s $run_dir/demo-logins.txt ]]; then
    echo
    echo "Demo logins ($(rel "$run_dir/demo-logins.txt")):"
    sed 's/^/  /' "$run_dir/demo-logins.txt"
  fi
  echo
  echo "Machine-readable: $(rel "$run_dir/stack.json")"
  echo "SQL shell:        mariadb --no-defaults -S $(jifen_mysql_socket "$mysql_dir") -uroot"
  echo "stop with: tools/stack.sh down"
}

cmd_up() {
  if [[ ${JIFEN_SKIP_DEPS:-0} != 1 ]]; then
    bash tools/install-deps.sh
  fi
  if [[ ${JIFEN_SKIP_BUILD:-0} != 1 ]]; then
    jifen_configure_and_build
  fi
  mkdir -p "$run_dir" "$logs_dir" "$pids_dir"
  ensure_keys
  start_mysql
  start_redis
  apply_migrations
  local i
  start_dev_wechat
  for i in "${!svc_names[@]}"; do start_service "$i"; done
  load_demo
  ensure_demo_resident
  ensure_demo_assessor
  write_stack_json
  print_summary
}

cmd_down() {
  local i name pid pidfile
  for ((i = ${#svc_names[@]} - 1; i >= 0; i--)); do
    name=${svc_names[i]}
    pidfile=$(service_pidfile "$name")
    [[ -f $pidfile ]] || continue
    pid=$(service_running_pid "$name")
    if [[ -n $pid ]]; then
      jifen_log "stopping $name (pid $pid)"
      jifen_stop_pid "$pid" "$name"
    else
      jifen_log "$name was not running (stale pid file removed)"
    fi
    rm -f "$pidfile"
  done
  pid=$(dev_wechat_pid)
  if [[ -n $pid ]]; then
    jifen_log "stopping dev-wechat (pid $pid)"
    jifen_stop_pid "$pid" dev-wechat
  fi
  rm -f "$(dev_wechat_pidfile)"
  jifen_redis_stop "$redis_dir"
  jifen_mysql_stop "$mysql_dir"
  rm -f "$run_dir/stack.json"
  jifen_log "stack stopped; data stays in $(rel "$run_dir") (delete it for a fresh start)"
}

cmd_status() {
  local i name pid dead=0
  read_server_ports
  pid=$(jifen_mysql_running_pid "$mysql_dir")
  if [[ -n $pid ]]; then
    printf '%-11s %-22s pid %-8s alive\n' MariaDB "127.0.0.1:$mysql_port" "$pid"
  else
    printf '%-11s %-22s %-12s stopped\n' MariaDB - -
    [[ -f $(jifen_mysql_pidfile "$mysql_dir") ]] && dead=1
  fi
  pid=$(jifen_redis_running_pid "$redis_dir")
  if [[ -n $pid ]]; then
    printf '%-11s %-22s pid %-8s alive\n' Redis "127.0.0.1:$redis_port" "$pid"
  else
    printf '%-11s %-22s %-12s stopped\n' Redis - -
    [[ -f $(jifen_redis_pidfile "$redis_dir") ]] && dead=1
  fi
  for i in "${!svc_names[@]}"; do
    name=${svc_names[i]}
    pid=$(service_running_pid "$name")
    if [[ -n $pid ]]; then
      printf '%-11s %-22s pid %-8s alive\n' "$name" "$(pid_flag "$pid" listen)" "$pid"
    elif [[ -f $(service_pidfile "$name") ]]; then
      printf '%-11s %-22s pid %-8s DEAD (log: %s)\n' "$name" "127.0.0.1:${svc_ports[i]}" \
        "$(jifen_pid_from_file "$(service_pidfile "$name")")" "$(rel "$(service_log "$name")")"
      dead=1
    elif [[ -x $(service_binary "$name") ]]; then
      printf '%-11s %-22s %-12s stopped\n' "$name" "127.0.0.1:${svc_ports[i]}" -
    else
      printf '%-11s %-22s %-12s not built\n' "$name" "127.0.0.1:${svc_ports[i]}" -
    fi
  done
  pid=$(dev_wechat_pid)
  if [[ -n $pid ]]; then
    printf '%-11s %-22s pid %-8s alive\n' dev-wechat "127.0.0.1:$dev_wechat_port" "$pid"
  fi
  return "$dead"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
