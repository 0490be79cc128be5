#!/usr/bin/env bash
# tsagent local stack: a real Kafka broker (KRaft, combined broker+controller) and a real
# HDFS (one NameNode + one DataNode, WebHDFS on), assembled from Maven Central jars and run
# as plain `java -cp` processes. Everything (jar cache, configs, data, logs, pid files)
# lives under one directory: $TSAGENT_STACK_DIR (default <repo>/.stack).
#
# Usage: stack/stack.sh <command> [args]   (see `stack/stack.sh help` and stack/README.md)
set -euo pipefail

# STACK_SRC, REPO, STACK_DIR, CACHE_DIR, M2, DEP_PLUGIN, JPMS_OPTS, need_java_on_path, need_mvn,
# take_fetch_lock, mvn_copy_deps (shared with stack/flume.sh)
# shellcheck source=stack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
# Ports: defaults < ports recorded by the last `up` in this stack dir < environment.
KAFKA_PORT_DEFAULT=9092 KAFKA_SASL_PORT_DEFAULT=9094 KAFKA_CONTROLLER_PORT_DEFAULT=9093
NAMENODE_PORT_DEFAULT=8020 WEBHDFS_PORT_DEFAULT=9870
DATANODE_HTTP_PORT_DEFAULT=9864 DATANODE_PORT_DEFAULT=9866 DATANODE_IPC_PORT_DEFAULT=9867
if [[ -f "$STACK_DIR/ports.env" ]]; then
  # shellcheck disable=SC1091
  . "$STACK_DIR/ports.env"
fi
KAFKA_PORT="${TSAGENT_KAFKA_PORT:-${REC_KAFKA_PORT:-$KAFKA_PORT_DEFAULT}}"
KAFKA_SASL_PORT="${TSAGENT_KAFKA_SASL_PORT:-${REC_KAFKA_SASL_PORT:-$KAFKA_SASL_PORT_DEFAULT}}"
KAFKA_CONTROLLER_PORT="${TSAGENT_KAFKA_CONTROLLER_PORT:-${REC_KAFKA_CONTROLLER_PORT:-$KAFKA_CONTROLLER_PORT_DEFAULT}}"
NAMENODE_PORT="${TSAGENT_NAMENODE_PORT:-${REC_NAMENODE_PORT:-$NAMENODE_PORT_DEFAULT}}"
WEBHDFS_PORT="${TSAGENT_WEBHDFS_PORT:-${REC_WEBHDFS_PORT:-$WEBHDFS_PORT_DEFAULT}}"
DATANODE_HTTP_PORT="${TSAGENT_DATANODE_HTTP_PORT:-${REC_DATANODE_HTTP_PORT:-$DATANODE_HTTP_PORT_DEFAULT}}"
DATANODE_PORT="${TSAGENT_DATANODE_PORT:-${REC_DATANODE_PORT:-$DATANODE_PORT_DEFAULT}}"
DATANODE_IPC_PORT="${TSAGENT_DATANODE_IPC_PORT:-${REC_DATANODE_IPC_PORT:-$DATANODE_IPC_PORT_DEFAULT}}"

KAFKA_SASL_USER=tsagent
KAFKA_SASL_PASSWORD=tsagent-secret
KAFKA_TOPIC=apache_logs
KAFKA_TOPIC_PARTITIONS=3
HDFS_USER="$(id -un)"
HDFS_HOME_DIR=/user/bigdata

KAFKA_WAIT_S="${TSAGENT_STACK_KAFKA_TIMEOUT:-240}"
HDFS_WAIT_S="${TSAGENT_STACK_HDFS_TIMEOUT:-300}"
PAUSE_WAIT_S="${TSAGENT_STACK_PAUSE_TIMEOUT:-180}"

LIB_KAFKA="$CACHE_DIR/lib/kafka"
LIB_HADOOP="$CACHE_DIR/lib/hadoop"
CONF_KAFKA="$STACK_DIR/kafka-conf"
CONF_HADOOP="$STACK_DIR/hadoop-conf"
WEBAPPS="$STACK_DIR/hadoop-webapps"
LOGS="$STACK_DIR/logs"
PIDS="$STACK_DIR/pids"
LEASES="$STACK_DIR/leases"

SERVICES=(kafka namenode datanode)

say() { printf '[stack] %s\n' "$*"; }
err() { printf '[stack] ERROR: %s\n' "$*" >&2; }
die() { err "$*"; exit 1; }

# ---------------------------------------------------------------- prerequisites ----------
need_java() {
  need_java_on_path
  local v
  v="$(java -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')"
  if [[ -n "$v" && "$v" -lt 17 ]]; then
    die "java $v found, but Hadoop 3.5 needs Java 17 or newer. Install openjdk-17-jdk-headless and put it first on PATH."
  fi
}
need_tools() {
  local t
  for t in curl flock setsid; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' not found on PATH. Install it (Debian: apt-get install curl util-linux) and retry."
  done
}

# ---------------------------------------------------------------- fetch ------------------
pom_stamp() { cat "$STACK_SRC/kafka/pom.xml" "$STACK_SRC/hadoop/pom.xml" | sha256sum | cut -c1-16; }
fetched() { [[ -f "$CACHE_DIR/lib/.fetched" && "$(cat "$CACHE_DIR/lib/.fetched")" == "$(pom_stamp)" ]]; }

fetch_one() { # name pom outdir
  local name=$1 pom=$2 out=$3 t0=$SECONDS
  say "fetching $name jars from Maven Central ($(basename "$(dirname "$pom")")/pom.xml) ..."
  mvn_copy_deps "$pom" "$out.tmp" "$CACHE_DIR/fetch-$name.log" "$name"
  rm -rf "$out" && mv "$out.tmp" "$out"
  say "  $name: $(ls "$out" | wc -l) jars, $(du -sh "$out" | cut -f1) in $((SECONDS - t0)) s"
}

cmd_fetch() {
  need_java
  take_fetch_lock
  if fetched && [[ "${1:-}" != "--force" ]]; then
    say "jars already fetched into $CACHE_DIR/lib (delete it or use 'fetch --force' to refetch)"
    return 0
  fi
  need_mvn "the Kafka/Hadoop jars"
  mkdir -p "$CACHE_DIR/lib"
  fetch_one kafka "$STACK_SRC/kafka/pom.xml" "$LIB_KAFKA"
  fetch_one hadoop "$STACK_SRC/hadoop/pom.xml" "$LIB_HADOOP"
  # Exactly one SLF4J API and one binding per classpath, or the daemons log nothing.
  local n
  n=$(ls "$LIB_KAFKA" | grep -c '^log4j-slf4j-impl-' || true)
  [[ $n == 1 ]] || die "expected exactly one log4j-slf4j-impl jar in $LIB_KAFKA, found $n"
  n=$(ls "$LIB_HADOOP" | grep -c '^slf4j-reload4j-' || true)
  [[ $n == 1 ]] || die "expected exactly one slf4j-reload4j jar in $LIB_HADOOP, found $n"
  pom_stamp >"$CACHE_DIR/lib/.fetched"
  say "fetch done: $(du -sh "$M2" | cut -f1) downloaded into $M2, $(du -sh "$CACHE_DIR/lib" | cut -f1) of jars in $CACHE_DIR/lib"
  exec 8>&-
}

# ---------------------------------------------------------------- configs ----------------
write_ports() {
  cat >"$STACK_DIR/ports.env" <<EOF
REC_KAFKA_PORT=$KAFKA_PORT
REC_KAFKA_SASL_PORT=$KAFKA_SASL_PORT
REC_KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
REC_NAMENODE_PORT=$NAMENODE_PORT
REC_WEBHDFS_PORT=$WEBHDFS_PORT
REC_DATANODE_HTTP_PORT=$DATANODE_HTTP_PORT
REC_DATANODE_PORT=$DATANODE_PORT
REC_DATANODE_IPC_PORT=$DATANODE_IPC_PORT
EOF
}

write_kafka_conf() {
  mkdir -p "$CONF_KAFKA" "$STACK_DIR/kafka-data"
  cat >"$CONF_KAFKA/server.properties" <<EOF
# generated by stack/stack.sh - edits are overwritten on the next 'up'
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$KAFKA_SASL_USER" password="$KAFKA_SASL_PASSWORD" user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
log.dirs=$STACK_DIR/kafka-data
num.partitions=3
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=268435456
EOF
  cat >"$CONF_KAFKA/log4j2.properties" <<'EOF'
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
EOF
  cat >"$CONF_KAFKA/tools-log4j2.properties" <<'EOF'
status = error
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = STDERR
EOF
  cat >"$CONF_KAFKA/client-sasl.properties" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$KAFKA_SASL_USER" password="$KAFKA_SASL_PASSWORD";
EOF
}

prop() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }

write_hadoop_conf() {
  mkdir -p "$CONF_HADOOP" "$STACK_DIR/hdfs/name" "$STACK_DIR/hdfs/data" "$STACK_DIR/hdfs/tmp"
  {
    echo '<?xml version="1.0"?>'
    echo '<!-- generated by stack/stack.sh - edits are overwritten on the next up -->'
    echo '<configuration>'
    prop fs.defaultFS "hdfs://$HOST:$NAMENODE_PORT"
    prop hadoop.tmp.dir "$STACK_DIR/hdfs/tmp"
    prop hadoop.security.authentication simple
    prop hadoop.http.staticuser.user "$HDFS_USER"
    echo '</configuration>'
  } >"$CONF_HADOOP/core-site.xml"
  {
    echo '<?xml version="1.0"?>'
    echo '<!-- generated by stack/stack.sh - edits are overwritten on the next up -->'
    echo '<configuration>'
    prop dfs.namenode.name.dir "file://$STACK_DIR/hdfs/name"
    prop dfs.datanode.data.dir "file://$STACK_DIR/hdfs/data"
    prop dfs.replication 1
    prop dfs.namenode.rpc-address "$HOST:$NAMENODE_PORT"
    prop dfs.namenode.http-address "$HOST:$WEBHDFS_PORT"
    prop dfs.namenode.https-address "$HOST:0"
    prop dfs.namenode.secondary.http-address "$HOST:0"
    prop dfs.namenode.secondary.https-address "$HOST:0"
    prop dfs.datanode.address "$HOST:$DATANODE_PORT"
    prop dfs.datanode.http.address "$HOST:$DATANODE_HTTP_PORT"
    prop dfs.datanode.https.address "$HOST:0"
    prop dfs.datanode.ipc.address "$HOST:$DATANODE_IPC_PORT"
    prop dfs.datanode.hostname "$HOST"
    prop dfs.namenode.datanode.registration.ip-hostname-check false
    prop dfs.webhdfs.enabled true
    prop dfs.permissions.enabled true
    prop dfs.permissions.superusergroup supergroup
    prop dfs.namenode.safemode.extension 0
    prop dfs.namenode.safemode.min.datanodes 0
    prop dfs.heartbeat.interval 1
    prop dfs.namenode.heartbeat.recheck-interval 15000
    prop dfs.namenode.handler.count 4
    prop dfs.datanode.handler.count 4
    prop dfs.namenode.service.handler.count 2
    # WebHDFS writes run a DFSClient inside the DataNode, and every APPEND closes the file: when
    # the NameNode has not yet heard that the last block is complete, close() sleeps this long
    # before it asks again (Hadoop's default 400 ms made each append take ~430 ms here). Flume's
    # HDFS sink keeps its files open (hflush) and meets this wait only when it rolls a file.
    prop dfs.client.block.write.locateFollowingBlock.initial.delay.ms 20
    echo '</configuration>'
  } >"$CONF_HADOOP/hdfs-site.xml"
  cat >"$CONF_HADOOP/log4j.properties" <<'EOF'
# daemons (NameNode, DataNode): INFO to stdout, which stack.sh sends to logs/<service>.log
log4j.rootLogger=INFO,console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.target=System.out
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
log4j.logger.org.apache.hadoop.hdfs.StateChange=WARN
log4j.logger.BlockStateChange=WARN
log4j.logger.org.apache.hadoop.hdfs.server.datanode.DataNode.clienttrace=WARN
log4j.logger.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit=WARN
log4j.logger.org.apache.hadoop.metrics2=WARN
# one line per HTTP request (WebHDFS, JMX polling) is too much for benchmark runs
log4j.logger.http.requests=WARN
EOF
  cat >"$CONF_HADOOP/log4j-cli.properties" <<'EOF'
# command-line tools (stack.sh hdfs ...): warnings only, to stderr
log4j.rootLogger=WARN,console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.target=System.err
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
EOF
  # hadoop-hdfs.jar on Maven Central has no webapps/ resources (the release tarball keeps
  # them in share/hadoop/hdfs/webapps); HttpServer2 only needs the directories to exist.
  local app
  for app in hdfs datanode secondary journal static; do
    mkdir -p "$WEBAPPS/webapps/$app/WEB-INF"
    [[ -f "$WEBAPPS/webapps/$app/WEB-INF/web.xml" ]] ||
      printf '<?xml version="1.0"?>\n<web-app xmlns="http://xmlns.jcp.org/xml/ns/javaee" version="3.1"/>\n' \
        >"$WEBAPPS/webapps/$app/WEB-INF/web.xml"
  done
}

hadoop_cp() { printf '%s' "$CONF_HADOOP:$WEBAPPS:$LIB_HADOOP/*"; }
kafka_cp() { printf '%s' "$LIB_KAFKA/*"; }

# ---------------------------------------------------------------- processes --------------
pidfile() { printf '%s/%s.pid' "$PIDS" "$1"; }
logfile() { printf '%s/%s.log' "$LOGS" "$1"; }
# A pid counts as ours only if that process carries our markers (guards against pid reuse).
svc_pid() {
  local f pid
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  local cmd
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmd" == *"-Dtsagent.stack.service=$1 "* && "$cmd" == *"-Dtsagent.stack.dir=$STACK_DIR "* ]] || return 1
  printf '%s' "$pid"
}
svc_running() { svc_pid "$1" >/dev/null; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

svc_ports() {
  case $1 in
    kafka) echo "$KAFKA_PORT $KAFKA_SASL_PORT $KAFKA_CONTROLLER_PORT" ;;
    namenode) echo "$NAMENODE_PORT $WEBHDFS_PORT" ;;
    datanode) echo "$DATANODE_PORT $DATANODE_HTTP_PORT $DATANODE_IPC_PORT" ;;
  esac
}

check_ports_free() {
  local p
  for p in $(svc_ports "$1"); do
    if port_open "$p"; then
      err "cannot start $1: port $HOST:$p is already in use by another process (not started by this stack dir $STACK_DIR). Stop it, or choose other ports (TSAGENT_*_PORT, see stack/README.md)."
      return 1
    fi
  done
}

launch() { # service java-args... main-class program-args...
  local svc=$1
  shift
  local log
  log="$(logfile "$svc")"
  mkdir -p "$LOGS" "$PIDS"
  printf '\n===== %s: starting %s (stack.sh) =====\n' "$(date -u +%FT%TZ)" "$svc" >>"$log"
  # setsid: own session, so Ctrl-C in a test runner does not kill the stack; 8>&- 9>&-: do
  # not let the daemon inherit our lock file descriptors.
  setsid java -Dtsagent.stack.service="$svc" -Dtsagent.stack.dir="$STACK_DIR" "$@" \
    </dev/null >>"$log" 2>&1 8>&- 9>&- &
  echo $! >"$(pidfile "$svc")"
  rm -f "$PIDS/$svc.paused"
}

log_offset() { local f; f="$(logfile "$1")"; [[ -f "$f" ]] && stat -c %s "$f" || echo 0; }

fail_service() { # service message
  local log
  log="$(logfile "$1")"
  err "$2"
  if [[ -f "$log" ]]; then
    echo "----- last 40 lines of $log -----" >&2
    tail -n 40 "$log" >&2
    echo "----- end of $log -----" >&2
  fi
  return 1
}

start_kafka() {
  if svc_running kafka; then say "kafka already running (pid $(svc_pid kafka))"; return 0; fi
  check_ports_free kafka || return 1
  mkdir -p "$LOGS"
  write_kafka_conf
  if [[ ! -f "$STACK_DIR/kafka-data/meta.properties" ]]; then
    local cid
    cid="$(java -cp "$(kafka_cp)" -Dlog4j2.configurationFile="$CONF_KAFKA/tools-log4j2.properties" kafka.tools.StorageTool random-uuid)"
    say "formatting Kafka storage (cluster id $cid)"
    KAFKA_FRESH=1
    java -cp "$(kafka_cp)" -Dlog4j2.configurationFile="$CONF_KAFKA/tools-log4j2.properties" \
      kafka.tools.StorageTool format -g -c "$CONF_KAFKA/server.properties" -t "$cid" >>"$(logfile kafka)" 2>&1 ||
      fail_service kafka "Kafka storage format failed" || return 1
  fi
  KAFKA_LOG_OFFSET=$(log_offset kafka)
  say "starting kafka on $HOST:$KAFKA_PORT (SASL/PLAIN on $KAFKA_SASL_PORT), log $(logfile kafka)"
  launch kafka -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:ParallelGCThreads=1 -XX:ConcGCThreads=1 -XX:CICompilerCount=2 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$CONF_KAFKA/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    -cp "$(kafka_cp)" kafka.Kafka "$CONF_KAFKA/server.properties"
}

wait_kafka() {
  local deadline=$((SECONDS + KAFKA_WAIT_S)) off=${KAFKA_LOG_OFFSET:-0} log
  log="$(logfile kafka)"
  say "waiting for kafka (up to ${KAFKA_WAIT_S}s) ..."
  while :; do
    svc_running kafka || { fail_service kafka "kafka exited during startup"; return 1; }
    if port_open "$KAFKA_PORT"; then
      # Started by this call: also wait for the start banner in the new part of the log.
      # ({ ... || true; }: with pipefail, tail killed by SIGPIPE after grep -q matched is no failure.)
      [[ -z "${KAFKA_LOG_OFFSET:-}" ]] && break
      if { tail -c +$((off + 1)) "$log" || true; } | grep -q 'Kafka Server started'; then break; fi
    fi
    ((SECONDS < deadline)) || { fail_service kafka "kafka not ready after ${KAFKA_WAIT_S}s"; return 1; }
    sleep 0.5
  done
  # Metadata round trip: create the topic (no-op if present) and describe it.
  local out
  while :; do
    if out="$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" \
        --create --if-not-exists --topic "$KAFKA_TOPIC" --partitions "$KAFKA_TOPIC_PARTITIONS" \
        --replication-factor 1 2>&1)" &&
       out="$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" \
        --describe --topic "$KAFKA_TOPIC" 2>&1)"; then
      local parts
      parts="$(grep -c 'Partition: ' <<<"$out" || true)"
      if [[ "$parts" -ge "$KAFKA_TOPIC_PARTITIONS" ]]; then
        if [[ "${KAFKA_FRESH:-0}" == 1 ]]; then
          # A group-coordinator lookup creates __consumer_offsets now, so the first consumer
          # group of a test does not meet "The group coordinator is not available" retries.
          kafka_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$HOST:$KAFKA_PORT" \
            --describe --group tsagent-stack-warmup >/dev/null 2>&1 || true
        fi
        say "kafka ready: topic $KAFKA_TOPIC has $parts partitions"
        return 0
      fi
      err "topic $KAFKA_TOPIC has $parts partitions, expected $KAFKA_TOPIC_PARTITIONS (delete it or the data dir)"
      return 1
    fi
    ((SECONDS < deadline)) || { echo "$out" >&2; fail_service kafka "kafka did not answer metadata requests within ${KAFKA_WAIT_S}s"; return 1; }
    sleep 1
  done
}

kafka_tool() { # main-class args...
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile="$CONF_KAFKA/tools-log4j2.properties" \
    -cp "$(kafka_cp)" "$@"
}

hadoop_java_opts() { # service heap
  printf '%s\n' "${JPMS_OPTS[@]}" -Xms128m "-Xmx$2" -XX:+UseSerialGC -XX:CICompilerCount=2 \
    -Djava.net.preferIPv4Stack=true -Dhadoop.home.dir="$STACK_DIR" -Dhadoop.log.dir="$LOGS" \
    -Dhadoop.id.str="$HDFS_USER" -Dhadoop.root.logger=INFO,console \
    -Dlog4j.configuration="file:$CONF_HADOOP/log4j.properties" -cp "$(hadoop_cp)"
}

format_namenode() {
  if [[ ! -f "$STACK_DIR/hdfs/name/current/VERSION" ]]; then
    say "formatting HDFS NameNode storage"
    local opts
    mapfile -t opts < <(hadoop_java_opts namenode-format 256m)
    java "${opts[@]}" org.apache.hadoop.hdfs.server.namenode.NameNode -format -force -nonInteractive \
      -clusterid tsagent-local >>"$(logfile namenode)" 2>&1 ||
      fail_service namenode "NameNode format failed" || return 1
  fi
}

start_namenode() {
  if svc_running namenode; then say "namenode already running (pid $(svc_pid namenode))"; return 0; fi
  check_ports_free namenode || return 1
  write_hadoop_conf
  mkdir -p "$LOGS"
  format_namenode || return 1
  local opts
  mapfile -t opts < <(hadoop_java_opts namenode 512m)
  say "starting namenode (rpc $HOST:$NAMENODE_PORT, webhdfs $HOST:$WEBHDFS_PORT), log $(logfile namenode)"
  launch namenode "${opts[@]}" org.apache.hadoop.hdfs.server.namenode.NameNode
}

start_datanode() {
  if svc_running datanode; then say "datanode already running (pid $(svc_pid datanode))"; return 0; fi
  check_ports_free datanode || return 1
  mkdir -p "$LOGS"
  write_hadoop_conf
  local opts
  mapfile -t opts < <(hadoop_java_opts datanode 512m)
  say "starting datanode (http $HOST:$DATANODE_HTTP_PORT, data $HOST:$DATANODE_PORT), log $(logfile datanode)"
  launch datanode "${opts[@]}" org.apache.hadoop.hdfs.server.datanode.DataNode
}

jmx() { curl -fsS --max-time 3 "http://$HOST:$WEBHDFS_PORT/jmx?qry=$1" 2>/dev/null; }
jmx_attr() { # json attr  -> value (string or number), crude but dependency-free
  sed -n "s/.*\"$2\" *: *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" <<<"$1"
}

hdfs_state() { # prints "safemode=<on|off|?> live=<n>"
  local info state safe live
  info="$(jmx 'Hadoop:service=NameNode,name=NameNodeInfo' | tr -d '\n' || true)"
  state="$(jmx 'Hadoop:service=NameNode,name=FSNamesystemState' | tr -d '\n' || true)"
  if [[ -z "$info" ]]; then echo "safemode=? live=?"; return; fi
  if grep -q '"Safemode" *: *""' <<<"$info"; then safe=off; else safe=on; fi
  live="$(jmx_attr "$state" NumLiveDataNodes)"
  echo "safemode=$safe live=${live:-?}"
}

wait_hdfs() {
  local deadline=$((SECONDS + HDFS_WAIT_S)) st=""
  say "waiting for hdfs: NameNode out of safe mode and >= 1 live DataNode (up to ${HDFS_WAIT_S}s) ..."
  while :; do
    svc_running namenode || { fail_service namenode "namenode exited during startup"; return 1; }
    svc_running datanode || { fail_service datanode "datanode exited during startup"; return 1; }
    st="$(hdfs_state)"
    if [[ "$st" == "safemode=off live="* && "$st" != *"live=0" && "$st" != *"live=?" ]]; then break; fi
    if ((SECONDS >= deadline)); then
      fail_service datanode "hdfs not ready after ${HDFS_WAIT_S}s ($st)" || true
      fail_service namenode "hdfs not ready after ${HDFS_WAIT_S}s ($st)"
      return 1
    fi
    sleep 0.5
  done
  # Home directory owned by the running user (we are the HDFS superuser: same OS user as the NN).
  local base="http://$HOST:$WEBHDFS_PORT/webhdfs/v1" code
  code="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "$base$HDFS_HOME_DIR?op=MKDIRS&permission=755&user.name=$HDFS_USER")"
  [[ "$code" == 200 ]] || { fail_service namenode "WebHDFS MKDIRS $HDFS_HOME_DIR failed (HTTP $code)"; return 1; }
  curl -sS -o /dev/null -X PUT "$base$HDFS_HOME_DIR?op=SETOWNER&owner=$HDFS_USER&user.name=$HDFS_USER"
  # Decisive probe: a write through the DataNode (WebHDFS CREATE with redirect).
  local probe="/tmp/.tsagent-stack-probe-$$" loc
  curl -sS -o /dev/null -X PUT "$base/tmp?op=MKDIRS&permission=1777&user.name=$HDFS_USER"
  while :; do
    # -s without -S: refused connections while the DataNode comes up are expected here.
    loc="$(curl -s -o /dev/null -w '%{redirect_url}' -X PUT "$base$probe?op=CREATE&overwrite=true&user.name=$HDFS_USER" || true)"
    if [[ -n "$loc" ]] && code="$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary probe "$loc")" && [[ "$code" == 201 ]]; then
      curl -sS -o /dev/null -X DELETE "$base$probe?op=DELETE&user.name=$HDFS_USER" || true
      say "hdfs ready ($st): $HDFS_HOME_DIR owned by $HDFS_USER, write through the DataNode works"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      fail_service datanode "WebHDFS write probe failed (redirect '$loc', HTTP ${code:-?})"
      return 1
    fi
    sleep 1
  done
}

stop_svc() { # service [timeout]
  local svc=$1 t=${2:-30} pid
  if ! pid="$(svc_pid "$svc")"; then
    rm -f "$(pidfile "$svc")"
    say "$svc not running"
    return 0
  fi
  say "stopping $svc (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local end=$((SECONDS + t))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    err "$svc (pid $pid) did not stop within ${t}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$(pidfile "$svc")"
  say "$svc stopped"
}

# ---------------------------------------------------------------- locking ----------------
take_lock() {
  exec 9>"$STACK_DIR/stack.lock"
  if ! flock -n 9; then
    say "another stack.sh is working on $STACK_DIR; waiting for its lock ..."
    flock -w 1200 9 || die "timed out waiting for $STACK_DIR/stack.lock"
  fi
}
drop_lock() { exec 9>&-; }

# A service stopped on purpose by stop-kafka / stop-namenode (outage tests) is "paused":
# `up` waits for it to be started again instead of starting it behind the test's back.
paused_fresh() { # service
  local f="$PIDS/$1.paused"
  [[ -f "$f" ]] || return 1
  local age=$(($(date +%s) - $(stat -c %Y "$f")))
  ((age < PAUSE_WAIT_S))
}

live_leases() {
  local f n=0 pid
  mkdir -p "$LEASES"
  for f in "$LEASES"/*; do
    [[ -e "$f" ]] || continue
    pid="$(basename "$f")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then n=$((n + 1)); else rm -f "$f"; fi
  done
  echo "$n"
}

# ---------------------------------------------------------------- commands ---------------
cmd_up() {
  local lease="" auto=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --lease) lease=$2; auto=1; shift 2 ;;
      *) die "unknown option for up: $1" ;;
    esac
  done
  need_tools
  need_java
  local t0=$SECONDS waited=0
  while :; do
    take_lock
    local p="" s
    for s in "${SERVICES[@]}"; do
      if ! svc_running "$s" && paused_fresh "$s"; then p="$s"; fi
    done
    [[ -z "$p" ]] && break
    drop_lock
    ((waited == 0)) && say "$p was stopped on purpose (stop-$p, outage test); waiting for start-$p ..."
    waited=1
    sleep 1
  done
  if [[ -n "$lease" ]]; then mkdir -p "$LEASES" && echo "$lease" >"$LEASES/$lease"; fi

  local s all=1
  for s in "${SERVICES[@]}"; do svc_running "$s" || all=0; done
  if ((all)); then
    local st
    st="$(hdfs_state)"
    if ! port_open "$KAFKA_PORT" || [[ "$st" != "safemode=off live="* || "$st" == *"live=0" || "$st" == *"live=?" ]]; then
      say "all services running but not ready yet (kafka port $KAFKA_PORT $(port_open "$KAFKA_PORT" && echo open || echo closed), hdfs $st); waiting"
      { wait_hdfs && wait_kafka; } || die "stack running but not ready; see the logs in $LOGS"
    fi
    say "stack already running in $STACK_DIR (kafka $HOST:$KAFKA_PORT, webhdfs $HOST:$WEBHDFS_PORT); nothing to do"
    ((auto)) || rm -f "$STACK_DIR/autostarted"
    return 0
  fi
  # Refuse before starting anything if a port we need is taken by someone else.
  for s in "${SERVICES[@]}"; do
    svc_running "$s" || check_ports_free "$s" || exit 1
  done
  fetched || cmd_fetch
  write_ports
  write_kafka_conf
  write_hadoop_conf
  local started=()
  svc_running kafka || started+=(kafka)
  svc_running namenode || started+=(namenode)
  svc_running datanode || started+=(datanode)
  local ok=1
  { start_kafka && start_namenode && start_datanode; } || ok=0
  if ((ok)); then
    { wait_hdfs && wait_kafka; } || ok=0
  fi
  if ((!ok)); then
    err "startup failed; stopping what this 'up' started (${started[*]}). Logs stay in $LOGS."
    local i
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do stop_svc "${started[i]}" 10 || true; done
    exit 1
  fi
  if ((auto)); then touch "$STACK_DIR/autostarted"; else rm -f "$STACK_DIR/autostarted"; fi
  say "stack up in $((SECONDS - t0)) s (started: ${started[*]}). Use: eval \"\$(stack/stack.sh env)\""
}

cmd_down() {
  take_lock
  do_down
}

do_down() { # caller holds the lock
  local any=0 s
  for s in "${SERVICES[@]}"; do svc_running "$s" && any=1; done
  if ((!any)); then
    say "stack not running in $STACK_DIR; nothing to stop"
  else
    for s in datanode namenode kafka; do stop_svc "$s" 30; done
    say "stack stopped"
  fi
  rm -f "$STACK_DIR/autostarted" "$PIDS"/*.paused
}

# release <lease>: a test run that called `up --lease <id>` is done. Stops the stack only
# if a lease holder started it (up --lease) and no other live lease holder remains.
cmd_release() {
  local lease=${1:?release needs a lease id}
  take_lock
  rm -f "$LEASES/$lease"
  local n
  n="$(live_leases)"
  if [[ ! -f "$STACK_DIR/autostarted" ]]; then
    say "stack was not started by a test run (or was taken over by a manual 'up'); leaving it running"
  elif ((n > 0)); then
    say "$n other test run(s) still use the stack; leaving it running"
  else
    say "last test run using the stack is done and a test run started it: stopping it"
    do_down
  fi
}

cmd_stop_one() { # service
  take_lock
  stop_svc "$1" 30
  mkdir -p "$PIDS" && touch "$PIDS/$1.paused"
}

cmd_start_one() { # service
  need_java
  take_lock
  fetched || die "jars not fetched; run 'stack.sh up' first"
  local ok=1
  case $1 in
    kafka) { start_kafka && wait_kafka; } || ok=0 ;;
    namenode) { start_namenode && wait_hdfs; } || ok=0 ;;
    datanode) { start_datanode && wait_hdfs; } || ok=0 ;;
  esac
  ((ok)) || die "start-$1 failed (log: $(logfile "$1")); the service may still be starting, see 'stack.sh status'"
  rm -f "$PIDS/$1.paused"
}

cmd_status() {
  local s pid up=0 n=${#SERVICES[@]}
  for s in "${SERVICES[@]}"; do
    if pid="$(svc_pid "$s")"; then
      up=$((up + 1))
      printf '%-9s running  pid %-8s %s\n' "$s" "$pid" "$(svc_ports "$s" | sed "s/\([0-9]*\)/$HOST:\1/g")"
    elif paused_fresh "$s"; then
      printf '%-9s stopped  (paused by stop-%s, outage test)\n' "$s" "$s"
    else
      printf '%-9s stopped\n' "$s"
    fi
  done
  local ready=1
  if svc_running kafka; then
    if port_open "$KAFKA_PORT"; then echo "kafka     accepting connections on $HOST:$KAFKA_PORT"; else echo "kafka     not accepting connections yet"; ready=0; fi
  fi
  if svc_running namenode; then
    local st
    st="$(hdfs_state)"
    echo "hdfs      $st"
    [[ "$st" == "safemode=off live="* && "$st" != *"live=0" && "$st" != *"live=?" ]] || ready=0
  fi
  if ((up == n && ready)); then
    echo "stack: UP ($STACK_DIR)"
    return 0
  elif ((up == 0)); then
    echo "stack: DOWN ($STACK_DIR)"
    return 3
  else
    echo "stack: PARTIAL ($up/$n services running$( ((ready)) || echo ', not ready'))"
    return 1
  fi
}

cmd_env() {
  cat <<EOF
export TSAGENT_STACK_DIR='$STACK_DIR'
export HADOOP_CONF_DIR='$CONF_HADOOP'
export TSAGENT_KAFKA_BROKERS='$HOST:$KAFKA_PORT'
export TSAGENT_KAFKA_SASL_BROKERS='$HOST:$KAFKA_SASL_PORT'
export TSAGENT_KAFKA_SASL_USER='$KAFKA_SASL_USER'
export TSAGENT_KAFKA_SASL_PASSWORD='$KAFKA_SASL_PASSWORD'
export TSAGENT_HDFS_DEFAULT_FS='hdfs://$HOST:$NAMENODE_PORT'
export TSAGENT_WEBHDFS_URL='http://$HOST:$WEBHDFS_PORT'
export TSAGENT_HDFS_USER='$HDFS_USER'
EOF
}

cmd_hdfs() { # hdfs <dfs|dfsadmin|fsck|getconf|classpath> args...
  need_java
  fetched || die "jars not fetched; run 'stack.sh fetch' (or 'up') first"
  [[ -f "$CONF_HADOOP/core-site.xml" ]] || write_hadoop_conf
  local sub=${1:-}
  [[ $# -gt 0 ]] && shift
  local main
  case $sub in
    dfs) main=org.apache.hadoop.fs.FsShell ;;
    dfsadmin) main=org.apache.hadoop.hdfs.tools.DFSAdmin ;;
    fsck) main=org.apache.hadoop.hdfs.tools.DFSck ;;
    getconf) main=org.apache.hadoop.hdfs.tools.GetConf ;;
    version) main=org.apache.hadoop.util.VersionInfo ;;
    classpath) hadoop_cp; echo; return 0 ;;
    *) die "usage: stack.sh hdfs dfs|dfsadmin|fsck|getconf|version|classpath [args]  (e.g. stack.sh hdfs dfs -text /user/bigdata/x.seq)" ;;
  esac
  exec java "${JPMS_OPTS[@]}" -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Djava.net.preferIPv4Stack=true -Dhadoop.home.dir="$STACK_DIR" \
    -Dlog4j.configuration="file:$CONF_HADOOP/log4j-cli.properties" \
    -cp "$(hadoop_cp)" "$main" "$@" 9>&- 8>&-
}

cmd_kafka() { # kafka <topics|consumer-groups|console-consumer|console-producer|api-versions> args...
  need_java
  fetched || die "jars not fetched; run 'stack.sh fetch' (or 'up') first"
  [[ -f "$CONF_KAFKA/tools-log4j2.properties" ]] || write_kafka_conf
  local sub=${1:-}
  [[ $# -gt 0 ]] && shift
  local main
  case $sub in
    topics) main=org.apache.kafka.tools.TopicCommand ;;
    consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    console-consumer) main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    console-producer) main=org.apache.kafka.tools.ConsoleProducer ;;
    api-versions) main=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    *) die "usage: stack.sh kafka topics|consumer-groups|console-consumer|console-producer|api-versions [args] (add --bootstrap-server $HOST:$KAFKA_PORT)" ;;
  esac
  exec java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$CONF_KAFKA/tools-log4j2.properties" -cp "$(kafka_cp)" "$main" "$@" 9>&- 8>&-
}

usage() {
  cat <<EOF
usage: stack/stack.sh <command>
  fetch [--force]        download the pinned jars (stack/kafka/pom.xml, stack/hadoop/pom.xml) once
  up [--lease ID]        start Kafka + NameNode + DataNode and wait until ready (idempotent)
  down                   stop every service this stack dir started (idempotent)
  release ID             end a test run's lease; stops the stack only if a test run started it
                         and no other test run still holds a lease
  status                 show services; exit 0 = up and ready, 3 = down, 1 = partial
  env                    print shell export lines: eval "\$(stack/stack.sh env)"
  stop-kafka | start-kafka         stop/start only the broker (same data), for outage tests
  stop-namenode | start-namenode   stop/start only the NameNode (same data), for outage tests
  stop-datanode | start-datanode   same for the DataNode
  hdfs dfs|dfsadmin|fsck|getconf|version ARGS   Hadoop's own CLI against the stack
  kafka topics|consumer-groups|console-consumer|console-producer|api-versions ARGS   Kafka's CLI
data dir: $STACK_DIR (TSAGENT_STACK_DIR)
EOF
}

main() {
  local cmd=${1:-help}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    fetch) cmd_fetch "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    release) cmd_release "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    stop-kafka) cmd_stop_one kafka ;;
    start-kafka) cmd_start_one kafka ;;
    stop-namenode) cmd_stop_one namenode ;;
    start-namenode) cmd_start_one namenode ;;
    stop-datanode) cmd_stop_one datanode ;;
    start-datanode) cmd_start_one datanode ;;
    hdfs) cmd_hdfs "$@" ;;
    kafka) cmd_kafka "$@" ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
