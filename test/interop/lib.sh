# test/interop/lib.sh — shared settings and helpers of the interop tier's scripts.
# Sourced by setup.sh, teardown.sh and run.sh; it defines things and runs nothing.
#
# Everything the tier starts binds to 127.0.0.0/8 only:
#   127.0.53.1:53        nsd, authoritative for the zone interop.test (DNSSEC-signed) and its children
#   127.0.53.2:53        Unbound, a validating resolver for interop.test (its DS as trust anchor)
#   127.0.25.11 .. .27   Postfix, one smtpd (or postscreen) service per address (port 25),
#   [::1]:25             and one on IPv6 loopback (pf-dual)
#   127.0.25.41 .. .46   Postfix hosts with TLSA records (DANE)
#   127.0.44.1:443       nginx, the MTA-STS policy hosts (one server per policy, by SNI)
#   127.0.25.31 .. .39   Exim (unpacked beside Postfix), one daemon on all its addresses
# test/interop/README.md describes each host and what mxready should make of it.

# The state folder: certificates, configurations, spools, logs and pid files.
# Everything the tier writes outside the package manager's own files lives here.
INTEROP_STATE="${MXREADY_INTEROP_STATE:-/tmp/mxready-interop}"
# A marker that says "this folder is ours"; teardown and setup refuse to wipe a folder without it.
INTEROP_MARKER="$INTEROP_STATE/.mxready-interop"

INTEROP_ZONE="interop.test"
INTEROP_DNS_ADDR="127.0.53.1"
INTEROP_DNS_PORT="53"
# Unbound, validating (port 53: resolv.conf, which posttls-finger reads, cannot name a port).
INTEROP_VALIDATOR_ADDR="127.0.53.2"
# nginx serving MTA-STS policies on port 443; and an address where nothing listens (a
# policy host that cannot be reached).
INTEROP_POLICY_ADDR="127.0.44.1"
INTEROP_NOTHING_ADDR="127.0.44.9"

# The MTA-STS domains (RFC 8461), each with pf-modern as its MX: domain label, then what
# https://mta-sts.DOMAIN/.well-known/mta-sts.txt serves (setup.sh writes the policies):
#   enforce   mode enforce, mx pf-modern.mx.interop.test (and a valid TLS-RPT record)
#   testing   mode testing, mx *.mx.interop.test
#   mismatch  mode enforce, mx mail.elsewhere.test
#   redirect  a 301 to sts-enforce's policy
#   large     a 100 KiB policy
#   down      the policy host's address has no listener
#   bogus     the policy host is a CNAME into the bogus child zone
#   dane      MX pf-dane-ee (DANE), mode enforce, mx pf-dane-ee.mx.interop.test: DANE first
INTEROP_STS=(sts-enforce sts-testing sts-mismatch sts-redirect sts-large sts-down sts-bogus sts-dane)
# The one IPv6 address of the tier (a "special ipv6" Postfix host listens there too).
INTEROP_IPV6_ADDR="::1"

# Where the unpacked Exim lives (apt-get download + dpkg -x; never installed with dpkg -i,
# because exim4-daemon-light and postfix conflict on Debian).
INTEROP_EXIM_ROOT="$INTEROP_STATE/exim-pkg"
INTEROP_EXIM_BIN="$INTEROP_EXIM_ROOT/usr/sbin/exim4"
# Exim's Debian build has its run-time user compiled in.
INTEROP_EXIM_USER="Debian-exim"

# Each MX host NAME is NAME.mx.interop.test in the zone, and the domain NAME.interop.test
# has it as its only MX.
#
# The Postfix hosts: name, address, certificate, TLS protocols, OpenSSL profile, special.
#   certificate: a file pair under $INTEROP_STATE/pki (NAME.crt with its chain, NAME.key), or "none"
#   protocols:   Postfix's smtpd_tls_protocols syntax ("none" = no STARTTLS at all)
#   profile:     "default" = Debian's OpenSSL settings (security level 2);
#                "legacy"  = an OpenSSL config at security level 0, which TLS 1.0/1.1 and
#                            an RSA-1024 key need with OpenSSL 3
#   special:     "-"; "postscreen" = postscreen in front: "220-" at once, the final "220 "
#                from smtpd 2 s later, and a client that speaks before it is dropped;
#                "ccert" = STARTTLS required and a client certificate too: 421 inside TLS;
#                "camellia" = only Camellia ciphers, which Node never offers: no shared cipher;
#                "ipv6" = the same smtpd on [::1]:25 too, and an AAAA record beside the A;
#                "reject" = every client refused at once: a 554 greeting instead of 220
INTEROP_POSTFIX_HOSTS=(
  # name          address       certificate   protocols              profile  special
  "pf-modern      127.0.25.11   pf-modern     >=TLSv1.2              default  -"
  "pf-tls12       127.0.25.12   pf-tls12      >=TLSv1.2,<=TLSv1.2    default  -"
  "pf-tls11       127.0.25.13   pf-tls11      >=TLSv1,<=TLSv1.1      legacy   -"
  "pf-tls10       127.0.25.14   pf-tls10      >=TLSv1,<=TLSv1        legacy   -"
  "pf-plain       127.0.25.15   none          none                   default  -"
  "pf-selfsigned  127.0.25.16   pf-selfsigned >=TLSv1.2              default  -"
  "pf-expired     127.0.25.17   pf-expired    >=TLSv1.2              default  -"
  "pf-wrongname   127.0.25.18   pf-wrongname  >=TLSv1.2              default  -"
  "pf-rsa1024     127.0.25.19   pf-rsa1024    >=TLSv1.2              legacy   -"
  "pf-ecdsa       127.0.25.20   pf-ecdsa      >=TLSv1.2              default  -"
  "pf-future      127.0.25.21   pf-future     >=TLSv1.2              default  -"
  "pf-chain       127.0.25.22   pf-chain      >=TLSv1.2              default  -"
  "pf-slow        127.0.25.23   pf-slow       >=TLSv1.2              default  postscreen"
  "pf-ccert       127.0.25.24   pf-ccert      >=TLSv1.2              default  ccert"
  "pf-nocipher    127.0.25.25   pf-nocipher   >=TLSv1.2,<=TLSv1.2    default  camellia"
  "pf-dual        127.0.25.26   pf-dual       >=TLSv1.2              default  ipv6"
  "pf-reject      127.0.25.27   pf-reject     >=TLSv1.2              default  reject"
  # DANE (RFC 7672): the TLSA records each one gets are in INTEROP_DANE below.
  "pf-dane-ee     127.0.25.41   pf-dane-ee    >=TLSv1.2              default  -"
  "pf-dane-bad    127.0.25.42   pf-dane-bad   >=TLSv1.2              default  -"
  "pf-dane-ta     127.0.25.43   pf-dane-ta    >=TLSv1.2              default  -"
  "pf-dane-pkix   127.0.25.44   pf-dane-pkix  >=TLSv1.2              default  -"
  "pf-dane-insecure 127.0.25.45 pf-dane-insecure >=TLSv1.2           default  -"
  "pf-dane-bogus  127.0.25.46   pf-dane-bogus >=TLSv1.2              default  -"
)

# The TLSA records of the DANE hosts, at _25._tcp.NAME.mx.interop.test:
#   host, then "USAGE SELECTOR MATCHING OF" records ("OF": leaf = the host's own certificate,
#   issuing = the issuing CA it sends after its leaf, stale = a key it does not have), and
#   where the records live: "signed" (the signed zone) or "unsigned" (an unsigned child zone
#   _tcp.NAME.mx.interop.test, delegated without DS: the host's address is secure, its TLSA not).
# pf-dane-bogus has none: its name in the bogus child zone (mx.bogus.interop.test) fails
# validation, and so does the domain bogus.interop.test.
INTEROP_DANE=(
  "pf-dane-ee        signed    3-1-1-leaf"
  "pf-dane-bad       signed    3-1-1-stale"
  "pf-dane-ta        signed    2-0-1-issuing"
  "pf-dane-pkix      signed    1-1-1-leaf"
  "pf-dane-insecure  unsigned  3-1-1-leaf"
)

# The Exim hosts: name, address, certificate, GnuTLS priority string, special.
#   certificate: as above, or "missing" (a file that does not exist: STARTTLS is advertised,
#                and answered 454 because TLS cannot start)
#   priority:    Exim's tls_require_ciphers (a GnuTLS priority string), "none" = no STARTTLS
#   special:     "-"; "multiline" = a three-line 220 greeting;
#                "ccert" = a client certificate required in the handshake (GnuTLS)
INTEROP_EXIM_HOSTS=(
  # name        address       certificate  priority                                    special
  "ex-modern    127.0.25.31   ex-modern    NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2  -"
  "ex-tls12     127.0.25.32   ex-tls12     NORMAL:-VERS-ALL:+VERS-TLS1.2               -"
  "ex-banner    127.0.25.33   ex-banner    NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2  multiline"
  "ex-ecdsa     127.0.25.34   ex-ecdsa     NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2  -"
  "ex-plain     127.0.25.35   none         none                                        -"
  "ex-tls10     127.0.25.36   ex-tls10     NORMAL:-VERS-ALL:+VERS-TLS1.0               -"
  "ex-ccert     127.0.25.37   ex-ccert     NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2  ccert"
  "ex-454       127.0.25.38   missing      NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2  -"
  "ex-rsakx     127.0.25.39   ex-rsakx     NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA  -"
)

# ---------------------------------------------------------------------------
# Helpers

log() { printf 'interop: %s\n' "$*" >&2; }
die() {
  printf 'interop: FAILED: %s\n' "$*" >&2
  exit 1
}

# is_listening ADDR PORT [tcp|udp]: whether something listens there (from ss, no connection made).
is_listening() {
  local addr="$1" port="$2" proto="${3:-tcp}" flag="-ltn"
  [ "$proto" = udp ] && flag="-lun"
  local out
  out="$(ss -H "$flag" "src $addr" "sport = :$port" 2>/dev/null)" || return 1
  [ -n "$out" ]
}

# wildcard_listener PORT [tcp|udp]: whether something listens on PORT on every address
# (0.0.0.0, *, [::]), which would take that port on our loopback addresses too.
wildcard_listener() {
  local port="$1" proto="${2:-tcp}" flag="-ltn" out
  [ "$proto" = udp ] && flag="-lun"
  out="$(ss -H "$flag" "sport = :$port" 2>/dev/null)" || return 1
  [[ "$out" =~ (0\.0\.0\.0|\*|\[::\]):$port[[:space:]] ]]
}

# wait_listening ADDR PORT PROTO WHAT: waits (at most 20 s) until ADDR:PORT listens, else dies.
wait_listening() {
  local addr="$1" port="$2" proto="$3" what="$4" i
  for i in $(seq 1 100); do
    is_listening "$addr" "$port" "$proto" && return 0
    sleep 0.2
  done
  die "$what does not listen on $addr:$port/$proto after 20 s"
}

# pid_alive PIDFILE PATTERN: prints the pid from PIDFILE when that process is alive and its
# command line contains PATTERN (so a recycled pid is never mistaken for ours).
pid_alive() {
  local file="$1" pattern="$2" pid cmdline
  [ -r "$file" ] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [ -n "$pid" ] && [ "${#pid}" -le 10 ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$pattern"* ]] || return 1
  printf '%s' "$pid"
}

# stop_pidfile PIDFILE PATTERN WHAT: TERM, then (after 10 s) KILL, the process PIDFILE names,
# only if it is ours (pid_alive). Quiet when there is nothing to stop.
stop_pidfile() {
  local file="$1" pattern="$2" what="$3" pid i
  pid="$(pid_alive "$file" "$pattern")" || {
    rm -f "$file"
    return 0
  }
  log "stopping $what (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$what (pid $pid) ignored TERM for 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}
