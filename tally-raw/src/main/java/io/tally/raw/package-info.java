/**
 * The raw store on Parquet through DuckDB: {@link io.tally.raw.DuckDbRawStore} writes the counted
 * events as compressed Parquet files under {@code day=…/hour=…} directories of log append time and
 * keeps the {@link io.tally.raw.RawManifest} that says which log range each file holds; {@link
 * io.tally.raw.DuckDbRawSql} answers read-only SQL over them in a locked-down DuckDB; {@link
 * io.tally.raw.DuckDbRawReader} reads them back for recount and audit.
 */
package io.tally.raw;
