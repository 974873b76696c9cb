/**
 * Recount, backfill and audit (issue 18): the counter rows and Top-K slots of a closed range
 * rebuilt from the raw store and compared with the served ones ({@link
 * io.tally.core.recount.Recount}), swapped in while serving goes on, or only reported by the
 * continuous {@link io.tally.core.recount.Auditor}. The seams: {@link io.tally.core.raw.RawReader}
 * (the raw store read back) and {@link io.tally.core.recount.CounterRows} (a consistent snapshot of
 * the rows and slots, and their replacement).
 */
package io.tally.core.recount;
