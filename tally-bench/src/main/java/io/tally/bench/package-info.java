/**
 * JMH benchmarks of the hot paths of the embedded pipeline, one class per path: JSON parsing, the
 * log's event codec, the partitioner, the dedup window, the aggregator and the RocksDB delta write.
 * Build with {@code mvn -pl tally-bench -am package -DskipTests}, run with {@code java -jar
 * tally-bench/target/benchmarks.jar}; docs/benchmarks.md has results.
 */
package io.tally.bench;
