#!/usr/bin/env bash
# Installs the PySpark anchor used by the analyzer's differential test and benchmark:
#   .stack/pyspark-venv           a Python venv with pyspark (pinned, from PyPI)
#   .stack/pyspark-jars/          (only with --kafka) the Spark Kafka connector jars from Maven Central
# Idempotent: does nothing when the pinned version is already installed.
# Usage: bash bench/anchors/pyspark.sh [--kafka]     prints the venv's python path on success.
# With --kafka, run a PySpark job that reads Kafka with
#   PYSPARK_SUBMIT_ARGS="--jars $(ls .stack/pyspark-jars/*.jar | paste -sd,) pyspark-shell"
set -euo pipefail
PYSPARK_VERSION="${PYSPARK_VERSION:-3.5.7}"
SCALA_BINARY="${SCALA_BINARY:-2.12}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${PYSPARK_VENV:-$ROOT/.stack/pyspark-venv}"
PY="$VENV/bin/python"

have() { [ -x "$PY" ] && "$PY" -c "import pyspark,sys; sys.exit(0 if pyspark.__version__=='$PYSPARK_VERSION' else 1)" 2>/dev/null; }

if ! have; then
  mkdir -p "$(dirname "$VENV")"
  # A lock so that two test runs do not install into the same venv at once.
  exec 9>"$(dirname "$VENV")/.pyspark-install.lock"
  flock 9
  if ! have; then
    python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "pyspark==$PYSPARK_VERSION" >&2
  fi
fi

if [ "${1:-}" = "--kafka" ]; then
  JARS="$ROOT/.stack/pyspark-jars"
  if [ ! -f "$JARS/.done-$PYSPARK_VERSION" ]; then
    mkdir -p "$JARS"
    tmp="$(mktemp -d)"
    cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>tsagent</groupId><artifactId>pyspark-kafka-jars</artifactId><version>1</version>
<dependencies><dependency><groupId>org.apache.spark</groupId><artifactId>spark-sql-kafka-0-10_$SCALA_BINARY</artifactId><version>$PYSPARK_VERSION</version>
<exclusions><exclusion><groupId>org.apache.spark</groupId><artifactId>spark-tags_$SCALA_BINARY</artifactId></exclusion></exclusions></dependency></dependencies></project>
POM
    mvn -q -f "$tmp/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DoutputDirectory="$JARS" -DincludeScope=runtime >&2
    # Keep only what Spark does not ship itself (the connector, kafka-clients, commons-pool2):
    # drop every jar whose artifact name (without version) is already in pyspark/jars.
    SPARK_JARS="$("$PY" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
    for j in "$JARS"/*.jar; do
      a="$(basename "$j" | sed -E 's/-[0-9][0-9A-Za-z.]*\.jar$//')"
      if ls "$SPARK_JARS/$a"-[0-9]*.jar >/dev/null 2>&1; then rm -f "$j"; fi
    done
    touch "$JARS/.done-$PYSPARK_VERSION"
    rm -rf "$tmp"
  fi
fi
echo "$PY"
