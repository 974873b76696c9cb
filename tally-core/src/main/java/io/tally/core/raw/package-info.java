/**
 * The raw store seam (the cold tier): the events that were counted, after deduplication, with the
 * attributes of their entity, exported per closed minute of log append time ({@link RawExport}) to
 * a {@link RawStore}, which records with each file the log range it holds so export is
 * exactly-once; and read-only SQL over them ({@link RawSql}). The Parquet/DuckDB implementation
 * lives in tally-raw.
 */
package io.tally.core.raw;
