#!/usr/bin/env bash
# Makes the tls tests' certificates in $1 (openssl command line): a test CA and a server
# certificate it signs for localhost and 127.0.0.1; another CA (untrusted by the tests) and a
# certificate it signs; a self-signed certificate; and one the test CA signed that has expired.
set -euo pipefail
out="$1"
mkdir -p "$out"
cd "$out"
subj() { echo "/CN=$1/O=brigade tests"; }
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_ca() {  # name
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -days 30 -subj "$(subj "brigade test $1")" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}
# name ca days [x509 options...]: a server certificate for localhost and 127.0.0.1
make_leaf() {
  local name="$1" ca="$2"
  shift 2
  key "$name.key"
  openssl req -new -key "$name.key" -subj "$(subj localhost)" -out "$name.csr"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
    -extfile "$name.ext" -out "$name.pem" "$@" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

make_ca ca
make_ca other_ca
make_leaf server ca -days 30
make_leaf untrusted other_ca -days 30
# Self-signed, for localhost.
key self.key
openssl req -x509 -new -key self.key -days 30 -subj "$(subj localhost)" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out self.pem
# Expired: signed with a validity that ended yesterday (-days -1: not after = now - 1 day).
make_leaf expired ca -days -1
echo "certificates made in $out"
