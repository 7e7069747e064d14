# Shared by the demo scripts (sourced, not run): builds once, keeps every process it starts in
# `pids` and stops them on exit, and starts spine-mock and gp-agent on free loopback ports in a
# scratch directory under /tmp.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# GP_DEMO_BUILD=build/dev runs the demo on binaries you already built, without building.
if [ -n "${GP_DEMO_BUILD:-}" ]; then
  bin=$(cd "$GP_DEMO_BUILD" && pwd)
else
  "$root/installer/build.sh" ci
  bin="$root/build/ci"
fi
agent_bin="$bin/agent/gp-agent"
ctl_bin="$bin/agent/gp-agentctl"
mock_bin="$bin/spine-mock/spine-mock"

work=$(mktemp -d /tmp/gp-agent-demo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo
  echo "== demo finished; logs and databases are kept in $work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# Waits for a program to write its ports file; stops the demo with the program's log if it died.
wait_for_ports() {
  local file=$1 pid=$2 log=$3
  for _ in $(seq 1 600); do
    [ -s "$file" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the program stopped during start-up; its log ($log):" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.05
  done
  echo "timed out waiting for $file" >&2
  exit 1
}

# Shows a log as it grows, each line prefixed, until the demo ends.
follow_log() {
  tail -n +1 -f "$1" | sed -u "s/^/  [$2] /" &
  pids+=($!)
}

# start_mock [EXTRA_CONFIG]: sets mock_port.
start_mock() {
  mkdir -p "$work/mock"
  # Plain HTTP on loopback keeps the demo's traffic readable; a practice uses mutual TLS
  # (docs/security.md), and both programs log a WARNING for every plain connection.
  printf 'mock.port = 0\nmock.stateDir = %s\nmock.allowPlainHttp = true\n%s\n' "$work/mock" "${1:-}" \
    >"$work/mock/spine-mock.properties"
  "$mock_bin" --config "$work/mock/spine-mock.properties" >"$work/mock/spine-mock.log" 2>&1 &
  pids+=($!)
  wait_for_ports "$work/mock/ports.json" "$!" "$work/mock/spine-mock.log"
  mock_port=$(json_field http <"$work/mock/ports.json")
  echo "spine-mock listening on 127.0.0.1:$mock_port"
}

# start_agent NAME ODS PARTY_KEY ASID [EXTRA_CONFIG]: state in $work/NAME; prints the API port.
start_agent() {
  local name=$1 dir="$work/$1"
  mkdir -p -m 750 "$dir" # gp-agent refuses a state directory every user may read
  cat >"$dir/agent.properties" <<CONF
agent.stateDir = $dir
agent.odsCode = $2
agent.partyKey = $3
agent.asid = $4
api.port = 0
inbound.bind = 127.0.0.1
inbound.port = 0
spine.url = http://127.0.0.1:$mock_port
sds.url = http://127.0.0.1:$mock_port/spine-directory
ers.url = http://127.0.0.1:$mock_port/referrals/FHIR/STU3
test.allowPlainHttp = true
${5:-}
CONF
  "$agent_bin" --config "$dir/agent.properties" >"$dir/gp-agent.log" 2>&1 &
  pids+=($!)
  wait_for_ports "$dir/ports.json" "$!" "$dir/gp-agent.log"
  echo "gp-agent '$name' ($2): local API on 127.0.0.1:$(json_field api <"$dir/ports.json"), inbound on $(json_field inbound <"$dir/ports.json")"
}

# ctl NAME ARGS...: gp-agentctl against that agent.
ctl() {
  local name=$1
  shift
  "$ctl_bin" --config "$work/$name/agent.properties" "$@"
}
