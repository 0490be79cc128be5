# shellcheck shell=bash
# Setup shared by stack/stack.sh and stack/flume.sh; sourced by them, not run on its own.
# The sourcing script defines say() and die() (each script has its own log prefix and stream).
#
# Sets STACK_SRC (this folder), REPO, STACK_DIR ($TSAGENT_STACK_DIR, default <repo>/.stack) and
# CACHE_DIR, creating both directories, plus M2, DEP_PLUGIN and JPMS_OPTS.

STACK_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$STACK_SRC/.." && pwd)"

STACK_DIR="${TSAGENT_STACK_DIR:-$REPO/.stack}"
mkdir -p "$STACK_DIR"
STACK_DIR="$(cd "$STACK_DIR" && pwd)"
# Jar cache (Maven local repository + copied jars). Shared between stack dirs when set.
CACHE_DIR="${TSAGENT_STACK_CACHE:-$STACK_DIR/cache}"
mkdir -p "$CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd)"
M2="$CACHE_DIR/m2"
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

# JVM options for Hadoop (and Flume's Hadoop client) on JDK 17: the list Hadoop's own launcher
# adds (hadoop_finalize_jpms_opts).
JPMS_OPTS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.math=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.zip=ALL-UNNAMED --add-opens=java.base/sun.security.util=ALL-UNNAMED
  --add-opens=java.base/sun.security.x509=ALL-UNNAMED
)

need_java_on_path() {
  command -v java >/dev/null 2>&1 ||
    die "java not found on PATH. Install a Java 17 JDK (Debian: apt-get install openjdk-17-jdk-headless) and retry."
}

need_mvn() { # what: the jars it is needed for, as the message names them
  command -v mvn >/dev/null 2>&1 ||
    die "mvn (Apache Maven) not found on PATH; it is needed once to fetch $1 from Maven Central. Install it (Debian: apt-get install maven) and retry."
}

# Serialises jar downloads into this cache (also across stack dirs sharing it). Holds fd 8 until
# the caller closes it (exec 8>&-) or exits.
take_fetch_lock() {
  exec 8>"$CACHE_DIR/fetch.lock"
  flock -w 1800 8 || die "timed out waiting for another fetch (lock $CACHE_DIR/fetch.lock)"
}

mvn_copy_deps() { # pom outdir log label: the pom's runtime dependencies into outdir (made afresh)
  local pom=$1 out=$2 log=$3 label=$4
  rm -rf "$out"
  if ! mvn -B -q -Dmaven.repo.local="$M2" -f "$pom" "$DEP_PLUGIN:copy-dependencies" \
      -DincludeScope=runtime -DoutputDirectory="$out" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "fetching $label failed; full Maven output: $log"
  fi
}
