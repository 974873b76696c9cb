/**
 * The embedded column of DESIGN.md on one RocksDB database: the event log ({@link
 * io.tally.rocksdb.RocksDbEventLog}), the counter rows with their checkpoints ({@link
 * io.tally.rocksdb.RocksDbCounterStore}, which is also the delta sink), and the data-dir format
 * ({@link io.tally.rocksdb.RocksDbStorage}). Every byte layout is owned by one {@code *Descriptor}
 * class.
 */
package io.tally.rocksdb;
