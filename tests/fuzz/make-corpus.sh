#!/usr/bin/env bash
# Builds the seed corpus for every fuzz target under OUT_DIR/<target>/ from our own test vectors:
# the golden files of the messaging tests (tests/unit/messaging/golden/) and the few hand-written
# seeds committed under tests/fuzz/corpus/<target>/. Targets that read a header and a body take
# the Content-Type value on the first line (tests/fuzz/FuzzInput.hpp).
set -euo pipefail
out="${1:?usage: make-corpus.sh OUT_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
golden="$here/../unit/messaging/golden"

# The Content-Type our ebXML builder writes (and Spine sends) for the golden multipart bodies.
ebxml_type='multipart/related; boundary="--=_MIME-Boundary"; type=text/xml; start=ebXMLHeader@spine.nhs.uk'

seed() { # target name < bytes
  mkdir -p "$out/$1"
  cat >"$out/$1/$2"
}
plain() { # target golden-file...
  local target="$1"
  shift
  for file in "$@"; do
    seed "$target" "$file" <"$golden/$file"
  done
}
multipart() { # target golden-file...
  local target="$1"
  shift
  for file in "$@"; do
    { printf '%s\n' "$ebxml_type"; cat "$golden/$file"; } | seed "$target" "$file"
  done
}
reply() { # status-index content-type golden-file: fuzz_outcome's layout (fuzz_outcome.cpp)
  { printf "\\x$(printf '%02x' "$1")\\x01%s\\n30\\n" "$2"; cat "$golden/$3"; } |
    seed fuzz_outcome "$1-$3"
}

rm -rf "$out"
mkdir -p "$out"
for dir in "$here"/corpus/*/; do
  mkdir -p "$out/$(basename "$dir")"
  cp "$dir"* "$out/$(basename "$dir")/"
done

messages=(ebxml_gp2gp_message.txt gp2gp_ack_aa_message.txt gp2gp_attachment_message.txt
  gp2gp_continue_message.txt gp2gp_ehr_extract_message.txt gp2gp_ehr_request_message.txt
  gp2gp_fragment_index_message.txt gp2gp_fragment_message.txt gp2gp_nack_ae_message.txt)
multipart fuzz_mime mime_three_parts.txt "${messages[@]}"
multipart fuzz_ebxml_message mime_three_parts.txt "${messages[@]}"
multipart fuzz_copc "${messages[@]}"
plain fuzz_ebxml ebxml_acknowledgment.xml ebxml_eps_envelope.xml ebxml_gp2gp_envelope.xml \
  ebxml_message_error.xml ebxml_soap_fault.xml
plain fuzz_hl7_ack hl7_application_ack_ae.xml hl7_application_ack_ar.xml hl7_nack_eps_ar_soap.xml \
  hl7_nack_gp2gp_ae.xml reply_mcci_ae.xml
plain fuzz_gp2gp_request gp2gp_ehr_request.xml
plain fuzz_extract gp2gp_ehr_extract.xml gp2gp_skeleton_extract.xml
plain fuzz_eps_cancel_response eps_cancel_response_0001.xml eps_cancel_response_0002.xml
plain fuzz_ers_json ers_operation_outcome_422.json ers_referral_request.json \
  ers_service_search_reply.json ers_worklist_reply.json
plain fuzz_api_json ers_create_referral.json

# Statuses by index in fuzz_outcome.cpp's table: 1=200 2=202 5=400 9=422 12=500 15=503.
reply 1 'text/xml' ebxml_acknowledgment.xml
reply 5 'text/xml' ebxml_message_error.xml
reply 12 'text/xml' ebxml_soap_fault.xml
reply 12 'text/xml' hl7_nack_eps_ar_soap.xml
reply 1 'text/xml' reply_mcci_ae.xml
reply 2 "$ebxml_type" gp2gp_ack_aa_message.txt
reply 9 'application/fhir+json' ers_operation_outcome_422.json
reply 15 'application/fhir+json' ers_operation_outcome_422.json
