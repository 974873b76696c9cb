package io.tally.client;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.time.Duration;

/**
 * Observes the client's retries and circuit breakers (for logs and metrics). Called on the client's
 * own threads: implementations must be thread-safe and quick.
 */
public interface ClientListener {
  ClientListener NONE = new ClientListener() {};

  /**
   * A request failed retriably and will be sent again after {@code wait}.
   *
   * @param attempt the number of the attempt that failed, from 1
   */
  default void onRetry(int attempt, Duration wait, Throwable cause) {}

  /**
   * One attempt of a request came to an end: sent to {@code node}, answered with {@code status}, or
   * 0 when no answer arrived (refused, reset, timed out). Every attempt reports here, retried or
   * not, so a listener can tell how many requests succeeded on their first try.
   *
   * @param path the request's path without its query, e.g. {@code /v1/events}
   */
  default void onAttempt(URI node, String path, int status, Duration elapsed) {}

  /** The circuit breaker of {@code node} moved from one state to another. */
  default void onBreakerTransition(URI node, CircuitBreaker.State from, CircuitBreaker.State to) {}
}
