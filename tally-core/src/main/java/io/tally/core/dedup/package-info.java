/** The per-partition window of recently seen event ids that makes client retries idempotent. */
package io.tally.core.dedup;
