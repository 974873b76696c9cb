package io.tally.client.internal;

import static java.util.Objects.requireNonNull;

import io.tally.client.BufferFullPolicy;
import io.tally.client.ClientListener;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * The validated options of one client, as {@code TallyClient.Builder} made them; docs/client.md
 * lists each with its default. Immutable. {@link #toString()} never shows the API key.
 *
 * @param apiKey sent as {@code Authorization: Bearer}; null for none
 * @param sslContext the TLS trust for https nodes; null for the JDK's default
 */
public record ClientConfig(
    List<URI> nodes,
    Duration connectTimeout,
    Duration requestTimeout,
    int maxBatchEvents,
    int maxBatchBytes,
    Duration linger,
    int maxInFlightBatches,
    int bufferEvents,
    BufferFullPolicy bufferFullPolicy,
    Duration blockTimeout,
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff,
    float breakerFailureRatePercent,
    int breakerWindowCalls,
    int breakerMinimumCalls,
    Duration breakerOpenDuration,
    int breakerHalfOpenCalls,
    boolean gzip,
    int gzipMinBytes,
    ClientListener listener,
    InstantSource clock,
    String apiKey,
    SSLContext sslContext) {

  public ClientConfig {
    nodes = List.copyOf(nodes);
    requireNonNull(bufferFullPolicy, "bufferFullPolicy");
    requireNonNull(listener, "listener");
    requireNonNull(clock, "clock");
  }

  @Override
  public String toString() {
    return "ClientConfig[nodes="
        + nodes
        + ", apiKey="
        + (apiKey == null ? "none" : "(set, not shown)")
        + ", sslContext="
        + (sslContext == null ? "default" : "custom")
        + ", maxAttempts="
        + maxAttempts
        + ", …]";
  }
}
