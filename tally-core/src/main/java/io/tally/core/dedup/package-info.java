/**
 * The per-partition window of recently seen event identities, (entity, id), that makes client
 * retries idempotent.
 */
package io.tally.core.dedup;
