#!/bin/sh
# Makes a throw-away PKI for the mutual-TLS tests (docs/security.md, "Transport: mutual TLS"):
#
#   ca.pem               trust anchor: the test root CA (the only file either side trusts)
#   spine.pem/.key       spine-mock: localhost, 127.0.0.1, spine.test
#   practice-a.pem/.key  practice A's agent: localhost, 127.0.0.1, practice-a.test
#   practice-b.pem/.key  practice B's agent: localhost, 127.0.0.1, practice-b.test
#   expired.pem/.key     every good name, valid 2020-2021 only
#   wrong-ca.pem/.key    every good name, issued by another root (other-ca.pem)
#   wrong-host.pem/.key  issued by the good sub-CA, but only for elsewhere.test
#
# Endpoint certificates are issued by a sub-CA under the root; each .pem holds the endpoint
# certificate followed by its issuer, so a peer that trusts only ca.pem can build the chain. Each
# bad certificate differs from a good one in exactly one respect. Keys are P-256 (fast to make);
# nothing here is ever committed: the tests run this into a temporary directory.
#
# usage: make-test-pki.sh OUTDIR
set -eu

out=${1:?usage: make-test-pki.sh OUTDIR}
mkdir -p "$out"
cd "$out"
work=.work
rm -rf "$work"
mkdir -p "$work"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca_config DIR: a minimal `openssl ca` set-up (database, serial) issuing from DIR/ca.pem.
ca_config() {
    mkdir -p "$1/issued"
    : >"$1/index.txt"
    echo 1000 >"$1/serial"
    cat >"$1/openssl.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $1
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/issued
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 30
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ v3_sub_ca ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
}

# root DIR CN: a self-signed root with its `openssl ca` set-up.
root() {
    ca_config "$1"
    key "$1/ca.key"
    openssl req -x509 -new -key "$1/ca.key" -subj "/CN=$2" -days 30 -sha256 \
        -addext "basicConstraints=critical,CA:true" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1/ca.pem"
}

# issue CA_DIR NAME CN SANS [-startdate X -enddate Y]: NAME.key and NAME.pem (cert + issuer).
issue() {
    ca_dir=$1 name=$2 cn=$3 sans=$4
    shift 4
    key "$name.key"
    openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$work/$name.csr"
    cat >"$work/$name.ext" <<EXT
[ endpoint ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = $sans
EXT
    openssl ca -batch -notext -config "$ca_dir/openssl.cnf" -in "$work/$name.csr" \
        -extfile "$work/$name.ext" -extensions endpoint -out "$work/$name.crt" "$@" 2>/dev/null
    cat "$work/$name.crt" "$ca_dir/ca.pem" >"$name.pem"
}

root "$PWD/$work/root" "gp-agent test root CA"
root "$PWD/$work/other" "gp-agent test other root CA"

# The sub-CA is issued by the root; endpoint certificates by the sub-CA.
sub="$PWD/$work/sub"
ca_config "$sub"
key "$sub/ca.key"
openssl req -new -key "$sub/ca.key" -subj "/CN=gp-agent test sub-CA" -out "$work/sub.csr"
openssl ca -batch -notext -config "$work/root/openssl.cnf" -extensions v3_sub_ca \
    -in "$work/sub.csr" -out "$sub/ca.pem" 2>/dev/null

local_names="DNS:localhost, IP:127.0.0.1"
all_names="$local_names, DNS:spine.test, DNS:practice-a.test, DNS:practice-b.test"
issue "$sub" spine spine.test "$local_names, DNS:spine.test"
issue "$sub" practice-a practice-a.test "$local_names, DNS:practice-a.test"
issue "$sub" practice-b practice-b.test "$local_names, DNS:practice-b.test"
issue "$sub" expired practice-a.test "$all_names" \
    -startdate 20200101000000Z -enddate 20210101000000Z
issue "$PWD/$work/other" wrong-ca practice-a.test "$all_names"
issue "$sub" wrong-host elsewhere.test "DNS:elsewhere.test"

cp "$work/root/ca.pem" ca.pem
cp "$work/other/ca.pem" other-ca.pem
chmod 600 ./*.key
rm -rf "$work"
