#!/usr/bin/env bash
# GP2GP demo: two practices' gp-agents and spine-mock (as the Spine's hub and directory) on
# free loopback ports. Practice B86041 asks practice A83008 for a patient's record; the record
# (the example in installer/examples/gp2gp-records plus a generated 12 MB scan, sent in
# fragments) moves across and lands in B's import folder, byte for byte.
set -euo pipefail
source "$(dirname "$0")/demo-lib.sh"

say "starting spine-mock and two practices (state in $work)"
start_mock
start_agent old A83008 A83008-9199121 200000001234 "gp2gp.recordSource = $work/records"
start_agent new B86041 B86041-9199122 200000005678 "gp2gp.importDir = $work/import"

say "registering both practices in spine-mock's directory"
for practice in old:A83008:A83008-9199121:200000001234 new:B86041:B86041-9199122:200000005678; do
  IFS=: read -r name ods party asid <<<"$practice"
  inbound=$(json_field inbound <"$work/$name/ports.json")
  curl -sS -o /dev/null -w "  $ods registered (HTTP %{http_code})\n" -X POST \
    "http://127.0.0.1:$mock_port/_admin/practices" \
    -d "{\"odsCode\": \"$ods\", \"partyKey\": \"$party\", \"asid\": \"$asid\", \"inboundUrl\": \"http://127.0.0.1:$inbound/inbound\"}"
done

say "giving the old practice the patient's record, with a 12 MB scan added"
mkdir -p "$work/records"
cp -r "$root/installer/examples/gp2gp-records/9449304130" "$work/records/"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$work/records/9449304130/scan.tiff"
python3 - "$work/records/9449304130/record.json" <<'PY'
import json, sys
path = sys.argv[1]
record = json.load(open(path))
record["attachments"].append({"file": "scan.tiff", "contentType": "image/tiff", "title": "Scanned letter"})
json.dump(record, open(path, "w"), indent=2)
PY

say "the new practice asks for the record"
reply=$(ctl new --json gp2gp request 9449304130 A83008)
echo "  $reply"
id=$(json_field conversationId <<<"$reply")

say "following the transfer at the new practice (gp-agentctl gp2gp show --follow)"
ctl new gp2gp show "$id" --follow || true
# The old practice closes once the new one's final acknowledgement reaches it.
for _ in $(seq 1 100); do
  [ "$(ctl old --json gp2gp show "$id" | json_field state)" = closed ] && break
  sleep 0.2
done

say "the transfer as the old practice saw it"
ctl old gp2gp show "$id"

say "what arrived in the new practice's import folder"
ls -l "$work/import/$id/"
for file in discharge-letter.txt ecg-strip.png scan.tiff; do
  if cmp -s "$work/records/9449304130/$file" "$work/import/$id/$file"; then
    echo "  $file: identical to the source"
  else
    echo "  $file: DIFFERS from the source"
  fi
done

say "both audit trails, proven unbroken"
ctl new audit verify
ctl old audit verify
