"""The seed job's processing-time pipeline on Kafka (PySpark + spark-sql-kafka), for a live
side-by-side with the analyzer on the same topic: readStream kafka (startingOffsets latest),
CAST(value AS STRING), current_timestamp(), the seed's regexes, a 60-second window, complete mode,
console sink (truncate false, numRows 20).

  PYSPARK_SUBMIT_ARGS="--jars <.stack/pyspark-jars/*.jar comma-separated> pyspark-shell" \
    python seed_kafka.py BROKERS TOPIC TRIGGER QUERY SECONDS

QUERY is one of the six seed queries; the process stops after SECONDS.
"""
import sys

from pyspark.sql import SparkSession
from pyspark.sql.functions import col, current_timestamp, regexp_extract, window
from pyspark.sql.types import IntegerType

brokers, topic, trigger, query, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
spark = (
    SparkSession.builder.master("local[2]").appName("seed-kafka")
    .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
kafka_df = (
    spark.readStream.format("kafka").option("kafka.bootstrap.servers", brokers)
    .option("subscribe", topic).option("startingOffsets", "latest").load()
)
logs = kafka_df.selectExpr("CAST(value AS STRING) as log_line").withColumn("processing_time", current_timestamp())
p = (
    logs.withColumn("ip", regexp_extract(col("log_line"), r"^(\S+)", 1))
    .withColumn("method", regexp_extract(col("log_line"), r"\"(\S+)", 1))
    .withColumn("endpoint", regexp_extract(col("log_line"), r"\"(?:\S+) (\S+)", 1))
    .withColumn("status", regexp_extract(col("log_line"), r" (\d{3}) ", 1).cast(IntegerType()))
)
w = window(col("processing_time"), "60 seconds")
q = {
    "total_requests": lambda: p.groupBy(w).count().withColumnRenamed("count", "total_requests").orderBy(col("window").desc()),
    "status_distribution": lambda: p.groupBy(w, "status").count().orderBy(col("window").desc(), "status"),
    "method_distribution": lambda: p.groupBy(w, "method").count().orderBy(col("window").desc(), col("count").desc()),
    "error_rates": lambda: p.filter(col("status") >= 400).groupBy(w, "status").count().orderBy(col("window").desc(), "status"),
}[query]()
s = (
    q.writeStream.outputMode("complete").format("console").trigger(processingTime=trigger)
    .option("truncate", "false").option("numRows", 20).start()
)
s.awaitTermination(seconds)
s.stop()
spark.stop()
