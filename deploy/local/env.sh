# shellcheck shell=bash
# Local journalwire stack defaults. Source it: `. deploy/local/env.sh`.
# Every variable keeps a value that is already set in the environment.

export JW_RUN_DIR="${JW_RUN_DIR:-/tmp/journalwire}"
export JW_CACHE_DIR="${JW_CACHE_DIR:-${HOME:-/root}/.cache/journalwire}"

export KAFKA_PORT="${KAFKA_PORT:-19092}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
# A second listener, SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) with the test CA's certificate.
export KAFKA_SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-$((KAFKA_PORT + 2))}"
export KAFKA_SASL_SSL_BROKERS="${KAFKA_SASL_SSL_BROKERS:-127.0.0.1:$KAFKA_SASL_SSL_PORT}"
export KAFKA_SASL_SSL_USER="${KAFKA_SASL_SSL_USER:-journalwire}"
export KAFKA_SASL_SSL_PASSWORD_FILE="${KAFKA_SASL_SSL_PASSWORD_FILE:-$JW_RUN_DIR/kafka/sasl/password}"
export KAFKA_SASL_SSL_CA_FILE="${KAFKA_SASL_SSL_CA_FILE:-$JW_RUN_DIR/dovecot/tls/ca.pem}"

export REDIS_PORT="${REDIS_PORT:-6379}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:$PGPORT/journalwire}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:$PGPORT/journalwire_test}"

export POP3_HOST="${POP3_HOST:-127.0.0.1}"
export POP3_PORT="${POP3_PORT:-11110}"
export POP3S_PORT="${POP3S_PORT:-11995}"
export POP3_CA_FILE="${POP3_CA_FILE:-$JW_RUN_DIR/dovecot/tls/ca.pem}"
