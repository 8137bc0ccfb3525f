#!/usr/bin/env bash
# The servers the integration tests and local runs need:
#   PostgreSQL 127.0.0.1:5432 (db `test`, trust auth)  – the machine's own server; started if it does not answer.
#   Redis      127.0.0.1:6379                           – the machine's own server; started if it does not answer.
#   Kafka      127.0.0.1:9092 (controller on :9093)     – Apache Kafka 3.9.1, single KRaft node, run from Maven Central
#                                                         jars cached in .cache/kafka/lib; log and data in .infra/.
#
# Usage: bash scripts/infra.sh up|down|status|clean|jars
#   up      idempotent: reuses whatever already answers, starts what does not, fails with a clear message otherwise.
#   down    stops the Kafka this checkout started (by pid, waits, verifies). PostgreSQL and Redis are machine
#           services shared with everything else on the box and are left running.
#   status  prints what answers.
#   clean   down, then deletes Kafka's data directory (the jar cache is kept).
#   jars    only makes sure the Kafka jars are cached in .cache/kafka/lib (Java and Maven installed if missing); starts
#           nothing. Used by `npm run chaos`, which runs a broker of its own from them.
#
# Environment (all optional): KAFKA_START_TIMEOUT (s, default 120), KAFKA_STOP_TIMEOUT (s, default 45),
#   KAFKA_HEAP_OPTS (default "-Xms256m -Xmx512m").
#
# shellcheck disable=SC2016 # the `bash -c '...'` probes expand their variables in the child shell, on purpose.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA_DIR="$ROOT/.infra"
KAFKA_VERSION="3.9.1"
KAFKA_SRC_DIR="$ROOT/scripts/kafka"
KAFKA_LIB_DIR="$ROOT/.cache/kafka/lib"
KAFKA_LIB_STAMP="$KAFKA_LIB_DIR/.complete"
KAFKA_CONF_DIR="$INFRA_DIR/kafka"
KAFKA_PROPS="$KAFKA_CONF_DIR/server.properties"
KAFKA_DATA_DIR="$INFRA_DIR/kafka-data"
KAFKA_LOG="$INFRA_DIR/kafka.log"
KAFKA_PID_FILE="$INFRA_DIR/kafka.pid"
# Fixed so that a wiped data directory is formatted the same way; any 16-byte base64url id works.
KAFKA_CLUSTER_ID="TNG-IeclRoixcQBQunWCPw"
KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-45}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

log() { printf '[infra] %s\n' "$*" >&2; }
die() {
  printf '[infra] ERROR: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------------------------
# Protocol probes. Pure bash (/dev/tcp) so they work before any client is installed, and each one speaks the
# server's protocol rather than only opening the port: something else squatting on a port is not "up".
# ---------------------------------------------------------------------------------------------------------------

# PostgreSQL: an SSLRequest packet is answered with a single 'S' or 'N' byte by every PostgreSQL server.
pg_answers() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x08\x04\xd2\x16\x2f" >&3
    reply="$(head -c 1 <&3)"
    [[ $reply == S || $reply == N ]]
  ' "$PG_HOST" "$PG_PORT" 2>/dev/null
}

# Redis: PING must be answered with +PONG (an auth-protected or foreign server does not count).
redis_answers() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "PING\r\n" >&3
    IFS= read -r line <&3
    [[ $line == "+PONG"* ]]
  ' "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null
}

# Kafka: an ApiVersions v0 request (api key 18, correlation id 7, client id "ci") must come back with
# correlation id 7 and error code 0. Layout: int32 size | int16 key | int16 version | int32 correlation | string client.
kafka_answers() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x07\x00\x02ci" >&3
    reply="$(head -c 10 <&3 | od -An -tx1 | tr -d " \n")"
    [[ ${reply:8:8} == 00000007 && ${reply:16:4} == 0000 ]]
  ' "$KAFKA_HOST" "$KAFKA_PORT" 2>/dev/null
}

# Whether anything at all accepts connections on a port (used to tell "busy with something else" from "free").
port_open() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# wait_until SECONDS PROBE: polls PROBE every half second.
wait_until() {
  local deadline=$((SECONDS + $1)) probe="$2"
  until "$probe"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------------------------
# Machine prerequisites (a fresh CI machine may lack them; we run as root there).
# ---------------------------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  [[ $(id -u) == 0 ]] || die "need to install $* but not running as root; install it (apt-get install $*) and retry"
  command -v apt-get >/dev/null || die "need to install $* but apt-get is not available"
  if ((APT_UPDATED == 0)); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

ensure_java() {
  if ! command -v java >/dev/null; then
    log "java not found: installing OpenJDK 17 (JRE)"
    apt_install openjdk-17-jre-headless
  fi
  command -v java >/dev/null || die "java is still missing after installing openjdk-17-jre-headless"
}

ensure_maven() {
  if ! command -v mvn >/dev/null; then
    log "mvn not found: installing Maven"
    apt_install maven
  fi
  command -v mvn >/dev/null || die "mvn is still missing after installing maven"
}

# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL and Redis: the machine's services.
# ---------------------------------------------------------------------------------------------------------------
postgres_up() {
  if ! pg_answers; then
    log "PostgreSQL does not answer on $PG_HOST:$PG_PORT: starting it"
    command -v pg_ctlcluster >/dev/null ||
      die "PostgreSQL is not installed (no pg_ctlcluster); install it with 'apt-get install postgresql' and create database 'test'"
    local version
    version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
    [[ -n $version ]] || die "PostgreSQL has no cluster under /etc/postgresql"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 ||
      log "pg_ctlcluster $version main start failed (see above); waiting for the server anyway"
    wait_until 30 pg_answers ||
      die "PostgreSQL still does not answer on $PG_HOST:$PG_PORT after 'pg_ctlcluster $version main start' (log: /var/log/postgresql/postgresql-$version-main.log)"
  fi
  # The tests connect to database `test` as role postgres (trust auth); create the database if a fresh server lacks it.
  if command -v psql >/dev/null; then
    if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d test -XAtqc 'select 1' >/dev/null 2>&1; then
      log "database 'test' is not reachable as role postgres: trying to create it"
      psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -XAtqc 'create database test' >&2 ||
        die "PostgreSQL answers on $PG_HOST:$PG_PORT but database 'test' is not reachable as role postgres with trust auth"
    fi
  fi
  log "PostgreSQL answers on $PG_HOST:$PG_PORT"
}

redis_up() {
  if ! redis_answers; then
    log "Redis does not answer on $REDIS_HOST:$REDIS_PORT: starting it"
    command -v redis-server >/dev/null ||
      die "Redis is not installed (no redis-server); install it with 'apt-get install redis-server'"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 ||
      log "redis-server failed to start (see above)"
    wait_until 15 redis_answers ||
      die "Redis still does not answer PING on $REDIS_HOST:$REDIS_PORT after starting redis-server (log: /var/log/redis/ci.log)"
  fi
  log "Redis answers on $REDIS_HOST:$REDIS_PORT"
}

# ---------------------------------------------------------------------------------------------------------------
# Kafka.
# ---------------------------------------------------------------------------------------------------------------

# The stamp records the POM's checksum, so editing scripts/kafka/pom.xml (say, a version bump) re-resolves the jars.
kafka_jars_stamp() {
  printf 'kafka %s\npom %s\n' "$KAFKA_VERSION" "$(sha256sum "$KAFKA_SRC_DIR/pom.xml" | cut -d' ' -f1)"
}

ensure_kafka_jars() {
  local want
  want="$(kafka_jars_stamp)"
  if [[ -f $KAFKA_LIB_STAMP && "$(cat "$KAFKA_LIB_STAMP")" == "$want" ]]; then
    return 0
  fi
  ensure_maven
  log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies from Maven Central into ${KAFKA_LIB_DIR#"$ROOT"/}"
  rm -rf "$KAFKA_LIB_DIR"
  mkdir -p "$KAFKA_LIB_DIR"
  local started=$SECONDS
  # Output goes to a file: Maven 3.8's -q still prints bare colour escapes, and it is only worth reading on failure.
  local mvn_log="$INFRA_DIR/kafka-mvn.log"
  mkdir -p "$INFRA_DIR"
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_SRC_DIR/pom.xml" dependency:copy-dependencies \
    "-Dkafka.lib.dir=$KAFKA_LIB_DIR" >"$mvn_log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$mvn_log" | grep -v '^[[:space:]]*$' | tail -n 60 >&2 || true
    die "mvn could not resolve Kafka $KAFKA_VERSION (is Maven Central reachable?); full output: ${mvn_log#"$ROOT"/}"
  fi
  compgen -G "$KAFKA_LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null ||
    die "mvn finished but $KAFKA_LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar is missing"
  compgen -G "$KAFKA_LIB_DIR/reload4j-*.jar" >/dev/null || die "mvn finished but reload4j is missing from $KAFKA_LIB_DIR"
  printf '%s\n' "$want" >"$KAFKA_LIB_STAMP"
  log "Kafka jars cached ($(find "$KAFKA_LIB_DIR" -name '*.jar' | wc -l) jars, $((SECONDS - started))s)"
}

kafka_render_config() {
  mkdir -p "$KAFKA_CONF_DIR" "$KAFKA_DATA_DIR"
  sed "s|@KAFKA_DATA_DIR@|$KAFKA_DATA_DIR|g" "$KAFKA_SRC_DIR/server.properties.template" >"$KAFKA_PROPS.tmp"
  mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

kafka_java_opts() {
  # shellcheck disable=SC2206 # KAFKA_HEAP_OPTS is a list of JVM flags on purpose.
  KAFKA_JAVA=(java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$KAFKA_SRC_DIR/log4j.properties" "-Dkafka.logs.dir=$INFRA_DIR"
    -cp "$KAFKA_LIB_DIR/*")
}

kafka_format_storage() {
  # A formatted directory has meta.properties; skipping the tool then saves a JVM start on every `up`.
  [[ -f $KAFKA_DATA_DIR/meta.properties ]] && return 0
  log "formatting Kafka storage in ${KAFKA_DATA_DIR#"$ROOT"/}"
  kafka_java_opts
  "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$KAFKA_CLUSTER_ID" -c "$KAFKA_PROPS" --ignore-formatted \
    >"$INFRA_DIR/kafka-format.log" 2>&1 || {
    tail -n 40 "$INFRA_DIR/kafka-format.log" >&2
    die "kafka.tools.StorageTool format failed (log: ${INFRA_DIR#"$ROOT"/}/kafka-format.log)"
  }
}

# True when PID is alive and is the Kafka of this checkout (guards against a recycled pid).
is_our_kafka() {
  local pid="$1"
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $KAFKA_PROPS"
}

# Prints the pids of this checkout's Kafka: the pid file's, plus any orphan started with our properties file
# (e.g. a pid file lost to `rm -rf .infra`). Matching on the absolute properties path keeps this to our own process.
kafka_pids() {
  local pid
  {
    if [[ -f $KAFKA_PID_FILE ]]; then
      pid="$(cat "$KAFKA_PID_FILE")"
      if is_our_kafka "$pid"; then echo "$pid"; fi
    fi
    for pid in $(pgrep -f -- "kafka.Kafka $KAFKA_PROPS" 2>/dev/null || true); do
      if is_our_kafka "$pid"; then echo "$pid"; fi
    done
  } | sort -un
}

kafka_log_tail() {
  if [[ -f $KAFKA_LOG ]]; then
    printf -- '----- last lines of %s -----\n' "${KAFKA_LOG#"$ROOT"/}" >&2
    tail -n 40 "$KAFKA_LOG" >&2
    printf -- '-----\n' >&2
  fi
}

# Waits for PID's "Kafka Server started" line and a successful ApiVersions round trip.
kafka_wait_started() {
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      kafka_log_tail
      rm -f "$KAFKA_PID_FILE"
      die "Kafka (pid $pid) exited during start-up; see the log tail above (${KAFKA_LOG#"$ROOT"/})"
    fi
    if grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null && kafka_answers; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      kafka_log_tail
      die "Kafka (pid $pid) did not log 'Kafka Server started' and answer on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s; it is still running (stop it with 'bash scripts/infra.sh down')"
    fi
    sleep 0.5
  done
}

kafka_up() {
  mkdir -p "$INFRA_DIR"
  # Always cached, even when a broker is reused: tests that stop and start a broker run a private one from these jars.
  ensure_java
  ensure_kafka_jars
  local pid
  pid="$(kafka_pids | head -n 1)"
  if [[ -n $pid ]]; then
    echo "$pid" >"$KAFKA_PID_FILE"
    if kafka_answers; then
      log "Kafka already running (pid $pid) and answers on $KAFKA_HOST:$KAFKA_PORT: reusing it"
      return 0
    fi
    log "Kafka (pid $pid) is running but does not answer yet: waiting for it"
    kafka_wait_started "$pid"
    log "Kafka answers on $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
    return 0
  fi
  rm -f "$KAFKA_PID_FILE"

  if kafka_answers; then
    # Another checkout's broker (say, a developer's working copy while CI runs in a fresh clone). It is the same
    # single-node configuration, and tests isolate themselves by topic name, so share it rather than fail.
    log "a Kafka broker not started by this checkout already answers on $KAFKA_HOST:$KAFKA_PORT: reusing it ('down' here will leave it alone)"
    return 0
  fi
  port_open "$KAFKA_HOST" "$KAFKA_PORT" &&
    die "port $KAFKA_PORT on $KAFKA_HOST is taken by something that does not speak Kafka; free it and retry"
  port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT" &&
    die "Kafka's controller port $KAFKA_CONTROLLER_PORT on $KAFKA_HOST is already taken; free it and retry"

  kafka_render_config
  kafka_format_storage

  # Keep the previous run's log for post-mortems; the wait below must only see this run's lines.
  [[ -f $KAFKA_LOG ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  kafka_java_opts
  log "starting Kafka $KAFKA_VERSION (KRaft, broker+controller) on $KAFKA_HOST:$KAFKA_PORT; log: ${KAFKA_LOG#"$ROOT"/}"
  # setsid + nohup: the broker must outlive this script and not be killed with the caller's process group or
  # terminal (npm, vitest, CI). The inner shell writes its own pid and then execs java, so the pid file holds java's pid.
  # fd 9 is closed for it: the broker must not inherit (and so hold forever) the lock taken by lock_infra.
  (
    cd "$INFRA_DIR"
    exec 9>&-
    exec setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
      "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_PROPS" >"$KAFKA_LOG" 2>&1 </dev/null
  ) &
  local deadline=$((SECONDS + 10))
  until [[ -s $KAFKA_PID_FILE ]]; do
    ((SECONDS < deadline)) || die "Kafka did not write its pid file ${KAFKA_PID_FILE#"$ROOT"/}"
    sleep 0.1
  done
  pid="$(cat "$KAFKA_PID_FILE")"
  kafka_wait_started "$pid"
  log "Kafka answers on $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
}

kafka_down() {
  local pids pid
  pids="$(kafka_pids)"
  if [[ -z $pids ]]; then
    rm -f "$KAFKA_PID_FILE"
    if kafka_answers; then
      log "Kafka answers on $KAFKA_HOST:$KAFKA_PORT but was not started by this checkout: leaving it running"
    else
      log "Kafka is not running"
    fi
    return 0
  fi
  for pid in $pids; do
    log "stopping Kafka (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
  done
  # A clean shutdown (controlled shutdown, log flush) keeps the next start fast; give it time before SIGKILL.
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT)) alive
  while :; do
    alive=""
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive+="$pid "; done
    [[ -z $alive ]] && break
    if ((SECONDS >= deadline)); then
      log "Kafka did not stop within ${KAFKA_STOP_TIMEOUT}s: sending SIGKILL to $alive"
      for pid in $alive; do kill -KILL "$pid" 2>/dev/null || true; done
      sleep 1
      for pid in $alive; do
        kill -0 "$pid" 2>/dev/null && die "Kafka (pid $pid) survived SIGKILL"
      done
      break
    fi
    sleep 0.5
  done
  rm -f "$KAFKA_PID_FILE"
  [[ -z "$(kafka_pids)" ]] || die "a Kafka process of this checkout is still running: $(kafka_pids | tr '\n' ' ')"
  wait_until 10 kafka_port_closed || die "Kafka stopped but $KAFKA_HOST:$KAFKA_PORT still answers"
  log "Kafka stopped"
}

kafka_port_closed() { ! port_open "$KAFKA_HOST" "$KAFKA_PORT"; }

status() {
  local ok=0
  if pg_answers; then log "PostgreSQL: answers on $PG_HOST:$PG_PORT"; else log "PostgreSQL: DOWN"; ok=1; fi
  if redis_answers; then log "Redis: answers on $REDIS_HOST:$REDIS_PORT"; else log "Redis: DOWN"; ok=1; fi
  local pid
  pid="$(kafka_pids | head -n 1)"
  if kafka_answers; then
    log "Kafka: answers on $KAFKA_HOST:$KAFKA_PORT${pid:+ (pid $pid, this checkout)}"
  else
    log "Kafka: DOWN${pid:+ (pid $pid is running but does not answer)}"
    ok=1
  fi
  return "$ok"
}

# Serialises up/down/clean of this checkout: two `npm test` runs starting at once must not both launch a broker.
lock_infra() {
  mkdir -p "$INFRA_DIR"
  exec 9>"$INFRA_DIR/.lock"
  flock -w 300 9 || die "another 'scripts/infra.sh' of this checkout has held ${INFRA_DIR#"$ROOT"/}/.lock for 5 minutes"
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
    up | down | clean | jars) lock_infra ;;
  esac
  case "$cmd" in
    up)
      local started=$SECONDS
      postgres_up
      redis_up
      kafka_up
      bash "$ROOT/scripts/ensure-chromium.sh" # the live-map test's headless browser
      bash "$ROOT/scripts/ensure-python3-pandas.sh" # the official MDRPLIB evaluator's pandas
      bash "$ROOT/scripts/ensure-prometheus.sh" # the Prometheus scrape test's own prometheus, and promtool
      log "up: PostgreSQL, Redis and Kafka answer ($((SECONDS - started))s)"
      ;;
    down)
      kafka_down
      log "down: PostgreSQL and Redis are the machine's services and stay up"
      ;;
    status) status ;;
    jars)
      ensure_java
      ensure_kafka_jars
      log "jars: Kafka $KAFKA_VERSION jars cached in ${KAFKA_LIB_DIR#"$ROOT"/}"
      ;;
    clean)
      kafka_down
      rm -rf "$KAFKA_DATA_DIR" "$KAFKA_CONF_DIR"
      log "clean: removed ${KAFKA_DATA_DIR#"$ROOT"/}"
      ;;
    *)
      echo "usage: bash scripts/infra.sh up|down|status|clean|jars" >&2
      exit 2
      ;;
  esac
}

main "$@"
