/**
 * The raw store seam (the cold tier): the events that were counted, after deduplication, with the
 * attributes of their entity, exported per closed minute of log append time ({@link RawExport}) to
 * a {@link RawStore}, which records with each file the log range it holds so export is
 * exactly-once, and the {@link RawGap}s of log records lost before export; read-only SQL over them
 * ({@link RawSql}); and a {@link RawReader} that reads them back for recount and audit ({@link
 * io.tally.core.recount}). The Parquet/DuckDB implementation lives in tally-raw.
 */
package io.tally.core.raw;
