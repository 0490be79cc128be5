#!/usr/bin/env bash
# Analyzer benchmark: the six seed queries over the size of the July 1995 log (1,891,715 lines),
# tsagent analyzer (1 and 2 worker threads; processing and event time) side by side with
# PySpark local[2] (batch job, same regexes, input cached in memory: Spark's best case).
#
#   bash bench/analyzer/run.sh            # writes bench/analyzer/results.md (and .json)
#   LINES=500000 SKIP_SPARK=1 bash bench/analyzer/run.sh
#
# Input: the real NASA July sample (../shared/data/nasa, 124,979 lines) repeated to LINES lines
# (real lines, so the parse work is the real one; windows repeat, which does not favour either side).
# Needs: dist/ built (npm run build), Java 17 + bench/anchors/pyspark.sh for the Spark side.
# Wall time is measured around the command; peak RSS is the sampled sum over its process group. Run it on an idle machine: other processes on
# the 2 cores change both sides' numbers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
LINES="${LINES:-1891715}"
TMP="$ROOT/bench/results/tmp/analyzer"
mkdir -p "$TMP"
INPUT="$TMP/nasa-$LINES.log"
NASA="$ROOT/../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz"
OUT_MD="$ROOT/bench/analyzer/results.md"
OUT_JSON="$ROOT/bench/analyzer/results.json"

if [ ! -s "$INPUT" ]; then
  zcat "$NASA" > "$TMP/one.log"
  : > "$INPUT"
  while [ "$(wc -l < "$INPUT")" -lt "$LINES" ]; do cat "$TMP/one.log" >> "$INPUT"; done
  head -n "$LINES" "$INPUT" > "$INPUT.tmp" && mv "$INPUT.tmp" "$INPUT"
fi
npm run -s build >&2 || true  # tsc emits even when another module has type errors

measure() { # name, command... -> "seconds peak_rss_kb cpu_seconds"; the command's stdout goes to $TMP/name.out
  # Peak RSS is the sum over the whole process group (Spark's JVM is a child of python),
  # sampled every 100 ms.
  local name="$1"; shift
  local start end peak=0 rss pid
  start=$(date +%s.%N)
  # CPU time (user + sys, waited-for descendants included) is less sensitive than wall time to
  # other load on the machine.
  setsid /usr/bin/time -f "%U %S" -o "$TMP/$name.cpu" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" &
  pid=$!
  local cpu_seen=0 c
  while kill -0 "$pid" 2>/dev/null; do
    rss=$( (ps -o rss= -g "$pid" 2>/dev/null || true) | awk '{ s += $1 } END { print s + 0 }')
    [ "$rss" -gt "$peak" ] && peak=$rss
    # CPU seconds of the whole group (the JVM is not a waited-for child of python, so
    # /usr/bin/time does not see it): the largest sum seen, at 1 s resolution per process.
    c=$( (ps -o times= -g "$pid" 2>/dev/null || true) | awk '{ s += $1 } END { print s + 0 }')
    [ "$c" -gt "$cpu_seen" ] && cpu_seen=$c
    sleep 0.1
  done
  wait "$pid"
  end=$(date +%s.%N)
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') $peak $(awk -v seen="$cpu_seen" '{ t = $1 + $2; if (seen > t) t = seen; printf "%.2f", t }' "$TMP/$name.cpu")"
}

declare -a ROWS
json="{\"lines\": $LINES, \"nproc\": $(nproc), \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"runs\": ["
first=1
add() { # name seconds rss_kb cpu_seconds [lines counted by the engine]
  local lps cps; lps=$(awk -v n="$LINES" -v s="$2" 'BEGIN { printf "%d", n / s }')
  cps=$(awk -v n="$LINES" -v s="$4" 'BEGIN { printf "%d", n / s }')
  ROWS+=("| $1 | $2 | $lps | $4 | $cps | $(( $3 / 1024 )) |")
  [ $first = 1 ] || json+=","
  first=0
  json+="{\"name\": \"$1\", \"seconds\": $2, \"linesPerSecond\": $lps, \"cpuSeconds\": $4, \"linesPerCpuSecond\": $cps, \"peakRssMiB\": $(( $3 / 1024 )), \"linesCounted\": ${5:-null}}"
}

for mode in processing event; do
  flag=""; [ "$mode" = event ] && flag="--event-time"
  for w in 1 2; do
    read -r s kb cpu < <(measure "tsagent-$mode-w$w" node bin/tsagent.js analyzer -i "$INPUT" $flag --tz UTC --workers "$w" --stats)
    # Lines the engine counted (from --stats), checked against the input by bench/run-all.mjs.
    counted=$(sed -n 's/^tsagent analyzer: \([0-9]*\) lines.*/\1/p' "$TMP/tsagent-$mode-w$w.err" | tail -1)
    add "tsagent analyzer, $mode time, $w worker(s)" "$s" "$kb" "$cpu" "${counted:-null}"
  done
done

if [ -z "${SKIP_SPARK:-}" ]; then
  PY="$(bash bench/anchors/pyspark.sh | tail -1)"
  read -r s kb cpu < <(measure spark "$PY" bench/analyzer/spark_job.py bench "$INPUT")
  spark_inner=$(tail -1 "$TMP/spark.out")
  spark_lines=$(printf '%s' "$spark_inner" | sed -n 's/.*"lines": *\([0-9]*\).*/\1/p')
  add "PySpark $("$PY" -c 'import pyspark; print(pyspark.__version__)') local[2], event time (wall incl. JVM start)" "$s" "$kb" "$cpu" "${spark_lines:-null}"
  json+="], \"sparkInner\": $spark_inner}"
else
  json+="]}"
fi

{
  echo "# Analyzer benchmark"
  echo
  echo "Six seed queries over $LINES lines (real NASA July 1995 lines, repeated). $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Command: \`bash bench/analyzer/run.sh\`. Wall time of the whole command (including start-up); peak RSS summed over the process group (Spark: python + JVM), sampled every 100 ms."
  echo
  echo "| run | wall s | lines/s (wall) | CPU s | lines per CPU s | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  [ -n "${spark_inner:-}" ] && echo && echo "PySpark's own timing (after JVM start, parse + cache + 6 aggregations): $spark_inner"
  echo
  echo "Wall times on a shared machine move by up to 2x with the other load (see the load average);"
  echo "the CPU columns are steadier. Rerun on an idle machine before quoting a number."
} > "$OUT_MD"
echo "$json" > "$OUT_JSON"
cat "$OUT_MD"
