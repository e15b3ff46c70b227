#!/usr/bin/env bash
# End-to-end smoke test of the running local stack; creates and removes its own mailbox and topic.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=env.sh
. "$HERE/env.sh"
S="$HERE/stack.sh"
M="$HERE/mailbox.sh"
user="selftest-$$@journalwire.test" pass="pw:$$" topic="selftest-$$"
tmp=$(mktemp -d)
cleanup() {
  "$M" delete "$user" >/dev/null 2>&1 || true
  "$S" kafka-tool topics --bootstrap-server "$KAFKA_BROKERS" --delete --topic "$topic" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; exit 1; }
pop3s() { # HOST [openssl args...]: one POP3S session fed from stdin
  local host=$1; shift
  openssl s_client -quiet -connect "$host:$POP3S_PORT" -CAfile "$POP3_CA_FILE" -verify_return_error "$@" 2>/dev/null
}

"$S" status

# POP3: a CRLF message with dot lines, a lone "." line and Latin-1 bytes must come back byte for byte
printf 'From: selftest@journalwire.test\r\nSubject: bytes\r\n\r\n.hello\r\n.\r\nLatin-1: \xe9\xfc\r\nend\r\n' >"$tmp/msg.eml"
"$M" create "$user" "$pass"
"$M" deliver "$user" "$tmp/msg.eml"
[[ $("$M" count "$user") == 1 ]] || fail "mailbox count"
printf 'USER %s\r\nPASS %s\r\nRETR 1\r\nQUIT\r\n' "$user" "$pass" | pop3s "$POP3_HOST" -verify_ip 127.0.0.1 >"$tmp/session" || true
perl -ne 'if ($in) { if ($_ eq ".\r\n") { $in = 0; next } s/^\.//; print } $in = 1 if /^\+OK \d+ octets/' \
  "$tmp/session" >"$tmp/retr"
if cmp -s "$tmp/msg.eml" "$tmp/retr"; then ok "pop3s $POP3_HOST:$POP3S_PORT RETR is byte-exact"; else fail "pop3s RETR differs"; fi
if printf 'USER %s\r\nPASS %s\r\nSTAT\r\nQUIT\r\n' "$user" "$pass" |
  openssl s_client -quiet -starttls pop3 -connect "$POP3_HOST:$POP3_PORT" -CAfile "$POP3_CA_FILE" \
    -verify_return_error -verify_hostname localhost 2>/dev/null | grep -q '^+OK 1 '; then
  ok "pop3 STLS $POP3_HOST:$POP3_PORT login"
else fail "pop3 STLS login"; fi
if printf 'QUIT\r\n' | pop3s 127.0.0.2 -verify_ip 127.0.0.2 >/dev/null; then
  fail "127.0.0.2 should fail hostname verification"
fi
ok "pop3s 127.0.0.2 rejected (certificate is for localhost/127.0.0.1 only)"

# Kafka: create a topic (auto-creation is off), produce and consume one record
"$S" kafka-tool topics --bootstrap-server "$KAFKA_BROKERS" --create --topic "$topic" \
  --partitions 1 --replication-factor 1 >/dev/null
echo "record-$$" | "$S" kafka-tool console-producer --bootstrap-server "$KAFKA_BROKERS" --topic "$topic"
if "$S" kafka-tool console-consumer --bootstrap-server "$KAFKA_BROKERS" --topic "$topic" --from-beginning \
  --max-messages 1 --timeout-ms 30000 2>/dev/null | grep -qx "record-$$"; then
  ok "kafka $KAFKA_BROKERS produce/consume"
else fail "kafka produce/consume"; fi

if [[ $(redis-cli -u "$REDIS_URL" ping) == PONG ]]; then ok "redis $REDIS_URL"; else fail "redis"; fi
if psql -X -q "$TEST_DATABASE_URL" -c 'SELECT 1' >/dev/null; then ok "postgres $TEST_DATABASE_URL"; else fail "postgres"; fi
echo "selftest passed"
