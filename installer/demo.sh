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

wait_for_file() {
  for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "timed out waiting for $1" >&2; exit 1
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
wait_for_file "$work/mock/ports.json"
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
wait_for_file "$work/agent/ports.json"
echo "gp-agent local API on 127.0.0.1:$(json_field api <"$work/agent/ports.json")"
# Show both processes' logs as they happen: every attempt, reply and decision is one line.
tail -n +1 -f "$work/agent/gp-agent.log" | sed -u 's/^/  [gp-agent]   /' &
pids+=($!)
tail -n +1 -f "$work/mock/spine-mock.log" | sed -u 's/^/  [spine-mock] /' &
pids+=($!)

say "injecting failures into spine-mock: two HTTP 503s, then one retriable SOAP fault (code 200)"
curl -sS -X POST "http://127.0.0.1:$mock_port/_admin/faults" \
  -d '{"interaction": "PORX_IN020101SM31", "times": 2, "fault": {"type": "http", "status": 503, "retryAfter": 1}}'
echo
curl -sS -X POST "http://127.0.0.1:$mock_port/_admin/faults" \
  -d '{"interaction": "PORX_IN020101SM31", "times": 1, "fault": {"type": "soapFault", "codes": ["200"]}}'
echo

say "submitting four prescriptions; the fourth reuses the first one's prescription ID"
ids=()
prescription_id=""
for n in 1 2 3 4; do
  file="$work/prescription-$n.json"
  if [ "$n" = 4 ]; then
    python3 - "$root/installer/examples/prescription.json" "$prescription_id" >"$file" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))
body["prescriptionId"] = sys.argv[2]
print(json.dumps(body))
PY
  else
    cp "$root/installer/examples/prescription.json" "$file"
  fi
  reply=$("$ctl" --config "$work/agent/agent.properties" --json submit eps "$file")
  echo "  accepted: $reply"
  ids+=("$(json_field messageId <<<"$reply")")
  [ "$n" = 1 ] && prescription_id=$(json_field prescriptionId <<<"$reply")
done

say "waiting until every message is acknowledged or has failed"
for id in "${ids[@]}"; do
  for _ in $(seq 1 600); do
    state=$("$ctl" --config "$work/agent/agent.properties" --json show "$id" | json_field state)
    case "$state" in acked|failed|expired) break ;; esac
    sleep 0.1
  done
done
sleep 0.2

say "each message as gp-agentctl shows it"
for id in "${ids[@]}"; do
  "$ctl" --config "$work/agent/agent.properties" show "$id"
  echo
done

say "status"
"$ctl" --config "$work/agent/agent.properties" status

say "the audit trail"
"$ctl" --config "$work/agent/agent.properties" audit list --limit 200

say "proving the audit trail unbroken (recomputes every hash from the database file)"
"$ctl" --config "$work/agent/agent.properties" audit verify

say "what spine-mock received (its journal)"
curl -sS "http://127.0.0.1:$mock_port/_admin/journal" | python3 -m json.tool
