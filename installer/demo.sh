#!/usr/bin/env bash
# README's first command. Builds gp-agent (installing missing packages first), starts spine-mock
# and gp-agent on free loopback ports in a scratch directory, and shows a handful of EPS
# prescriptions travelling as real ebXML: retries through injected failures, one rejection with
# Spine's error code, and the audit trail, proven unbroken. Both processes stop at the end.
set -euo pipefail
source "$(dirname "$0")/demo-lib.sh"

say "starting spine-mock and gp-agent (state in $work)"
start_mock
start_agent agent A83008 A83008-9199121 200000001234 "retry.baseDelay = PT0.5S
retry.maxDelay = PT2S"
# Show both processes' logs as they happen: every attempt, reply and decision is one line.
follow_log "$work/agent/gp-agent.log" "gp-agent  "
follow_log "$work/mock/spine-mock.log" "spine-mock"

say "injecting failures into spine-mock: two HTTP 503s, then one retriable SOAP fault (code 200)"
add_fault() {
  curl -sS -o /dev/null -w "  fault added (HTTP %{http_code}): $1\n" \
    -X POST "http://127.0.0.1:$mock_port/_admin/faults" -d "$1"
}
add_fault '{"interaction": "PORX_IN020101SM31", "times": 2, "fault": {"type": "http", "status": 503, "retryAfter": 1}}'
add_fault '{"interaction": "PORX_IN020101SM31", "times": 1, "fault": {"type": "soapFault", "codes": ["200"]}}'

ctl_() { ctl agent "$@"; }

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
