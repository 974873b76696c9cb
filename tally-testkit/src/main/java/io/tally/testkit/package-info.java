/**
 * What tests share: a manual clock, in-memory implementations of the seams, and the abstract
 * contract suites ({@link io.tally.testkit.EventLogContract}, {@link
 * io.tally.testkit.CounterStoreContract}) that every implementation — in-memory, RocksDB, and later
 * Kafka and Cassandra — must pass; and a self-signed {@link io.tally.testkit.TestCertificate} for
 * TLS tests.
 */
package io.tally.testkit;
