/**
 * The Java SDK: {@link io.tally.client.TallyClient} batches events, sends them with timeouts,
 * retries with exponential backoff and full jitter, and a circuit breaker per node, and answers
 * queries as typed results. docs/client.md documents every option and the failure semantics.
 */
package io.tally.client;
