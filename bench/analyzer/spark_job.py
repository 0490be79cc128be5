"""The seed job's six queries (log_analysis.py) in PySpark over a log file, for the analyzer's
differential test and benchmark. The extraction, window and ordering expressions are the seed's;
time is event time (to_timestamp of the extracted timestamp), since processing time cannot be
compared across engines.

  python spark_job.py rows    INPUT OUTDIR   # every row of every query as JSON (epoch seconds)
  python spark_job.py console INPUT_DIR      # Spark's console sink: streaming, complete mode, one batch
  python spark_job.py diff    INPUT_DIR OUT  # rows, then console
  python spark_job.py bench   INPUT          # time all six queries (batch job), print JSON stats

Ordering: the seed's order plus the group-by value ascending as a tie-break, so that the
first 20 rows are deterministic (Spark's order of ties is arbitrary).
"""
import json
import os
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql.functions import col, count, regexp_extract, to_timestamp, window
from pyspark.sql.types import IntegerType

mode = sys.argv[1]
spark = (
    SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
    .appName("tsagent-analyzer-anchor")
    .config("spark.sql.session.timeZone", os.environ.get("SPARK_TZ", "UTC"))
    .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    .config("spark.sql.shuffle.partitions", os.environ.get("SPARK_PARTITIONS", "4"))
    .config("spark.ui.enabled", "false")
    .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")


def parse(df):
    logs = df.withColumnRenamed("value", "log_line")
    p = (
        logs.withColumn("ip", regexp_extract(col("log_line"), r"^(\S+)", 1))
        .withColumn("timestamp", regexp_extract(col("log_line"), r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+\-]\d{4})\]", 1))
        .withColumn("method", regexp_extract(col("log_line"), r"\"(\S+)", 1))
        .withColumn("endpoint", regexp_extract(col("log_line"), r"\"(?:\S+) (\S+)", 1))
        .withColumn("protocol", regexp_extract(col("log_line"), r"\"(?:\S+) (?:\S+) (\S+)\"", 1))
        .withColumn("status", regexp_extract(col("log_line"), r" (\d{3}) ", 1).cast(IntegerType()))
        .withColumn("bytes", regexp_extract(col("log_line"), r" (\d+|-)$", 1).cast(IntegerType()))
    )
    return p.withColumn("event_time", to_timestamp(col("timestamp"), "dd/MMM/yyyy:HH:mm:ss Z"))


def queries(p):
    w = window(col("event_time"), "60 seconds")
    return [
        ("total_requests", p.groupBy(w).count().withColumnRenamed("count", "total_requests").orderBy(col("window").desc()), None),
        ("status_distribution", p.groupBy(w, "status").count().orderBy(col("window").desc(), "status"), "status"),
        ("endpoint_traffic", p.groupBy(w, "endpoint").count().orderBy(col("window").desc(), col("count").desc(), "endpoint"), "endpoint"),
        ("method_distribution", p.groupBy(w, "method").count().orderBy(col("window").desc(), col("count").desc(), "method"), "method"),
        ("ip_traffic", p.groupBy(w, "ip").count().orderBy(col("window").desc(), col("count").desc(), "ip"), "ip"),
        ("error_rates", p.filter(col("status") >= 400).groupBy(w, "status").count().orderBy(col("window").desc(), "status"), "status"),
    ]


def write_rows(src, outdir):
    os.makedirs(outdir, exist_ok=True)
    p = parse(spark.read.text(src))
    for name, q, dim in queries(p):
        cnt = "total_requests" if name == "total_requests" else "count"
        sel = [col("window.start").cast("long").alias("s"), col("window.end").cast("long").alias("e")]
        sel += [col(dim).alias("d")] if dim else []
        sel += [col(cnt).alias("c")]
        with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
            for r in q.select(*sel).collect():
                f.write(json.dumps([r["s"], r["e"], r["d"] if dim else None, r["c"]], ensure_ascii=False) + "\n")


def console(src_dir):
    stream = spark.readStream.format("text").load(src_dir)
    p = parse(stream)
    for name, q, _ in queries(p):
        sq = (
            q.writeStream.outputMode("complete").format("console")
            .option("truncate", "false").option("numRows", 20).queryName(name).start()
        )
        sq.processAllAvailable()
        sq.stop()
        sys.stdout.flush()


if mode == "rows":
    write_rows(sys.argv[2], sys.argv[3])
elif mode == "console":
    console(sys.argv[2])
elif mode == "diff":
    # rows of INPUT_DIR to OUTDIR, then the console sink's bytes on stdout
    write_rows(sys.argv[2], sys.argv[3])
    console(sys.argv[2])
elif mode == "bench":
    src = sys.argv[2]
    t0 = time.time()
    p = parse(spark.read.text(src)).cache()
    n = p.count()
    rows = 0
    for name, q, _ in queries(p):
        rows += q.count()
    secs = time.time() - t0
    print(json.dumps({"lines": n, "rows": rows, "seconds": secs}))
else:
    raise SystemExit("mode must be rows, console, diff or bench")
spark.stop()
