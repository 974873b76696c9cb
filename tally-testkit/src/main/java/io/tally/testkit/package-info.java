/**
 * What tests share: a manual clock, in-memory implementations of the seams, and the abstract
 * contract suites ({@link io.tally.testkit.EventLogContract}, {@link
 * io.tally.testkit.CounterStoreContract}, {@link io.tally.testkit.DeltaSinkContract}, {@link
 * io.tally.testkit.ApiKeyStoreContract}) that every implementation — in-memory, RocksDB, Kafka and
 * Cassandra, each where it implements the seam — must pass; a {@link
 * io.tally.testkit.FaultyDeltaSink} that fails on demand; and a self-signed {@link
 * io.tally.testkit.TestCertificate} for TLS tests.
 *
 * <p>Core's own tests that run on these fixtures (the processor, queries, top-K, API keys) live in
 * the tests-only module tally-core-tests: tally-core cannot depend on this module, which depends on
 * it.
 */
package io.tally.testkit;
