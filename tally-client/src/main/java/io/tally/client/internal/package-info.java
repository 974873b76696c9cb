/**
 * The SDK's machinery, not API: the event buffer and its sender thread, the node pool with its
 * circuit breakers, the HTTP transport (API key, TLS trust from a CA file, Retry-After), the
 * backoff and the id generator.
 */
package io.tally.client.internal;
