#!/usr/bin/env bash
# README's first command. Builds gp-agent (installing missing packages first), starts spine-mock
# and gp-agent on free loopback ports in a scratch directory, and shows a handful of EPS
# prescriptions travelling as real ebXML: retries through injected failures, one rejection with
# Spine's error code, and the audit trail, proven unbroken. Both processes stop at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

./installer/build.sh ci
bin="$root/build/ci"
agent="$bin/agent/gp-agent"
ctl="$bin/agent/gp-agentctl"
mock="$bin/spine-mock/spine-mock"

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
  echo "timed out waiting for $file" >&2; exit 1
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

say "starting spine-mock (state in $work/mock)"
mkdir -p "$work/mock" "$work/agent"
cat > "$work/mock/spine-mock.properties" <<CONF
mock.port = 0
mock.stateDir = $work/mock
CONF
"$mock" --config "$work/mock/spine-mock.properties" >"$work/mock/spine-mock.log" 2>&1 &
pids+=($!)
wait_for_ports "$work/mock/ports.json" "$!" "$work/mock/spine-mock.log"
mock_port=$(json_field http <"$work/mock/ports.json")
echo "spine-mock listening on 127.0.0.1:$mock_port"

say "starting gp-agent (state in $work/agent)"
cat > "$work/agent/agent.properties" <<CONF
agent.stateDir = $work/agent
agent.odsCode = A83008
agent.partyKey = A83008-9199121
agent.asid = 200000001234
api.port = 0
inbound.bind = 127.0.0.1
inbound.port = 0
spine.url = http://127.0.0.1:$mock_port
retry.baseDelay = PT0.5S
retry.maxDelay = PT2S
CONF
"$agent" --config "$work/agent/agent.properties" >"$work/agent/gp-agent.log" 2>&1 &
pids+=($!)
wait_for_ports "$work/agent/ports.json" "$!" "$work/agent/gp-agent.log"
echo "gp-agent local API on 127.0.0.1:$(json_field api <"$work/agent/ports.json")"
# Show both processes' logs as they happen: every attempt, reply and decision is one line.
tail -n +1 -f "$work/agent/gp-agent.log" | sed -u 's/^/  [gp-agent]   /' &
pids+=($!)
tail -n +1 -f "$work/mock/spine-mock.log" | sed -u 's/^/  [spine-mock] /' &
pids+=($!)

say "injecting failures into spine-mock: two HTTP 503s, then one retriable SOAP fault (code 200)"
add_fault() {
  curl -sS -o /dev/null -w "  fault added (HTTP %{http_code}): $1\n" \
    -X POST "http://127.0.0.1:$mock_port/_admin/faults" -d "$1"
}
add_fault '{"interaction": "PORX_IN020101SM31", "times": 2, "fault": {"type": "http", "status": 503, "retryAfter": 1}}'
add_fault '{"interaction": "PORX_IN020101SM31", "times": 1, "fault": {"type": "soapFault", "codes": ["200"]}}'

ctl_() { "$ctl" --config "$work/agent/agent.properties" "$@"; }

submit() {
  local reply
  reply=$(ctl_ --json submit eps "$1")
  echo "  accepted: $reply" >&2
  echo "$reply"
}

wait_final() {
  local state
  for _ in $(seq 1 600); do
    state=$(ctl_ --json show "$1" | json_field state)
    case "$state" in acked|failed|expired) return 0 ;; esac
    sleep 0.1
  done
  echo "message $1 still $state" >&2
}

say "submitting three prescriptions"
ids=()
for n in 1 2 3; do
  reply=$(submit "$root/installer/examples/prescription.json")
  ids+=("$(json_field messageId <<<"$reply")")
  [ "$n" = 1 ] && first_prescription=$(json_field prescriptionId <<<"$reply")
done

say "waiting until Spine has accepted the first, then submitting a fourth that reuses its prescription ID $first_prescription"
wait_final "${ids[0]}"
python3 - "$root/installer/examples/prescription.json" "$first_prescription" >"$work/duplicate.json" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))
body["prescriptionId"] = sys.argv[2]
print(json.dumps(body))
PY
reply=$(submit "$work/duplicate.json")
ids+=("$(json_field messageId <<<"$reply")")

say "waiting until every message is acknowledged or has failed"
for id in "${ids[@]}"; do wait_final "$id"; done
sleep 0.2

say "each message as gp-agentctl shows it"
for id in "${ids[@]}"; do
  ctl_ show "$id"
  echo
done

say "status"
ctl_ status

say "the audit trail"
ctl_ audit list --limit 200

say "proving the audit trail unbroken (recomputes every hash from the database file)"
ctl_ audit verify

say "what spine-mock received (its journal)"
curl -sS "http://127.0.0.1:$mock_port/_admin/journal" | python3 -m json.tool
