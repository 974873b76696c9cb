package io.tally.client.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.tally.client.ClientListener;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The nodes and their circuit breakers (Resilience4j, count-based window). {@link #acquire()} goes
 * round-robin and skips a node whose breaker does not permit a call (open, or half-open with its
 * trial calls taken). Thread-safe.
 */
public final class NodePool {
  /**
   * A node and its breaker. The caller of {@link #acquire()} must report the call's outcome to it.
   */
  public record Node(URI uri, CircuitBreaker breaker) {}

  private final List<Node> nodes = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  public NodePool(ClientConfig config) {
    CircuitBreakerConfig breakerConfig =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(config.breakerWindowCalls())
            .minimumNumberOfCalls(config.breakerMinimumCalls())
            .failureRateThreshold(config.breakerFailureRatePercent())
            .waitDurationInOpenState(config.breakerOpenDuration())
            .permittedNumberOfCallsInHalfOpenState(config.breakerHalfOpenCalls())
            .build();
    ClientListener listener = config.listener();
    for (URI uri : config.nodes()) {
      CircuitBreaker breaker = CircuitBreaker.of(uri.toString(), breakerConfig);
      breaker
          .getEventPublisher()
          .onStateTransition(
              e ->
                  listener.onBreakerTransition(
                      uri,
                      e.getStateTransition().getFromState(),
                      e.getStateTransition().getToState()));
      nodes.add(new Node(uri, breaker));
    }
  }

  /**
   * The next node whose breaker permits a call (the permission is taken).
   *
   * @throws RetriableException when no node's breaker permits one
   */
  public Node acquire() {
    int n = nodes.size();
    int start = Math.floorMod(next.getAndIncrement(), n);
    for (int i = 0; i < n; i++) {
      Node node = nodes.get((start + i) % n);
      if (node.breaker().tryAcquirePermission()) {
        return node;
      }
    }
    throw new RetriableException(
        "every node's circuit breaker is open: " + nodes.stream().map(Node::uri).toList(), 0, null);
  }

  /** The breaker state of {@code uri}. */
  public CircuitBreaker.State state(URI uri) {
    for (Node node : nodes) {
      if (node.uri().equals(uri)) {
        return node.breaker().getState();
      }
    }
    throw new IllegalArgumentException("not a node of this client: " + uri);
  }
}
