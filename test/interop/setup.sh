#!/usr/bin/env bash
# test/interop/setup.sh — installs, configures and starts the interop tier's real servers:
# nsd (authoritative DNS, a DNSSEC-signed zone), Unbound (a validating resolver), Postfix
# and Exim, all on loopback addresses only.
#
#   bash test/interop/setup.sh        (as root, on Debian 12)
#
# Idempotent: it first stops whatever an earlier run of this script left running (by pid
# file, nothing else), wipes its state folder ($MXREADY_INTEROP_STATE, default
# /tmp/mxready-interop) except the unpacked Exim package, and builds everything anew.
# Packages are installed only when missing. Any failure is fatal and loud: this tier
# never skips. test/interop/teardown.sh stops the servers; packages stay installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "setup.sh must run as root (it installs packages and binds port 25 and 53)"
command -v apt-get >/dev/null || die "setup.sh needs a Debian system (apt-get not found)"

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# ---------------------------------------------------------------------------
# 0. Stop what an earlier run left behind, and start from an empty state folder.

bash "$HERE/teardown.sh"

if [ -e "$INTEROP_STATE" ] && [ ! -e "$INTEROP_MARKER" ]; then
  die "$INTEROP_STATE exists but was not made by this script; move it away or set MXREADY_INTEROP_STATE"
fi
mkdir -p "$INTEROP_STATE"
chmod 755 "$INTEROP_STATE"
touch "$INTEROP_MARKER"
# Everything but the unpacked Exim package (kept so a second run needs no download).
find "$INTEROP_STATE" -mindepth 1 -maxdepth 1 ! -name exim-pkg ! -name "$(basename "$INTEROP_MARKER")" -exec rm -rf {} +

# ---------------------------------------------------------------------------
# 1. Packages. Postfix, nsd, Unbound, ldns's tools, dig and openssl from Debian; Exim
#    downloaded and unpacked beside Postfix (exim4-daemon-light and postfix conflict as packages).

APT_UPDATED=no
apt_update_once() {
  if [ "$APT_UPDATED" = no ]; then
    log "apt-get update"
    timeout 300 apt-get update -q >"$INTEROP_STATE/apt-update.log" 2>&1 ||
      { cat "$INTEROP_STATE/apt-update.log" >&2; die "apt-get update failed"; }
    APT_UPDATED=yes
  fi
}

# What the tier needs from Debian (iproute2 for ss and ip; dnsutils for dig; nmap for its
# ssl-enum-ciphers script, the second opinion on --enumerate; unbound validates DNSSEC;
# ldnsutils signs the zone; util-linux's unshare gives posttls-finger its own resolv.conf;
# nginx-light serves MTA-STS policies; postfix-mta-sts-resolver's mta-sts-query reads them;
# chromium opens the HTML report in html.itest.ts: about 25 packages, 80 MB, driven by
# playwright-core, which downloads no browser).
PACKAGES=(postfix nsd dnsutils openssl ca-certificates iproute2 nmap unbound ldnsutils util-linux nginx-light postfix-mta-sts-resolver chromium)
missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = installed ] || missing+=("$pkg")
done

# Keep package maintainer scripts from starting services during the install: nsd's
# would listen on every interface. policy-rc.d is only added (and removed) when absent.
with_no_service_starts() {
  local added=no rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# added by mxready test/interop/setup.sh during apt-get install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    added=yes
  fi
  "$@" || rc=$?
  [ "$added" = yes ] && rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  # Postfix asks what kind of mail system this is; "No configuration" writes no main.cf
  # and starts nothing. We run Postfix with our own configuration folder.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  log "apt-get install ${missing[*]}"
  with_no_service_starts timeout 600 apt-get install "${APT_OPTS[@]}" "${missing[@]}" \
    >"$INTEROP_STATE/apt-install.log" 2>&1 ||
    { tail -40 "$INTEROP_STATE/apt-install.log" >&2; die "apt-get install ${missing[*]} failed"; }
fi
for tool in postfix postconf posttls-finger nsd nsd-checkconf nsd-checkzone dig openssl ss nmap \
  unbound unbound-checkconf ldns-keygen ldns-signzone ldns-key2ds unshare nginx mta-sts-query; do
  command -v "$tool" >/dev/null || die "$tool is missing after the install"
done

# Exim: apt-get download + dpkg -x into $INTEROP_EXIM_ROOT. Its shared libraries are
# ordinary packages without conflicts, installed from the .deb's Depends field.
exim_usable() {
  local libs
  [ -x "$INTEROP_EXIM_BIN" ] || return 1
  libs="$(ldd "$INTEROP_EXIM_BIN" 2>&1)" || return 1
  [[ "$libs" == *libgnutls* && "$libs" != *"not found"* ]]
}
if ! exim_usable; then
  apt_update_once
  rm -rf "$INTEROP_EXIM_ROOT" "$INTEROP_STATE/exim-download"
  mkdir -p "$INTEROP_STATE/exim-download"
  log "apt-get download exim4-daemon-light"
  # apt-get download writes into the current folder; _apt cannot write to it, hence -o.
  (cd "$INTEROP_STATE/exim-download" &&
    timeout 300 apt-get download -q -o APT::Sandbox::User=root exim4-daemon-light) >"$INTEROP_STATE/exim-download.log" 2>&1 ||
    { cat "$INTEROP_STATE/exim-download.log" >&2; die "apt-get download exim4-daemon-light failed"; }
  deb="$(ls "$INTEROP_STATE"/exim-download/exim4-daemon-light_*.deb)"
  # Depends: "exim4-base (>= 4.96), debconf (>= 0.5) | debconf-2.0, libc6 (>= 2.34), ..."
  # → the library packages only (exim4-base and debconf are not needed to run the daemon).
  libs="$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' |
    grep -E '^lib' | sort -u | tr '\n' ' ')"
  log "apt-get install Exim's libraries: $libs"
  # shellcheck disable=SC2086 # one word per package
  with_no_service_starts timeout 600 apt-get install "${APT_OPTS[@]}" --no-upgrade $libs >>"$INTEROP_STATE/apt-install.log" 2>&1 ||
    { tail -40 "$INTEROP_STATE/apt-install.log" >&2; die "apt-get install of Exim's libraries failed"; }
  dpkg -x "$deb" "$INTEROP_EXIM_ROOT"
  # The package's exim4 is set-uid root; we start it as root ourselves and want no set-uid
  # binary lying in a state folder.
  chmod u-s "$INTEROP_EXIM_BIN"
  rm -rf "$INTEROP_STATE/exim-download"
  exim_usable || die "the unpacked Exim at $INTEROP_EXIM_BIN cannot run (ldd: $(ldd "$INTEROP_EXIM_BIN" 2>&1 | grep 'not found' | tr '\n' ' '))"
fi
# Exim's Debian build has its user compiled in; the exim4-base package would create it.
if ! getent passwd "$INTEROP_EXIM_USER" >/dev/null; then
  log "creating the system user $INTEROP_EXIM_USER for Exim"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$INTEROP_EXIM_USER"
fi
getent passwd postfix >/dev/null || die "the postfix package did not create the user postfix"

# The IPv6 host needs ::1 on the loopback interface.
lo6="$(ip -6 addr show dev lo 2>/dev/null || true)"
[[ "$lo6" == *"inet6 $INTEROP_IPV6_ADDR/"* ]] ||
  die "IPv6 loopback $INTEROP_IPV6_ADDR is not configured (ip -6 addr show dev lo); the pf-dual host needs it"

# Nothing else may hold the addresses we are about to bind.
busy=()
is_listening "$INTEROP_DNS_ADDR" "$INTEROP_DNS_PORT" udp && busy+=("$INTEROP_DNS_ADDR:$INTEROP_DNS_PORT/udp")
is_listening "$INTEROP_DNS_ADDR" "$INTEROP_DNS_PORT" tcp && busy+=("$INTEROP_DNS_ADDR:$INTEROP_DNS_PORT/tcp")
is_listening "$INTEROP_VALIDATOR_ADDR" 53 udp && busy+=("$INTEROP_VALIDATOR_ADDR:53/udp")
is_listening "$INTEROP_POLICY_ADDR" 443 tcp && busy+=("$INTEROP_POLICY_ADDR:443")
is_listening "$INTEROP_NOTHING_ADDR" 443 tcp && busy+=("$INTEROP_NOTHING_ADDR:443")
wildcard_listener 443 tcp && busy+=("*:443 (a web server on every address)")
is_listening "$INTEROP_VALIDATOR_ADDR" 53 tcp && busy+=("$INTEROP_VALIDATOR_ADDR:53/tcp")
for line in "${INTEROP_POSTFIX_HOSTS[@]}" "${INTEROP_EXIM_HOSTS[@]}"; do
  read -r _ addr _ <<<"$line"
  is_listening "$addr" 25 tcp && busy+=("$addr:25")
done
is_listening "[$INTEROP_IPV6_ADDR]" 25 tcp && busy+=("[$INTEROP_IPV6_ADDR]:25")
wildcard_listener 25 tcp && busy+=("*:25 (a mail server on every address)")
wildcard_listener "$INTEROP_DNS_PORT" udp && busy+=("*:$INTEROP_DNS_PORT/udp (a DNS server on every address)")
wildcard_listener "$INTEROP_DNS_PORT" tcp && busy+=("*:$INTEROP_DNS_PORT/tcp (a DNS server on every address)")
[ "${#busy[@]}" -eq 0 ] || die "already in use by something this script did not start: ${busy[*]} (ss -ltnup shows what)"

# ---------------------------------------------------------------------------
# 2. Certificates: a root CA (the --ca-file), an issuing CA under it, and one leaf per
#    host. The servers send leaf + issuing CA, as real ones send leaf + intermediates.

PKI="$INTEROP_STATE/pki"
mkdir -p "$PKI/db/new"
touch "$PKI/db/index.txt"
echo 1000 >"$PKI/db/serial"

# openssl wants UTCTime strings (YYMMDDHHMMSSZ) for -startdate/-enddate.
utc() { date -u -d "$1" +%y%m%d%H%M%SZ; }
# days_until YYMMDDHHMMSSZ: whole days from now to that instant (for openssl x509 -days).
days_until() {
  local t="$1"
  echo $((($(date -u -d "20${t:0:2}-${t:2:2}-${t:4:2} ${t:6:2}:${t:8:2}:${t:10:2}" +%s) - $(date -u +%s)) / 86400))
}
# Valid certificates end at an odd time of day, so the test compares real instants.
VALID_FROM="$(utc '-1 day')"
VALID_UNTIL="$(utc "$(date -u -d '+397 days' +%Y-%m-%d) 13:37:42")"

cat >"$PKI/openssl.cnf" <<EOF
# The interop tier's own OpenSSL configuration: nothing from /etc/ssl/openssl.cnf applies.
[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
[ req_dn ]

[ ca ]
default_ca = issuing_ca

# The root signs the issuing CA; the issuing CA signs every leaf but the self-signed one.
[ root_ca ]
dir = $PKI/db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = $PKI/root-ca.crt
private_key = $PKI/root-ca.key
default_md = sha256
policy = policy_any
preserve = yes
unique_subject = no
email_in_dn = no
copy_extensions = none

[ issuing_ca ]
dir = $PKI/db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = $PKI/issuing-ca.crt
private_key = $PKI/issuing-ca.key
default_md = sha256
policy = policy_any
preserve = yes
unique_subject = no
email_in_dn = no
copy_extensions = none

[ policy_any ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional

[ root_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ issuing_ext ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# A self-signed server certificate as "openssl req -x509 -subj /CN=host" makes one: no SAN.
[ selfsigned_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
EOF
OSSL_CNF="$PKI/openssl.cnf"

# newkey FILE SPEC: a private key; SPEC is rsa:BITS or ec:CURVE.
newkey() {
  case "$2" in
    rsa:*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa:}" -out "$1" 2>/dev/null ;;
    ec:*) openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${2#ec:}" -pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null ;;
    *) die "newkey: unknown key spec $2" ;;
  esac
}

log "making the test CA and host certificates in $PKI"
newkey "$PKI/root-ca.key" rsa:2048
openssl req -new -x509 -config "$OSSL_CNF" -key "$PKI/root-ca.key" -days 3650 -sha256 \
  -subj "/C=ZZ/O=mxready interop/CN=mxready interop Root CA" -extensions root_ext -out "$PKI/root-ca.crt"
newkey "$PKI/issuing-ca.key" rsa:2048
openssl req -new -config "$OSSL_CNF" -key "$PKI/issuing-ca.key" \
  -subj "/C=ZZ/O=mxready interop/CN=mxready interop Issuing CA 1" -out "$PKI/issuing-ca.csr"
openssl ca -batch -notext -config "$OSSL_CNF" -name root_ca -extensions issuing_ext \
  -startdate "$VALID_FROM" -enddate "$(utc '+5 years')" -in "$PKI/issuing-ca.csr" -out "$PKI/issuing-ca.crt" 2>"$PKI/ca.log" ||
  { cat "$PKI/ca.log" >&2; die "signing the issuing CA failed"; }

# leaf NAME KEYSPEC SUBJECT SANS FROM UNTIL [chain|nochain]
#   NAME.key, NAME.leaf.crt, and NAME.crt = the leaf followed by the issuing CA (or the
#   leaf alone with "nochain"). SANS is a subjectAltName value ("DNS:a, DNS:b").
leaf() {
  local name="$1" spec="$2" subject="$3" sans="$4" from="$5" until="$6" chain="${7:-chain}" usage
  newkey "$PKI/$name.key" "$spec"
  usage="digitalSignature, keyEncipherment"
  [ "${spec%%:*}" = ec ] && usage="digitalSignature"
  cat >"$PKI/$name.ext" <<EOF
[ leaf_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, $usage
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $sans
EOF
  openssl req -new -config "$OSSL_CNF" -utf8 -multivalue-rdn -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr"
  if [[ "$subject" == *+* ]]; then
    # "openssl ca" splits a multi-valued RDN into single ones; "openssl x509 -req" keeps the
    # subject as requested but only knows -days (from now on), not a start and end date.
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/issuing-ca.crt" -CAkey "$PKI/issuing-ca.key" \
      -set_serial "0x$(openssl rand -hex 8)" -sha256 -days "$(days_until "$until")" \
      -extfile "$PKI/$name.ext" -extensions leaf_ext -out "$PKI/$name.leaf.crt" 2>"$PKI/ca.log" ||
      { cat "$PKI/ca.log" >&2; die "signing the certificate $name failed"; }
  else
    openssl ca -batch -notext -config "$OSSL_CNF" -name issuing_ca -extfile "$PKI/$name.ext" -extensions leaf_ext \
      -startdate "$from" -enddate "$until" -in "$PKI/$name.csr" -out "$PKI/$name.leaf.crt" 2>"$PKI/ca.log" ||
      { cat "$PKI/ca.log" >&2; die "signing the certificate $name failed"; }
  fi
  if [ "$chain" = chain ]; then
    cat "$PKI/$name.leaf.crt" "$PKI/issuing-ca.crt" >"$PKI/$name.crt"
  else
    cp "$PKI/$name.leaf.crt" "$PKI/$name.crt"
  fi
}

Z="$INTEROP_ZONE"
MX="mx.$Z"
# The modern Postfix host's certificate has a rich subject (a comma to escape, a UTF-8
# value, a multi-valued RDN) so the subjects are compared RDN by RDN, and names the
# other MX names that reach its address: the implicit-MX domain and the CNAME alias.
leaf pf-modern rsa:2048 "/C=ZZ/ST=Loopback State/L=Zürich/O=mxready interop, Postfix/OU=Mail+OU=TLS/CN=pf-modern.$MX" \
  "DNS:pf-modern.$MX, DNS:implicit.$Z, DNS:alias.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-tls12 rsa:2048 "/O=mxready interop/CN=pf-tls12.$MX" "DNS:pf-tls12.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-tls11 rsa:2048 "/O=mxready interop/CN=pf-tls11.$MX" "DNS:pf-tls11.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-tls10 rsa:2048 "/O=mxready interop/CN=pf-tls10.$MX" "DNS:pf-tls10.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-expired rsa:2048 "/O=mxready interop/CN=pf-expired.$MX" "DNS:pf-expired.$MX" "$(utc '-400 days')" "$(utc '-30 days')"
leaf pf-future rsa:2048 "/O=mxready interop/CN=pf-future.$MX" "DNS:pf-future.$MX" "$(utc '+30 days')" "$(utc '+400 days')"
leaf pf-wrongname rsa:2048 "/O=mxready interop/CN=www.elsewhere.example" "DNS:www.elsewhere.example, DNS:elsewhere.example" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-rsa1024 rsa:1024 "/O=mxready interop/CN=pf-rsa1024.$MX" "DNS:pf-rsa1024.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-ecdsa ec:P-256 "/O=mxready interop/OU=ECDSA/CN=pf-ecdsa.$MX" "DNS:pf-ecdsa.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-slow rsa:2048 "/O=mxready interop/CN=pf-slow.$MX" "DNS:pf-slow.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-ccert rsa:2048 "/O=mxready interop/CN=pf-ccert.$MX" "DNS:pf-ccert.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-nocipher rsa:2048 "/O=mxready interop/CN=pf-nocipher.$MX" "DNS:pf-nocipher.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-dual rsa:2048 "/O=mxready interop/CN=pf-dual.$MX" "DNS:pf-dual.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-reject rsa:2048 "/O=mxready interop/CN=pf-reject.$MX" "DNS:pf-reject.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-chain rsa:2048 "/O=mxready interop/CN=pf-chain.$MX" "DNS:pf-chain.$MX" "$VALID_FROM" "$VALID_UNTIL" nochain
# The DANE hosts (RSA and ECDSA leaves, each sent with the issuing CA), and the certificate
# pf-dane-bad had before its key changed: its TLSA record still names that one.
leaf pf-dane-ee rsa:2048 "/O=mxready interop/OU=DANE/CN=pf-dane-ee.$MX" "DNS:pf-dane-ee.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-dane-bad rsa:2048 "/O=mxready interop/OU=DANE/CN=pf-dane-bad.$MX" "DNS:pf-dane-bad.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-dane-bad-stale rsa:2048 "/O=mxready interop/OU=DANE/CN=pf-dane-bad.$MX" "DNS:pf-dane-bad.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-dane-ta ec:P-256 "/O=mxready interop/OU=DANE/CN=pf-dane-ta.$MX" "DNS:pf-dane-ta.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-dane-pkix ec:P-256 "/O=mxready interop/OU=DANE/CN=pf-dane-pkix.$MX" "DNS:pf-dane-pkix.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-dane-insecure rsa:2048 "/O=mxready interop/OU=DANE/CN=pf-dane-insecure.$MX" "DNS:pf-dane-insecure.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf pf-dane-bogus rsa:2048 "/O=mxready interop/OU=DANE/CN=mx.bogus.$Z" "DNS:mx.bogus.$Z, DNS:pf-dane-bogus.$MX" "$VALID_FROM" "$VALID_UNTIL"
# The MTA-STS policy hosts: one certificate naming every one of them.
STS_NAMES=""
for label in "${INTEROP_STS[@]}"; do STS_NAMES+="${STS_NAMES:+, }DNS:mta-sts.$label.$Z"; done
leaf mta-sts rsa:2048 "/O=mxready interop/OU=MTA-STS/CN=mta-sts.sts-enforce.$Z" "$STS_NAMES" "$VALID_FROM" "$VALID_UNTIL"
# Self-signed, CN only (no SAN), as quick self-made server certificates often are.
newkey "$PKI/pf-selfsigned.key" rsa:2048
openssl req -new -x509 -config "$OSSL_CNF" -key "$PKI/pf-selfsigned.key" -days 365 -sha256 \
  -subj "/CN=pf-selfsigned.$MX" -extensions selfsigned_ext -out "$PKI/pf-selfsigned.crt"
# Exim's hosts.
leaf ex-modern rsa:2048 "/C=ZZ/O=mxready interop/OU=Exim/CN=ex-modern.$MX" "DNS:ex-modern.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf ex-tls12 rsa:2048 "/O=mxready interop/OU=Exim/CN=ex-tls12.$MX" "DNS:ex-tls12.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf ex-banner rsa:2048 "/O=mxready interop/OU=Exim/CN=ex-banner.$MX" "DNS:ex-banner.$MX" "$VALID_FROM" "$VALID_UNTIL"
# A wildcard name: *.mx.interop.test covers ex-ecdsa.mx.interop.test.
leaf ex-ecdsa ec:P-256 "/O=mxready interop/OU=Exim/CN=*.$MX" "DNS:*.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf ex-tls10 rsa:2048 "/O=mxready interop/OU=Exim/CN=ex-tls10.$MX" "DNS:ex-tls10.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf ex-ccert rsa:2048 "/O=mxready interop/OU=Exim/CN=ex-ccert.$MX" "DNS:ex-ccert.$MX" "$VALID_FROM" "$VALID_UNTIL"
leaf ex-rsakx rsa:2048 "/O=mxready interop/OU=Exim/CN=ex-rsakx.$MX" "DNS:ex-rsakx.$MX" "$VALID_FROM" "$VALID_UNTIL"
chmod 644 "$PKI"/*.crt
chmod 640 "$PKI"/*.key
chgrp "$INTEROP_EXIM_USER" "$PKI"/ex-*.key # Exim reads its keys after dropping root

# ---------------------------------------------------------------------------
# 3. DNS: nsd, authoritative for interop.test (signed) and its child zones, on
#    127.0.53.1:53 (UDP and TCP); Unbound, validating, on 127.0.53.2:53.

NSD="$INTEROP_STATE/nsd"
mkdir -p "$NSD"
{
  cat <<EOF
; The interop tier's zone. Written by test/interop/setup.sh; README.md explains each name.
\$ORIGIN $Z.
\$TTL 300
@                 SOA   ns.$Z. hostmaster.$Z. 1 3600 600 86400 300
@                 NS    ns.$Z.
ns                A     $INTEROP_DNS_ADDR

; One MX host per server set-up, and a domain of the same label with it as its MX.
EOF
  for line in "${INTEROP_POSTFIX_HOSTS[@]}" "${INTEROP_EXIM_HOSTS[@]}"; do
    read -r name addr _ _ _ special <<<"$line"
    printf '%-17s A     %s\n' "$name.mx" "$addr"
    [ "$special" = ipv6 ] && printf '%-17s AAAA  %s\n' "$name.mx" "$INTEROP_IPV6_ADDR"
    printf '%-17s MX    10 %s.mx.%s.\n' "$name" "$name" "$Z"
  done
  cat <<EOF

; Several MX, listed out of preference order: mxready must sort them (RFC 5321 §5.1).
multi             MX    30 pf-tls12.mx.$Z.
multi             MX    10 pf-modern.mx.$Z.
multi             MX    20 ex-modern.mx.$Z.
; A good primary and a backup without STARTTLS: a gap, yet mail still flows.
fallback          MX    10 pf-modern.mx.$Z.
fallback          MX    20 pf-plain.mx.$Z.
; RFC 7505 null MX: accepts no mail.
nullmx            MX    0 .
; A null MX beside a real one: a misconfiguration; the null MX is ignored.
mixednull         MX    0 .
mixednull         MX    10 pf-modern.mx.$Z.
; No MX at all: the domain's own address is the implicit MX (RFC 5321 §5.1).
implicit          A     127.0.25.11
; An MX that names a CNAME (RFC 2181 §10.3 forbids it; mail still follows it).
cname             MX    10 alias.mx.$Z.
alias.mx          CNAME pf-modern.mx.$Z.
; The only MX host exists but has no address: nothing to probe.
noaddr            MX    10 void.mx.$Z.
void.mx           TXT   "this name has no address"
; One MX host does not exist at all, the other one works.
partial           MX    10 gone.mx.$Z.
partial           MX    20 ex-modern.mx.$Z.
; nx.$Z does not exist: NXDOMAIN.
EOF
} >"$NSD/$Z.zone"

# DNSSEC: ECDSA P-256 keys (a KSK and a ZSK per signed zone), made by ldns-keygen in $KEYS.
KEYS="$NSD/keys"
mkdir -p "$KEYS"
# newzonekey ZONE [ksk]: makes a key; prints its base name (Kzone.+013+tag) with its folder.
newzonekey() {
  local base
  base="$(cd "$KEYS" && ldns-keygen -a ECDSAP256SHA256 ${2:+-k} "$1")" || die "ldns-keygen failed for $1"
  printf '%s/%s' "$KEYS" "$base"
}
# ds KEY: the DS record (SHA-256) of a key, one line.
ds() { ldns-key2ds -n -2 "$1.key" | tr -s ' \t' ' '; }
# signzone ZONE FILE KSK ZSK: FILE.signed, NSEC, signatures valid from a day ago for 30 days.
signzone() {
  ldns-signzone -i "$(date -u -d '-1 day' +%Y%m%d%H%M%S)" -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)" \
    -o "$1" -f "$2.signed" "$2" "$4" "$3" >"$NSD/sign.log" 2>&1 || { cat "$NSD/sign.log" >&2; die "ldns-signzone failed for $1"; }
}
# tlsa_data SELECTOR MATCHING CERT: a TLSA record's association data (RFC 6698 §2.1), hex.
tlsa_data() {
  if [ "$1" = 0 ]; then
    openssl x509 -in "$3" -outform DER
  else
    openssl x509 -in "$3" -noout -pubkey | openssl pkey -pubin -outform DER
  fi >"$NSD/tlsa.der"
  case "$2" in
    0) od -An -v -tx1 "$NSD/tlsa.der" | tr -d ' \n' ;;
    1) sha256sum "$NSD/tlsa.der" | cut -d' ' -f1 ;;
    2) sha512sum "$NSD/tlsa.der" | cut -d' ' -f1 ;;
  esac
}

# The DANE hosts' TLSA records: in the signed zone, or in an unsigned child zone
# _tcp.NAME.mx.$Z (delegated without DS).
CHILD_ZONES=()
printf '\n; DANE (RFC 7672): TLSA records at _25._tcp.HOST (README.md lists what each host gets).\n' >>"$NSD/$Z.zone"
for line in "${INTEROP_DANE[@]}"; do
  read -r name where records <<<"$line"
  rrs=""
  for record in $records; do
    IFS=- read -r usage selector matching of <<<"$record"
    case "$of" in
      leaf) cert="$PKI/$name.leaf.crt" ;;
      stale) cert="$PKI/$name-stale.leaf.crt" ;;
      issuing) cert="$PKI/issuing-ca.crt" ;;
      *) die "INTEROP_DANE: unknown certificate $of for $name" ;;
    esac
    rrs+="_25._tcp.$name.mx.$Z. 300 IN TLSA $usage $selector $matching $(tlsa_data "$selector" "$matching" "$cert")"$'\n'
  done
  if [ "$where" = signed ]; then
    printf '%s' "$rrs" >>"$NSD/$Z.zone"
  else
    child="_tcp.$name.mx.$Z"
    CHILD_ZONES+=("$child")
    printf '%s. NS ns.%s.\n' "$child" "$Z" >>"$NSD/$Z.zone"
    {
      printf '; An unsigned child zone: no DS in %s, so its TLSA records are insecure.\n' "$Z"
      printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ NS ns.%s.\n' "$child" "$Z" "$Z" "$Z"
      printf '%s' "$rrs"
    } >"$NSD/$child.zone"
  fi
done

# The bogus child zone: signed, but the DS in $Z names a key it does not use, so a
# validating resolver answers SERVFAIL for every name in it (and answers with CD).
BOGUS="bogus.$Z"
CHILD_ZONES+=("$BOGUS")
cat >"$NSD/$BOGUS.zone" <<EOF
; A child zone whose DS in $Z matches none of its keys: bogus.
\$ORIGIN $BOGUS.
\$TTL 300
@                 SOA   ns.$Z. hostmaster.$Z. 1 3600 600 86400 300
@                 NS    ns.$Z.
@                 MX    10 mx.$BOGUS.
mx                A     127.0.25.46
; The policy host of sts-bogus (a CNAME in $Z points here): its address is bogus.
mta-sts           A     $INTEROP_POLICY_ADDR
EOF
signzone "$BOGUS" "$NSD/$BOGUS.zone" "$(newzonekey "$BOGUS" ksk)" "$(newzonekey "$BOGUS")"
{
  printf '\n; The bogus child: delegated with a DS of a key it does not use.\n'
  printf '%s. NS ns.%s.\n' "$BOGUS" "$Z"
  ds "$(newzonekey "$BOGUS" ksk)"
  printf '; A signed domain whose only MX host is in the bogus child: its address lookup is bogus.\n'
  printf 'bogus-mx MX 10 mx.%s.\n' "$BOGUS"
  printf '\n; MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): lib.sh INTEROP_STS says what each serves.\n'
  for label in "${INTEROP_STS[@]}"; do
    mx=pf-modern
    [ "$label" = sts-dane ] && mx=pf-dane-ee
    printf '%s MX 10 %s.mx.%s.\n' "$label" "$mx" "$Z"
    printf '_mta-sts.%s TXT "v=STSv1; id=%s1;"\n' "$label" "${label//-/}"
    case "$label" in
      sts-down) printf 'mta-sts.%s A %s\n' "$label" "$INTEROP_NOTHING_ADDR" ;;
      sts-bogus) printf 'mta-sts.%s CNAME mta-sts.%s.\n' "$label" "$BOGUS" ;;
      *) printf 'mta-sts.%s A %s\n' "$label" "$INTEROP_POLICY_ADDR" ;;
    esac
  done
  printf '_smtp._tls.sts-enforce TXT "v=TLSRPTv1; rua=mailto:tls-reports@%s,https://reports.%s/tlsrpt"\n' "$Z" "$Z"
  printf 'rpt-bad MX 10 pf-modern.mx.%s.\n_smtp._tls.rpt-bad TXT "v=TLSRPTv1; ruf=mailto:tls-reports@%s"\n' "$Z" "$Z"
  printf '; Effective protection: DANE on one MX of two.\ndane-partial MX 10 pf-dane-ee.mx.%s.\ndane-partial MX 20 pf-modern.mx.%s.\n' "$Z" "$Z"
  printf 'rpt-dup MX 10 pf-modern.mx.%s.\n' "$Z"
  printf '_smtp._tls.rpt-dup TXT "v=TLSRPTv1; rua=mailto:a@%s"\n_smtp._tls.rpt-dup TXT "v=TLSRPTv1; rua=mailto:b@%s"\n' "$Z" "$Z"
} >>"$NSD/$Z.zone"

Z_KSK="$(newzonekey "$Z" ksk)"
signzone "$Z" "$NSD/$Z.zone" "$Z_KSK" "$(newzonekey "$Z")"
# What Unbound trusts: the signed zone's KSK, as a DS.
TRUST_ANCHOR="$(ds "$Z_KSK")"

cat >"$NSD/nsd.conf" <<EOF
# nsd for the interop tier: loopback only, no privilege drop, no chroot, no control socket.
server:
  ip-address: $INTEROP_DNS_ADDR@$INTEROP_DNS_PORT
  do-ip4: yes
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$NSD"
  zonelistfile: "$NSD/zone.list"
  database: ""
  xfrdfile: "$NSD/xfrd.state"
  xfrdir: "$NSD"
  pidfile: "$NSD/nsd.pid"
  logfile: "$NSD/nsd.log"
  server-count: 1
  hide-version: yes
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: "$Z"
  zonefile: "$Z.zone.signed"
EOF
for child in "${CHILD_ZONES[@]}"; do
  file="$child.zone"
  [ -e "$NSD/$file.signed" ] && file="$file.signed"
  printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$child" "$file" >>"$NSD/nsd.conf"
done
nsd-checkconf "$NSD/nsd.conf" || die "nsd-checkconf rejected $NSD/nsd.conf"
nsd-checkzone "$Z" "$NSD/$Z.zone.signed" >/dev/null || die "nsd-checkzone rejected $NSD/$Z.zone.signed"
for child in "${CHILD_ZONES[@]}"; do
  file="$child.zone"
  [ -e "$NSD/$file.signed" ] && file="$file.signed"
  nsd-checkzone "$child" "$NSD/$file" >/dev/null || die "nsd-checkzone rejected $NSD/$file"
done
log "starting nsd on $INTEROP_DNS_ADDR:$INTEROP_DNS_PORT"
nsd -c "$NSD/nsd.conf" || die "nsd did not start (see $NSD/nsd.log)"
wait_listening "$INTEROP_DNS_ADDR" "$INTEROP_DNS_PORT" udp nsd
wait_listening "$INTEROP_DNS_ADDR" "$INTEROP_DNS_PORT" tcp nsd

# Unbound: validating, loopback only, asks nsd for interop.test (a stub zone) and trusts the
# zone's DS. "test." is one of Unbound's default local zones (NXDOMAIN, RFC 6761): nodefault.
UB="$INTEROP_STATE/unbound"
mkdir -p "$UB"
cat >"$UB/unbound.conf" <<EOF
# Unbound for the interop tier: a validating resolver on loopback only, no privilege drop,
# no chroot, no control socket; it knows only interop.test (from nsd) and trusts its DS.
server:
  interface: $INTEROP_VALIDATOR_ADDR@53
  port: 53
  do-ip4: yes
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "$UB"
  pidfile: "$UB/unbound.pid"
  logfile: "$UB/unbound.log"
  use-syslog: no
  verbosity: 1
  val-log-level: 2
  num-threads: 1
  so-reuseport: no
  module-config: "validator iterator"
  do-not-query-localhost: no
  qname-minimisation: no
  local-zone: "test." nodefault
  trust-anchor: "$TRUST_ANCHOR"
remote-control:
  control-enable: no
stub-zone:
  name: "$Z"
  stub-addr: $INTEROP_DNS_ADDR@$INTEROP_DNS_PORT
EOF
unbound-checkconf "$UB/unbound.conf" >"$UB/check.log" 2>&1 || { cat "$UB/check.log" >&2; die "unbound-checkconf rejected $UB/unbound.conf"; }
log "starting Unbound on $INTEROP_VALIDATOR_ADDR:53"
unbound -c "$UB/unbound.conf" >"$UB/start.log" 2>&1 || { cat "$UB/start.log" "$UB/unbound.log" >&2; die "Unbound did not start"; }
wait_listening "$INTEROP_VALIDATOR_ADDR" 53 udp Unbound
wait_listening "$INTEROP_VALIDATOR_ADDR" 53 tcp Unbound

# nginx: the MTA-STS policy hosts on $INTEROP_POLICY_ADDR:443, one server per policy (by SNI),
# each with its own access log, so a test can tell which hosts were asked.
NGX="$INTEROP_STATE/nginx"
mkdir -p "$NGX/www" "$NGX/log" "$NGX/tmp"
sts_policy() { printf 'version: STSv1\r\nmode: %s\r\n' "$1"; shift; for mx in "$@"; do printf 'mx: %s\r\n' "$mx"; done; printf 'max_age: 86400\r\n'; }
sts_policy enforce "pf-modern.mx.$Z" >"$NGX/www/sts-enforce.txt"
sts_policy testing "*.mx.$Z" >"$NGX/www/sts-testing.txt"
sts_policy enforce "mail.elsewhere.test" >"$NGX/www/sts-mismatch.txt"
sts_policy enforce "pf-modern.mx.$Z" >"$NGX/www/sts-bogus.txt"
sts_policy enforce "pf-dane-ee.mx.$Z" >"$NGX/www/sts-dane.txt"
{ sts_policy enforce "pf-modern.mx.$Z"; head -c 102400 /dev/zero | tr '\0' '#'; } >"$NGX/www/sts-large.txt"
chmod -R a+rX "$NGX/www"
{
  cat <<EOF
# nginx for the interop tier: MTA-STS policies over HTTPS on loopback only.
daemon on;
pid $NGX/nginx.pid;
error_log $NGX/log/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
  types { }
  default_type text/plain;
  client_body_temp_path $NGX/tmp/body;
  proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fastcgi;
  uwsgi_temp_path $NGX/tmp/uwsgi;
  scgi_temp_path $NGX/tmp/scgi;
  ssl_certificate $PKI/mta-sts.crt;
  ssl_certificate_key $PKI/mta-sts.key;
  ssl_protocols TLSv1.2 TLSv1.3;
EOF
  for label in "${INTEROP_STS[@]}"; do
    [ "$label" = sts-down ] && continue
    printf '  server {\n    listen %s:443 ssl;\n    server_name mta-sts.%s.%s;\n' "$INTEROP_POLICY_ADDR" "$label" "$Z"
    printf '    access_log %s/log/%s.log;\n' "$NGX" "$label"
    if [ "$label" = sts-redirect ]; then
      printf '    location = /.well-known/mta-sts.txt { return 301 https://mta-sts.sts-enforce.%s/.well-known/mta-sts.txt; }\n' "$Z"
    else
      printf '    location = /.well-known/mta-sts.txt { alias %s/www/%s.txt; }\n' "$NGX" "$label"
    fi
    printf '  }\n'
  done
  printf '}\n'
} >"$NGX/nginx.conf"
nginx -t -c "$NGX/nginx.conf" -p "$NGX" >"$NGX/check.log" 2>&1 || { cat "$NGX/check.log" >&2; die "nginx rejected $NGX/nginx.conf"; }
log "starting nginx on $INTEROP_POLICY_ADDR:443"
nginx -c "$NGX/nginx.conf" -p "$NGX" >"$NGX/start.log" 2>&1 || { cat "$NGX/start.log" "$NGX/log/error.log" >&2; die "nginx did not start"; }
wait_listening "$INTEROP_POLICY_ADDR" 443 tcp nginx

# ---------------------------------------------------------------------------
# 4. Postfix: our own configuration folder (postfix -c), one smtpd per address.

# The configuration folder holds only configuration: postfix-script checks that everything
# below it belongs to root, which the queue and data folders (owned by postfix) do not.
PF="$INTEROP_STATE/postfix"
PF_VAR="$INTEROP_STATE/postfix-var"
mkdir -p "$PF" "$PF_VAR/queue" "$PF_VAR/data" "$PF_VAR/log"
chown postfix "$PF_VAR/data"

# OpenSSL at security level 0, for the hosts that offer TLS 1.0/1.1 or hold an RSA-1024
# key (OpenSSL 3 refuses both at levels 1 and 2; Debian builds it with level 2).
cat >"$PF/openssl-legacy.cnf" <<'EOF'
openssl_conf = legacy_init
[ legacy_init ]
ssl_conf = legacy_ssl
[ legacy_ssl ]
system_default = legacy_tls
[ legacy_tls ]
CipherString = DEFAULT@SECLEVEL=0
MinProtocol = TLSv1
EOF

cat >"$PF/main.cf" <<EOF
# Postfix for the interop tier. mxready sends EHLO, STARTTLS, EHLO and QUIT, never
# MAIL FROM. Mail for the zone is accepted and discarded: the enforcement suite's
# sending Postfix delivers one message to each interop domain.
compatibility_level = 3.6
queue_directory = $PF_VAR/queue
data_directory = $PF_VAR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.mx.$Z
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4, ipv6
alias_maps =
alias_database =
local_recipient_maps =
relay_domains = $Z
smtpd_relay_restrictions = permit_auth_destination, reject
relay_transport = discard:accepted and discarded by the mxready interop tier
default_transport = discard:accepted and discarded by the mxready interop tier
biff = no
# No DNS or reverse lookups of clients: the tier never queries a resolver.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
# Logs to a file of our own (through postlogd), not to syslog.
maillog_file = $PF_VAR/log/postfix.log
maillog_file_prefixes = $PF_VAR/log
# TLS defaults for every smtpd service; master.cf overrides them per address.
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
smtpd_tls_received_header = no
EOF

# The services every Postfix needs, then one smtpd per host.
cat >"$PF/master.cf" <<'EOF'
# service     type   private unpriv chroot wakeup maxproc command
postlog       unix-dgram n   -      n      -      1       postlogd
tlsmgr        unix   -       -      n      1000?  1       tlsmgr
cleanup       unix   n       -      n      -      0       cleanup
qmgr          unix   n       -      n      300    1       qmgr
rewrite       unix   -       -      n      -      -       trivial-rewrite
bounce        unix   -       -      n      -      0       bounce
defer         unix   -       -      n      -      0       bounce
trace         unix   -       -      n      -      0       bounce
verify        unix   -       -      n      -      1       verify
flush         unix   n       -      n      1000?  0       flush
proxymap      unix   -       -      n      -      -       proxymap
anvil         unix   -       -      n      -      1       anvil
scache        unix   -       -      n      -      1       scache
error         unix   -       -      n      -      -       error
discard       unix   -       -      n      -      -       discard
EOF
# postfix_options NAME CERT PROTOCOLS PROFILE SPECIAL: the -o lines of one host's smtpd.
postfix_options() {
  local name="$1" cert="$2" protocols="$3" profile="$4" special="$5"
  printf '  -o syslog_name=postfix/%s\n' "$name"
  printf '  -o myhostname=%s.mx.%s\n' "$name" "$Z"
  printf '  -o { smtpd_banner = $myhostname ESMTP Postfix (mxready interop %s) }\n' "$name"
  if [ "$protocols" = none ]; then
    printf '  -o smtpd_tls_security_level=none\n'
  else
    if [ "$special" = ccert ]; then
      # STARTTLS mandatory and a trusted client certificate required: without one, Postfix
      # completes the handshake and then answers 421 inside TLS.
      printf '  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_req_ccert=yes\n'
      printf '  -o smtpd_tls_CAfile=%s/root-ca.crt\n' "$PKI"
    else
      printf '  -o smtpd_tls_security_level=may\n'
    fi
    printf '  -o smtpd_tls_cert_file=%s/%s.crt\n  -o smtpd_tls_key_file=%s/%s.key\n' "$PKI" "$cert" "$PKI" "$cert"
    printf '  -o { smtpd_tls_protocols = %s }\n' "${protocols//,/, }"
    printf '  -o { smtpd_tls_mandatory_protocols = %s }\n' "${protocols//,/, }"
  fi
  if [ "$special" = reject ]; then
    # Client restrictions judged at connect time: the greeting itself is the refusal.
    printf '  -o smtpd_delay_reject=no\n  -o smtpd_client_restrictions=reject\n'
  fi
  if [ "$special" = camellia ]; then
    # Opportunistic TLS uses the "medium" list; TLS 1.3 is off for this host (its suites
    # are configured apart), so only Camellia suites remain, none of which Node offers.
    printf '  -o tls_medium_cipherlist=CAMELLIA\n'
  fi
  if [ "$profile" = legacy ]; then
    printf '  -o tls_config_file=%s/openssl-legacy.cnf\n' "$PF"
  fi
}

for line in "${INTEROP_POSTFIX_HOSTS[@]}"; do
  read -r name addr cert protocols profile special <<<"$line"
  {
    printf '\n# %s\n' "$name"
    if [ "$special" = postscreen ]; then
      # postscreen answers first with "220-" (the first line of a multi-line greeting),
      # waits 2 s, and drops a client that talks before the rest; then it hands the
      # connection to the smtpd below, which sends the final "220 ". No allow-list (our
      # client is in mynetworks) and no cache, so every session gets the same greeting.
      printf '%s:smtp inet n - n - 1 postscreen\n' "$addr"
      printf '  -o syslog_name=postfix/%s\n  -o myhostname=%s.mx.%s\n' "$name" "$name" "$Z"
      printf '  -o { smtpd_banner = $myhostname ESMTP Postfix (mxready interop %s) }\n' "$name"
      printf '  -o postscreen_access_list=\n  -o postscreen_blacklist_action=ignore\n'
      printf '  -o postscreen_greet_action=drop\n  -o postscreen_greet_wait=2s\n'
      printf '  -o postscreen_cache_map=\n'
      printf '  -o smtpd_service_name=%s-smtpd\n' "$name"
      printf '%s-smtpd pass - - n - - smtpd\n' "$name"
    else
      printf '%s:smtp inet n - n - - smtpd\n' "$addr"
    fi
    postfix_options "$name" "$cert" "$protocols" "$profile" "$special"
    if [ "$special" = ipv6 ]; then
      printf '[%s]:smtp inet n - n - - smtpd\n' "$INTEROP_IPV6_ADDR"
      postfix_options "$name" "$cert" "$protocols" "$profile" "$special"
    fi
  } >>"$PF/master.cf"
done

log "checking and starting Postfix ($PF)"
postfix -c "$PF" check >"$PF/check.log" 2>&1 || { cat "$PF/check.log" >&2; die "postfix check failed"; }
postfix -c "$PF" start >"$PF/start.log" 2>&1 || { cat "$PF/start.log" >&2; die "postfix start failed (see $PF_VAR/log/postfix.log)"; }
for line in "${INTEROP_POSTFIX_HOSTS[@]}"; do
  read -r name addr _ _ _ special <<<"$line"
  wait_listening "$addr" 25 tcp "Postfix ($name)"
  [ "$special" = ipv6 ] && wait_listening "[$INTEROP_IPV6_ADDR]" 25 tcp "Postfix ($name, IPv6)"
done

# ---------------------------------------------------------------------------
# 5. Exim (GnuTLS): one daemon, every Exim address; per-address certificate, GnuTLS
#    priority string and greeting, chosen from the address the client connected to.

EX="$INTEROP_STATE/exim"
mkdir -p "$EX/spool" "$EX/log"
chown -R "$INTEROP_EXIM_USER:$INTEROP_EXIM_USER" "$EX/spool" "$EX/log"

interfaces=()
: >"$EX/certificates"
: >"$EX/keys"
: >"$EX/priorities"
: >"$EX/hostnames"
starttls_off=()
ccert=()
banner_expr='$smtp_active_hostname ESMTP Exim $version_number (mxready interop)'
for line in "${INTEROP_EXIM_HOSTS[@]}"; do
  read -r name addr cert priority special <<<"$line"
  interfaces+=("$addr")
  printf '%s: %s.mx.%s\n' "$addr" "$name" "$Z" >>"$EX/hostnames"
  if [ "$priority" = none ]; then
    starttls_off+=("$addr")
  else
    # "missing": a certificate file that does not exist. Exim loads it only when a client
    # says STARTTLS, fails, and answers 454.
    [ "$cert" = missing ] && cert="does-not-exist"
    printf '%s: %s/%s.crt\n' "$addr" "$PKI" "$cert" >>"$EX/certificates"
    printf '%s: %s/%s.key\n' "$addr" "$PKI" "$cert" >>"$EX/keys"
    printf '%s: %s\n' "$addr" "$priority" >>"$EX/priorities"
  fi
  [ "$special" = ccert ] && ccert+=("$addr")
  if [ "$special" = multiline ]; then
    # A three-line 220 greeting: Exim turns each \n into a continuation line (220-).
    banner_expr="\${if eq{\$received_ip_address}{$addr}{$name.mx.$Z ESMTP Exim \$version_number (mxready interop)\\nThis greeting has three lines, as RFC 5321 allows.\\nmxready must read all of them before EHLO.}{$banner_expr}}"
  fi
done

cat >"$EX/exim.conf" <<EOF
# Exim for the interop tier (GnuTLS build from Debian, unpacked, run with -C).
# It accepts mail for the zone (the enforcement suite's sender delivers to it) and
# routes none of it; every other RCPT is refused. No DNS lookups of any kind.
primary_hostname = exim.mx.$Z
local_interfaces = <; $(printf '%s.25 ; ' "${interfaces[@]}" | sed 's/ ; $//')
daemon_smtp_ports = 25
smtp_active_hostname = \${lookup{\$received_ip_address}lsearch{$EX/hostnames}{\$value}{\$primary_hostname}}
smtp_banner = $banner_expr
spool_directory = $EX/spool
log_file_path = $EX/log/%slog
pid_file_path = $EX/exim.pid
keep_environment =
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_rcpt
acl_smtp_mail = acl_mail
# STARTTLS everywhere but on the addresses whose host has none.
tls_advertise_hosts = \${if match_ip{\$received_ip_address}{<; $(IFS=';'; echo "${starttls_off[*]:-0.0.0.0}")}{}{*}}
tls_certificate = \${lookup{\$received_ip_address}lsearch{$EX/certificates}}
tls_privatekey = \${lookup{\$received_ip_address}lsearch{$EX/keys}}
tls_require_ciphers = \${lookup{\$received_ip_address}lsearch{$EX/priorities}{\$value}{NORMAL}}
# A client certificate required in the handshake on the "ccert" addresses.
tls_verify_certificates = $PKI/root-ca.crt
tls_verify_hosts = \${if match_ip{\$received_ip_address}{<; $(IFS=';'; echo "${ccert[*]:-0.0.0.0}")}{*}{}}
# +incoming_interface: the address each connection came in on (I=[127.0.25.31]:25), so
# the enumeration suite can count the connections each host received.
log_selector = +tls_cipher +tls_peerdn +received_recipients +smtp_connection +incoming_interface
# Exim refuses connections past 20 at once by default; nmap's ssl-enum-ciphers tests its
# versions in parallel and the Exim children outlive its connections for a moment.
smtp_accept_max = 200

queue_only = true

begin acl
acl_mail:
  accept
acl_rcpt:
  accept domains = *.$Z
  deny message = mxready interop accepts mail for its own zone only
EOF
chmod 644 "$EX/exim.conf" "$EX/hostnames" "$EX/certificates" "$EX/keys" "$EX/priorities"

log "checking and starting Exim ($EX)"
"$INTEROP_EXIM_BIN" -C "$EX/exim.conf" -bV >"$EX/check.log" 2>&1 || { cat "$EX/check.log" >&2; die "Exim rejected $EX/exim.conf"; }
"$INTEROP_EXIM_BIN" -C "$EX/exim.conf" -bd >"$EX/start.log" 2>&1 || { cat "$EX/start.log" >&2; die "Exim did not start"; }
for line in "${INTEROP_EXIM_HOSTS[@]}"; do
  read -r name addr _ <<<"$line"
  wait_listening "$addr" 25 tcp "Exim ($name)"
done

# ---------------------------------------------------------------------------
# 6. What the test needs to know.

cat >"$INTEROP_STATE/interop.env" <<EOF
MXREADY_INTEROP_STATE=$INTEROP_STATE
MXREADY_INTEROP_RESOLVER=$INTEROP_DNS_ADDR:$INTEROP_DNS_PORT
MXREADY_INTEROP_VALIDATOR=$INTEROP_VALIDATOR_ADDR
MXREADY_INTEROP_NGINX=$NGX
MXREADY_INTEROP_CA_FILE=$PKI/root-ca.crt
MXREADY_INTEROP_ZONE=$Z
MXREADY_INTEROP_POSTFIX_CONF=$PF
MXREADY_INTEROP_EXIM_BIN=$INTEROP_EXIM_BIN
MXREADY_INTEROP_HOSTS=$( { for line in "${INTEROP_POSTFIX_HOSTS[@]}"; do read -r name _ _ _ _ special <<<"$line"; printf '%s:%s,' "$name" "$special"; done; for line in "${INTEROP_EXIM_HOSTS[@]}"; do read -r name _ _ _ special <<<"$line"; printf '%s:%s,' "$name" "$special"; done; } | sed 's/,$//')
EOF
log "up: nsd $INTEROP_DNS_ADDR:$INTEROP_DNS_PORT, Unbound $INTEROP_VALIDATOR_ADDR:53, nginx $INTEROP_POLICY_ADDR:443, Postfix ${#INTEROP_POSTFIX_HOSTS[@]} hosts, Exim ${#INTEROP_EXIM_HOSTS[@]} hosts (state in $INTEROP_STATE)"
