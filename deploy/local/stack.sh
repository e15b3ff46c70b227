#!/usr/bin/env bash
# Local journalwire dependencies: Kafka (KRaft), private Dovecot POP3, Redis, PostgreSQL.
# Usage: stack.sh start|stop|restart|status [--keep] [kafka|dovecot|redis|postgres ...]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=env.sh
. "$HERE/env.sh"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="${LOG4J_VERSION:-2.25.2}"
SLF4J_VERSION="${SLF4J_VERSION:-2.0.17}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
START_TIMEOUT="${JW_START_TIMEOUT:-120}"

KDIR="$JW_RUN_DIR/kafka"
KPAT="kafka.Kafka $KDIR/server.properties" # identifies our broker's command line
DDIR="$JW_RUN_DIR/dovecot"
DCONF="$DDIR/dovecot.conf"
DPAT="dovecot -c $DCONF"
ALL=(kafka dovecot redis postgres)

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# fail_log FILE MSG...: report MSG with the tail of FILE and exit
fail_log() {
  local f=$1; shift
  log "ERROR: $*"
  if [[ -f $f ]]; then log "--- last 40 lines of $f ---"; tail -n 40 "$f" >&2; fi
  exit 1
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
cmdline_has() { # PID STRING
  local -a a
  mapfile -d '' a 2>/dev/null <"/proc/$1/cmdline" || return 1
  [[ "${a[*]}" == *"$2"* ]]
}
service_status() { # NAME WHERE PROBE...: NAME's `status` line; up (0) when PROBE passes, else down (1)
  if "${@:3}"; then printf '%-9s up    %s\n' "$1" "$2"; else printf '%-9s down  %s\n' "$1" "$2"; return 1; fi
}

daemon_status() { # NAME PIDFILE PATTERN WHERE DETAILS PROBE...: service_status for a daemon of ours, with its pid
  local pid
  if pid=$(our_pid "$2" "$3") && "${@:6}"; then
    service_status "$1" "$4 (pid $pid, $5)" true
  else
    service_status "$1" "$4" false
  fi
}

our_pid() { # PIDFILE PATTERN: print the pid of our running process (pid file first, then /proc scan)
  local p d
  if [[ -s $1 ]]; then
    p=$(<"$1")
    if cmdline_has "$p" "$2"; then echo "$p"; return 0; fi
  fi
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [[ $p != "$$" ]] && cmdline_has "$p" "$2" && { echo "$p"; return 0; }
  done
  return 1
}
alive() { # PID: running and not a zombie
  local s
  { s=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  s=${s##*) }
  [[ ${s%% *} != Z ]]
}
stop_pid() { # PID NAME: SIGTERM, wait up to 30 s, then SIGKILL
  local i
  kill -TERM "$1" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do alive "$1" || return 0; sleep 0.1; done
  log "$2 (pid $1) ignored SIGTERM for 30 s, sending SIGKILL"
  kill -KILL "$1" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$1" || return 0; sleep 0.1; done
  die "$2 (pid $1) does not die"
}
wait_ready() { # TIMEOUT LOGFILE NAME CHECK...: poll CHECK until it succeeds
  local deadline=$((SECONDS + $1)) t=$1 logf=$2 name=$3
  shift 3
  until "$@"; do
    ((SECONDS < deadline)) || fail_log "$logf" "$name not ready after ${t}s"
    sleep 0.25
  done
}
port_free() { # PORT NAME
  if tcp_open 127.0.0.1 "$1"; then die "$2: 127.0.0.1:$1 is already in use by another process (see: ss -ltnp)"; fi
}
apt_install() {
  [[ $(id -u) == 0 ]] || die "need root to apt-get install $*"
  local alog="$JW_RUN_DIR/apt.log"
  log "installing $* with apt-get (log: $alog)"
  if [[ -z ${JW_APT_UPDATED:-} ]]; then
    apt-get update -q >>"$alog" 2>&1 || fail_log "$alog" "apt-get update failed"
    JW_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$alog" 2>&1 ||
    fail_log "$alog" "apt-get install $* failed"
}

# ---------------------------------------------------------------- kafka
kafka_classpath() { # prints the broker classpath; resolves it with mvn once and caches it
  local dir="$JW_CACHE_DIR/kafka/$KAFKA_VERSION-log4j-$LOG4J_VERSION" cp jar
  local -a jars
  if [[ -s $dir/classpath.txt ]]; then
    cp=$(<"$dir/classpath.txt")
    IFS=: read -ra jars <<<"$cp"
    for jar in "${jars[@]}"; do [[ -f $jar ]] || { cp=; break; }; done
    if [[ -n $cp ]]; then printf '%s' "$cp"; return; fi
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "$dir"
  cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.journalwire</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions>
    </dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  log "kafka: resolving Kafka $KAFKA_VERSION from Maven Central (one-time, cached in $dir)"
  mvn -B -q -f "$dir/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$dir/classpath.tmp" >"$dir/mvn.log" 2>&1 ||
    fail_log "$dir/mvn.log" "mvn could not resolve Kafka $KAFKA_VERSION (try KAFKA_VERSION=4.1.0)"
  mv "$dir/classpath.tmp" "$dir/classpath.txt"
  cat "$dir/classpath.txt"
}

kafka_write_config() {
  cat >"$KDIR/server.properties" <<EOF
# generated by deploy/local/stack.sh
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_SSL_USER="$(<"$KAFKA_SASL_SSL_PASSWORD_FILE")";
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$KDIR/sasl/keystore.pem
log.dirs=$KDIR/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$KDIR/log4j2.properties" <<EOF
# generated by deploy/local/stack.sh
appender.file.type=RollingFile
appender.file.name=file
appender.file.fileName=$KDIR/server.log
appender.file.filePattern=$KDIR/server.log.%i
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
appender.file.policies.type=Policies
appender.file.policies.size.type=SizeBasedTriggeringPolicy
appender.file.policies.size.size=50MB
appender.file.strategy.type=DefaultRolloverStrategy
appender.file.strategy.max=2
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.request.name=kafka.request.logger
logger.request.level=WARN
logger.state.name=state.change.logger
logger.state.level=WARN
logger.cleaner.name=kafka.log.LogCleaner
logger.cleaner.level=WARN
logger.clients.name=org.apache.kafka.clients
logger.clients.level=WARN
logger.config.name=org.apache.kafka.common.config.AbstractConfig
logger.config.level=WARN
EOF
}

kafka_sasl_prepare() { # the SASL_SSL listener's certificate (the test CA's) and its user's password, made once
  mkdir -p "$DDIR" "$KDIR/sasl"
  dovecot_tls
  cat "$DDIR/tls/server.key" "$DDIR/tls/server.pem" >"$KDIR/sasl/keystore.pem.new"
  chmod 600 "$KDIR/sasl/keystore.pem.new"
  mv "$KDIR/sasl/keystore.pem.new" "$KDIR/sasl/keystore.pem"
  if [[ ! -s $KAFKA_SASL_SSL_PASSWORD_FILE ]]; then
    mkdir -p "$(dirname "$KAFKA_SASL_SSL_PASSWORD_FILE")"
    (umask 077 && openssl rand -hex 16 >"$KAFKA_SASL_SSL_PASSWORD_FILE")
  fi
}

kafka_scram_users() { # ARGS for kafka-storage format: SCRAM credentials of the test user
  local pw m
  pw=$(<"$KAFKA_SASL_SSL_PASSWORD_FILE")
  for m in SCRAM-SHA-512 SCRAM-SHA-256; do printf -- '--add-scram\n%s=[name=%s,password=%s]\n' "$m" "$KAFKA_SASL_SSL_USER" "$pw"; done
}

kafka_ready() { # PID LOG_OFFSET
  if ! alive "$1"; then
    log "--- last 20 lines of $KDIR/kafka.out ---"
    tail -n 20 "$KDIR/kafka.out" >&2
    fail_log "$KDIR/server.log" "kafka exited during start-up"
  fi
  local off=$2
  (($(stat -c %s "$KDIR/server.log" 2>/dev/null || echo 0) >= off)) || off=0 # log was rolled over
  tcp_open 127.0.0.1 "$KAFKA_PORT" && tcp_open 127.0.0.1 "$KAFKA_SASL_SSL_PORT" &&
    grep -q 'Kafka Server started' < <(tail -c +"$((off + 1))" "$KDIR/server.log" 2>/dev/null)
}

kafka_start() {
  local pid cp off
  if pid=$(our_pid "$KDIR/kafka.pid" "$KPAT"); then
    if [[ ! -f $KDIR/data/meta.properties ]]; then
      log "kafka: broker pid $pid lost its data dir (run dir removed?), restarting it"
      stop_pid "$pid" kafka
    elif ! tcp_open 127.0.0.1 "$KAFKA_SASL_SSL_PORT"; then
      log "kafka: broker pid $pid predates the SASL_SSL listener, restarting it (data kept)"
      stop_pid "$pid" kafka
    else
      log "kafka: already running (pid $pid)"
      return
    fi
  fi
  command -v java >/dev/null || die "java not found (apt-get install openjdk-17-jre-headless)"
  cp=$(kafka_classpath)
  mkdir -p "$KDIR"
  kafka_sasl_prepare
  kafka_write_config
  port_free "$KAFKA_PORT" kafka
  port_free "$KAFKA_SASL_SSL_PORT" kafka-sasl-ssl
  port_free "$KAFKA_CONTROLLER_PORT" kafka-controller
  if [[ ! -f $KDIR/data/meta.properties ]]; then
    rm -rf "$KDIR/data"
    log "kafka: formatting $KDIR/data (KRaft, standalone controller, SCRAM user $KAFKA_SASL_SSL_USER)"
    local -a scram
    mapfile -t scram < <(kafka_scram_users)
    java -Xmx256m -Dlog4j2.configurationFile="$KDIR/log4j2.properties" -cp "$cp" kafka.tools.StorageTool \
      format --standalone --cluster-id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)" \
      "${scram[@]}" -c "$KDIR/server.properties" >>"$KDIR/kafka.out" 2>&1 ||
      fail_log "$KDIR/kafka.out" "kafka storage format failed"
    touch "$KDIR/data/.scram-users"
  fi
  off=$(stat -c %s "$KDIR/server.log" 2>/dev/null || echo 0)
  log "kafka: starting broker on $KAFKA_BROKERS"
  rm -f "$KDIR/kafka.pid"
  echo "=== $(date -Is) starting kafka.Kafka" >>"$KDIR/kafka.out"
  # shellcheck disable=SC2016,SC2086 # $0 is expanded by the inner bash; heap opts are word-split on purpose
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KDIR/kafka.pid" \
    java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KDIR/log4j2.properties" -cp "$cp" \
    kafka.Kafka "$KDIR/server.properties" </dev/null >>"$KDIR/kafka.out" 2>&1 &
  for _ in {1..50}; do [[ -s $KDIR/kafka.pid ]] && break; sleep 0.1; done
  pid=$(<"$KDIR/kafka.pid") || fail_log "$KDIR/kafka.out" "kafka did not start"
  wait_ready "$START_TIMEOUT" "$KDIR/server.log" kafka kafka_ready "$pid" "$off"
  if [[ ! -f $KDIR/data/.scram-users ]]; then # formatted before the SASL_SSL listener existed
    log "kafka: adding SCRAM user $KAFKA_SASL_SSL_USER"
    local m pw
    pw=$(<"$KAFKA_SASL_SSL_PASSWORD_FILE")
    for m in SCRAM-SHA-512 SCRAM-SHA-256; do
      java -Xmx256m -Dlog4j2.configurationFile="$KDIR/log4j2.properties" -cp "$cp" kafka.admin.ConfigCommand \
        --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter --entity-type users --entity-name "$KAFKA_SASL_SSL_USER" \
        --add-config "$m=[password=$pw]" >>"$KDIR/kafka.out" 2>&1 || fail_log "$KDIR/kafka.out" "adding the SCRAM user failed"
    done
    touch "$KDIR/data/.scram-users"
  fi
}

kafka_tool() { # NAME|MAIN_CLASS ARGS...: run a Kafka CLI tool with the cached classpath
  local cls cp
  [[ $# -ge 1 ]] || usage
  case $1 in
    topics) cls=org.apache.kafka.tools.TopicCommand ;;
    console-producer) cls=org.apache.kafka.tools.ConsoleProducer ;;
    console-consumer) cls=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    consumer-groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    broker-api-versions) cls=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    *.*) cls=$1 ;;
    *) die "unknown kafka tool '$1' (topics, console-producer, console-consumer, consumer-groups, broker-api-versions or a main class)" ;;
  esac
  shift
  cp=$(kafka_classpath)
  if [[ ! -f $KDIR/tools-log4j2.properties ]]; then
    mkdir -p "$KDIR"
    printf '%s\n' appender.err.type=Console appender.err.name=err appender.err.target=SYSTEM_ERR \
      appender.err.layout.type=PatternLayout 'appender.err.layout.pattern=%p %m%n' \
      rootLogger.level=WARN rootLogger.appenderRef.err.ref=err >"$KDIR/tools-log4j2.properties.$$"
    mv "$KDIR/tools-log4j2.properties.$$" "$KDIR/tools-log4j2.properties"
  fi
  exec java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$KDIR/tools-log4j2.properties" \
    -cp "$cp" "$cls" "$@"
}

kafka_stop() { # [keep]
  local pid
  if pid=$(our_pid "$KDIR/kafka.pid" "$KPAT"); then
    log "kafka: stopping (pid $pid)"
    stop_pid "$pid" kafka
  fi
  rm -f "$KDIR/kafka.pid"
  if [[ ${1:-} == keep ]]; then return; fi
  [[ -d $KDIR/data ]] && log "kafka: wiping $KDIR/data (use --keep to keep it)"
  rm -rf "$KDIR/data"
}

kafka_status() {
  daemon_status kafka "$KDIR/kafka.pid" "$KPAT" "$KAFKA_BROKERS, SASL_SSL $KAFKA_SASL_SSL_BROKERS" \
    "controller 127.0.0.1:$KAFKA_CONTROLLER_PORT, log $KDIR/server.log" tcp_open 127.0.0.1 "$KAFKA_PORT"
}

# ---------------------------------------------------------------- dovecot
dovecot_install() {
  [[ -x /usr/sbin/dovecot && -x /usr/lib/dovecot/pop3 ]] && return
  apt_install dovecot-pop3d
  # the package may have started a system-wide instance on *:110/995; we only want our loopback one
  local pid
  if [[ -s /run/dovecot/master.pid ]] && pid=$(</run/dovecot/master.pid) && kill -0 "$pid" 2>/dev/null; then
    log "dovecot: stopping the system-wide instance started by the package (pid $pid)"
    stop_pid "$pid" dovecot-system
  fi
}

dovecot_tls() { # test CA + server cert (SAN localhost, 127.0.0.1 only), generated once
  local t="$DDIR/tls" tmp
  [[ -s $t/ca.pem && -s $t/server.pem && -s $t/server.key ]] && return
  command -v openssl >/dev/null || apt_install openssl
  log "dovecot: generating test CA and server certificate in $t"
  tmp=$(mktemp -d "$DDIR/tls.XXXXXX")
  ossl() { openssl "$@" >>"$tmp/openssl.log" 2>&1 || fail_log "$tmp/openssl.log" "openssl $1 failed"; }
  ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=journalwire local test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem"
  ossl req -new -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tmp/server.key" -out "$tmp/server.csr"
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tmp/ext.cnf"
  ossl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -days 825 \
    -set_serial "0x$(openssl rand -hex 8)" -extfile "$tmp/ext.cnf" -out "$tmp/server.pem"
  rm -f "$tmp/server.csr" "$tmp/ext.cnf" "$tmp/openssl.log"
  chmod 600 "$tmp/ca.key" "$tmp/server.key"
  chmod 755 "$tmp"
  rm -rf "$t"
  mv "$tmp" "$t"
}

dovecot_write_config() { # FILE
  cat >"$1" <<EOF
# generated by deploy/local/stack.sh - private journalwire POP3 instance
instance_name = journalwire
base_dir = $DDIR/run
state_dir = $DDIR/state
log_path = $DDIR/dovecot.log
info_log_path = $DDIR/dovecot.log
protocols = pop3
listen = 127.0.0.1, 127.0.0.2
ssl = yes
ssl_cert = <$DDIR/tls/server.pem
ssl_key = <$DDIR/tls/server.key
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# Tests refuse logins on purpose: no delay, and no auth penalty, which would slow every later login
# from 127.0.0.1 by 4-15 s depending on what ran before (login_trusted_networks does not lift it
# here). Without the listener, Dovecot's auth logs one error at start and applies no penalty.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DDIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DDIR/users
  default_fields = home=$DDIR/mail/%u
}
mail_uid = mail
mail_gid = mail
first_valid_uid = $(id -u mail)
mail_location = maildir:~/Maildir
mail_save_crlf = yes
mail_fsync = never
pop3_uidl_format = %g
default_process_limit = 200
protocol pop3 {
  mail_max_userip_connections = 50
}
service pop3-login {
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = $POP3S_PORT
    ssl = yes
  }
}
EOF
}

pop3_greets() ( # HOST PORT: plain POP3 greeting
  local line=
  exec 3<>"/dev/tcp/$1/$2" || exit 1
  IFS= read -r -t 3 line <&3 || true
  printf 'QUIT\r\n' >&3 || true
  [[ $line == '+OK'* ]]
) 2>/dev/null
pop3s_greets() { # HOST PORT: implicit-TLS greeting, certificate verified against our CA
  grep -q '^+OK' < <(printf 'QUIT\r\n' | timeout 5 openssl s_client -quiet -connect "$1:$2" \
    -CAfile "$DDIR/tls/ca.pem" -verify_return_error -verify_ip 127.0.0.1 2>/dev/null)
}
dovecot_ready() {
  pop3_greets 127.0.0.1 "$POP3_PORT" && pop3_greets 127.0.0.2 "$POP3_PORT" && pop3s_greets 127.0.0.1 "$POP3S_PORT"
}

dovecot_start() {
  local pid
  dovecot_install
  mkdir -p "$DDIR"/{run,state,mail,staging}
  dovecot_tls
  [[ -f $DDIR/users ]] || install -m 640 -g dovecot /dev/null "$DDIR/users"
  chown mail:mail "$DDIR/mail" "$DDIR/staging"
  dovecot_write_config "$DCONF.new"
  if pid=$(our_pid "$DDIR/run/master.pid" "$DPAT"); then
    if cmp -s "$DCONF.new" "$DCONF" && dovecot_ready; then
      rm -f "$DCONF.new"
      log "dovecot: already running (pid $pid)"
      return
    fi
    log "dovecot: configuration changed or not answering, restarting"
    stop_pid "$pid" dovecot
  fi
  mv "$DCONF.new" "$DCONF"
  port_free "$POP3_PORT" dovecot
  port_free "$POP3S_PORT" dovecot
  log "dovecot: starting POP3 on 127.0.0.1/127.0.0.2 ports $POP3_PORT (STLS) and $POP3S_PORT (TLS)"
  /usr/sbin/dovecot -c "$DCONF" 2>>"$DDIR/dovecot.log" || fail_log "$DDIR/dovecot.log" "dovecot failed to start"
  wait_ready 30 "$DDIR/dovecot.log" dovecot dovecot_ready
}

dovecot_stop() {
  local pid
  if pid=$(our_pid "$DDIR/run/master.pid" "$DPAT"); then
    log "dovecot: stopping (pid $pid)"
    stop_pid "$pid" dovecot
  fi
}

dovecot_status() {
  daemon_status dovecot "$DDIR/run/master.pid" "$DPAT" "pop3://$POP3_HOST:$POP3_PORT (STLS) pop3s://$POP3_HOST:$POP3S_PORT" \
    "CA $POP3_CA_FILE, log $DDIR/dovecot.log" pop3_greets 127.0.0.1 "$POP3_PORT"
}

# ---------------------------------------------------------------- redis
redis_private() { [[ $REDIS_PORT != 6379 ]]; }
redis_up() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
redis_start() {
  command -v redis-server >/dev/null || apt_install redis-server
  if redis_up; then log "redis: already running on :$REDIS_PORT"; return; fi
  local logf=/var/log/redis/ci.log
  if redis_private; then
    logf="$JW_RUN_DIR/redis/redis.log"
    mkdir -p "$JW_RUN_DIR/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir "$JW_RUN_DIR/redis" --logfile "$logf" --pidfile "$JW_RUN_DIR/redis/redis.pid"
  else
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile "$logf"
  fi
  wait_ready 20 "$logf" redis redis_up
}
redis_stop() {
  if redis_private && redis_up; then
    log "redis: stopping private instance on :$REDIS_PORT"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  elif ! redis_private; then
    log "redis: shared system instance on :6379 left running"
  fi
}
redis_status() { service_status redis "$REDIS_URL" redis_up; }

# ---------------------------------------------------------------- postgres
pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT"; }
db_name() { local n=${1##*/}; echo "${n%%\?*}"; }
postgres_start() {
  command -v pg_isready >/dev/null || die "PostgreSQL is not installed (apt-get install postgresql)"
  if ! pg_up; then
    local ver
    ver=$(basename "$(printf '%s\n' /etc/postgresql/* | sort -V | tail -n 1)")
    log "postgres: starting cluster $ver/main"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
      fail_log "/var/log/postgresql/postgresql-$ver-main.log" "postgres failed to start"
    wait_ready 30 "/var/log/postgresql/postgresql-$ver-main.log" postgres pg_up
  fi
  local db
  for db in "$(db_name "$DATABASE_URL")" "$(db_name "$TEST_DATABASE_URL")"; do
    if [[ $(psql -X -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") != 1 ]]; then
      log "postgres: creating database $db"
      createdb "$db"
    fi
  done
}
postgres_stop() { log "postgres: shared system instance left running"; }
postgres_status() { service_status postgres "postgres://$PGUSER@$PGHOST:$PGPORT" pg_up; }

# ---------------------------------------------------------------- main
# ---------------------------------------------------------------- chromium
# The web console's browser tests drive Debian's chromium (playwright-core never downloads one).
chromium_install() { [[ -x ${CHROMIUM_PATH:-/usr/bin/chromium} ]] || apt_install chromium; }

usage() {
  cat >&2 <<'EOF'
usage: stack.sh start|stop|restart|status [--keep] [kafka|dovecot|redis|postgres ...]
       stack.sh kafka-tool topics|console-producer|console-consumer|consumer-groups|broker-api-versions|MAIN_CLASS [ARGS...]
  start    start (or keep) services and wait until they answer; Kafka data is kept if already formatted
  stop     stop services; wipes Kafka's data dir unless --keep (shared redis/postgres are left running)
  restart  stop --keep + start (Kafka topics and offsets survive)
  status   one line per service; exit 1 if any requested service is down
EOF
  exit 2
}

status() {
  local s rc=0
  for s in "$@"; do "${s}_status" || rc=1; done
  return "$rc"
}

main() {
  # serialise start/stop/restart; `flock -o` keeps the lock fd away from the daemons we spawn
  if [[ ${1:-} =~ ^(start|stop|restart)$ && -z ${JW_STACK_LOCKED:-} ]]; then
    mkdir -p "$JW_RUN_DIR"
    JW_STACK_LOCKED=1 exec flock -o "$JW_RUN_DIR/.stack.lock" "${BASH_SOURCE[0]}" "$@"
  fi
  local cmd=${1:-} keep='' s
  local -a svc=()
  [[ $# -gt 0 ]] && shift
  if [[ $cmd == kafka-tool ]]; then kafka_tool "$@"; fi
  for s in "$@"; do
    case $s in
      --keep) keep=keep ;;
      kafka | dovecot | redis | postgres) svc+=("$s") ;;
      *) usage ;;
    esac
  done
  local everything=''
  ((${#svc[@]})) || { svc=("${ALL[@]}") && everything=yes; }
  mkdir -p "$JW_RUN_DIR"
  case $cmd in
    start)
      [[ -z $everything ]] || chromium_install
      for s in "${svc[@]}"; do "${s}_start"; done
      status "${svc[@]}"
      ;;
    stop)
      for s in "${svc[@]}"; do if [[ $s == kafka ]]; then kafka_stop "$keep"; else "${s}_stop"; fi; done
      ;;
    restart)
      for s in "${svc[@]}"; do if [[ $s == kafka ]]; then kafka_stop keep; else "${s}_stop"; fi; done
      for s in "${svc[@]}"; do "${s}_start"; done
      status "${svc[@]}"
      ;;
    status) status "${svc[@]}" ;;
    *) usage ;;
  esac
}

main "$@"
