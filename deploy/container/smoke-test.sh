#!/usr/bin/env bash
# Builds the three images and runs the compose deployment once, end to end, on this Docker host:
# init applies the migrations, the demo loads its data (its inspections go through scoring), the
# district admin signs in through the gateway and reads a village's board, which publicity built
# from scoring's stream. Everything it starts is removed at the end (volumes included).
#
#   deploy/container/smoke-test.sh        # needs docker (BuildKit) and docker compose/docker-compose
#
# DOCKER names the docker client (default: docker), e.g. DOCKER=/usr/bin/docker for Debian's
# docker.io when a newer client without buildx comes first on PATH.
#
# Not part of .ci/run: CI machines have no Docker daemon. Run it after changing deploy/container,
# a flag the settings name, or a migration.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
docker=${DOCKER:-docker}
compose=("$docker" compose)
"$docker" compose version >/dev/null 2>&1 || compose=(docker-compose)

export DOCKER_BUILDKIT=1 COMPOSE_PROJECT_NAME=jifen-smoke-$$
export JIFEN_GATEWAY_PUBLISH=127.0.0.1:${JIFEN_SMOKE_PORT:-28188}
export JIFEN_WECHAT_API_BASE=http://dev-wechat:18090 JIFEN_WECHAT_APP_ID=wx-dev
secrets_made=()
cleanup() {
  (cd "$here" && "${compose[@]}" --profile demo down -v >/dev/null 2>&1) || true
  rm -f "${secrets_made[@]}"
}
trap cleanup EXIT

for image in "jifen:deploy/container/Dockerfile" "jifen-mariadb:deploy/container/mariadb/Dockerfile" \
             "jifen-redis:deploy/container/redis/Dockerfile"; do
  echo "== building ${image%%:*}"
  "$docker" build -q -f "$root/${image#*:}" -t "${image%%:*}:latest" "$root" >/dev/null
done
mkdir -p "$here/secrets"
for secret in mysql_root_password wechat_app_secret; do
  if [[ ! -s $here/secrets/$secret ]]; then
    openssl rand -hex 16 >"$here/secrets/$secret"
    secrets_made+=("$here/secrets/$secret")
  fi
done

cd "$here"
echo "== up (project $COMPOSE_PROJECT_NAME, gateway on $JIFEN_GATEWAY_PUBLISH)"
"${compose[@]}" --profile demo up -d >/dev/null
gateway=http://$JIFEN_GATEWAY_PUBLISH
for _ in $(seq 1 120); do
  [[ $(curl -s "$gateway/healthz" || true) == *serving* ]] && break
  sleep 1
done
[[ $(curl -s "$gateway/healthz") == *serving* ]] || { "${compose[@]}" logs --tail=20; exit 1; }
for _ in $(seq 1 120); do
  state=$("$docker" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$("${compose[@]}" ps -q demo)")
  [[ $state == exited* ]] && break
  sleep 1
done
[[ $state == "exited 0" ]] || { echo "demo: $state" >&2; "${compose[@]}" logs demo; exit 1; }

password=$("${compose[@]}" exec -T gateway cat /etc/jifen/secrets/district_admin.password)
token=$(curl -sf -X POST "$gateway/v1/auth/staff/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"district\",\"password\":\"$password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
period=$(TZ=Asia/Shanghai date +%Y)Q$(( ($(TZ=Asia/Shanghai date +%-m) - 1) / 3 + 1 ))
board="$gateway/v1/boards?board.scope=BOARD_SCOPE_VILLAGE&board.village_id=1&board.period=$period"
for _ in $(seq 1 60); do
  rows=$(curl -sf "$board" -H "Authorization: Bearer $token" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin).get("rows", [])))')
  ((rows > 0)) && break
  sleep 1
done
((rows > 0)) || { echo "village 1's board stayed empty" >&2; "${compose[@]}" logs --tail=20; exit 1; }
echo "smoke test passed: the district admin signed in; village 1's $period board has $rows rows"
