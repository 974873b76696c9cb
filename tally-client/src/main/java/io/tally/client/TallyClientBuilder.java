package io.tally.client;

import static java.util.Objects.requireNonNull;

import io.tally.client.internal.ClientConfig;
import io.tally.client.internal.PemTrust;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Options of a {@link TallyClient}; only {@link #baseUrls} is required. Each setter validates its
 * argument at once; {@link #build()} checks the options against each other. docs/client.md lists
 * every option with its default. Not thread-safe; use from one thread, then discard.
 */
public final class TallyClientBuilder {
  private final List<URI> nodes = new ArrayList<>();
  private Duration connectTimeout = Duration.ofSeconds(2);
  private Duration requestTimeout = Duration.ofSeconds(10);
  private int maxBatchEvents = 500;
  private int maxBatchBytes = 1 << 20;
  private Duration linger = Duration.ofMillis(20);
  private int maxInFlightBatches = 4;
  private int bufferEvents = 100_000;
  private BufferFullPolicy bufferFullPolicy = BufferFullPolicy.BLOCK;
  private Duration blockTimeout = Duration.ofSeconds(10);
  private int maxAttempts = 8;
  private Duration initialBackoff = Duration.ofMillis(100);
  private Duration maxBackoff = Duration.ofSeconds(5);
  private float breakerFailureRatePercent = 50;
  private int breakerWindowCalls = 20;
  private int breakerMinimumCalls = 10;
  private Duration breakerOpenDuration = Duration.ofSeconds(5);
  private int breakerHalfOpenCalls = 2;
  private boolean gzip = true;
  private int gzipMinBytes = 1024;
  private ClientListener listener = ClientListener.NONE;
  private InstantSource clock = InstantSource.system();
  private String apiKey;
  private Path caFile;
  private SSLContext sslContext;

  TallyClientBuilder() {}

  /** One or more nodes, e.g. {@code http://tally-1:8080}; requests go round-robin over them. */
  public TallyClientBuilder baseUrls(String... urls) {
    for (String url : urls) {
      URI uri =
          URI.create(
              requireNonNull(url, "url").endsWith("/") ? url.substring(0, url.length() - 1) : url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "base URL must be http(s)://host[:port], got '" + url + "'");
      }
      nodes.add(uri);
    }
    return this;
  }

  /** Time to open a TCP connection (default 2 s). */
  public TallyClientBuilder connectTimeout(Duration d) {
    connectTimeout = positive(d, "connectTimeout");
    return this;
  }

  /** Time for one request's answer, per attempt (default 10 s). */
  public TallyClientBuilder requestTimeout(Duration d) {
    requestTimeout = positive(d, "requestTimeout");
    return this;
  }

  /** Most events per request (default 500; the server takes at most 50,000). */
  public TallyClientBuilder maxBatchEvents(int n) {
    maxBatchEvents = range(n, 1, 50_000, "maxBatchEvents");
    return this;
  }

  /**
   * Most uncompressed JSON bytes per request (default 1 MiB; the server's default limit is 4 MiB).
   */
  public TallyClientBuilder maxBatchBytes(int n) {
    maxBatchBytes = range(n, 1024, 64 << 20, "maxBatchBytes");
    return this;
  }

  /** How long a batch waits for more events before it is sent (default 20 ms; 0: send at once). */
  public TallyClientBuilder linger(Duration d) {
    linger = nonNegative(d, "linger");
    return this;
  }

  /** Batches sent concurrently (default 4). */
  public TallyClientBuilder maxInFlightBatches(int n) {
    maxInFlightBatches = range(n, 1, 1024, "maxInFlightBatches");
    return this;
  }

  /** Most events waiting to be batched (default 100,000), and what {@code send} does beyond. */
  public TallyClientBuilder buffer(int events, BufferFullPolicy policy) {
    bufferEvents = range(events, 1, Integer.MAX_VALUE, "buffer events");
    bufferFullPolicy = requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Under {@link BufferFullPolicy#BLOCK}: the longest {@code send} waits for room (default 10 s).
   */
  public TallyClientBuilder blockTimeout(Duration d) {
    blockTimeout = nonNegative(d, "blockTimeout");
    return this;
  }

  /**
   * Retries: at most {@code attempts} tries per request (default 8; 1: no retry); before try n+1
   * the client waits a uniformly random time in [1 ms, min(maxBackoff, initialBackoff × 2^(n−1))]
   * (exponential backoff with full jitter; defaults 100 ms and 5 s).
   */
  public TallyClientBuilder retry(int attempts, Duration initialBackoff, Duration maxBackoff) {
    maxAttempts = range(attempts, 1, 1000, "attempts");
    this.initialBackoff = positive(initialBackoff, "initialBackoff");
    this.maxBackoff = positive(maxBackoff, "maxBackoff");
    return this;
  }

  /**
   * The circuit breaker of each node: it opens when at least {@code failureRatePercent} of the last
   * {@code windowCalls} calls failed (after {@code minimumCalls}), skips the node for {@code
   * openDuration}, then lets {@code halfOpenCalls} trial calls decide (defaults 50 %, 20, 10, 5 s,
   * 2).
   */
  public TallyClientBuilder circuitBreaker(
      float failureRatePercent,
      int windowCalls,
      int minimumCalls,
      Duration openDuration,
      int halfOpenCalls) {
    if (!(failureRatePercent > 0 && failureRatePercent <= 100)) {
      throw new IllegalArgumentException(
          "failureRatePercent must be in (0, 100], got " + failureRatePercent);
    }
    breakerFailureRatePercent = failureRatePercent;
    breakerWindowCalls = range(windowCalls, 1, 100_000, "windowCalls");
    breakerMinimumCalls = range(minimumCalls, 1, 100_000, "minimumCalls");
    breakerOpenDuration = positive(openDuration, "openDuration");
    breakerHalfOpenCalls = range(halfOpenCalls, 1, 1000, "halfOpenCalls");
    return this;
  }

  /**
   * Gzip request bodies of at least {@code minBytes} (default on, 1024); Tally servers accept it.
   */
  public TallyClientBuilder gzip(boolean on, int minBytes) {
    gzip = on;
    gzipMinBytes = range(minBytes, 0, Integer.MAX_VALUE, "minBytes");
    return this;
  }

  public TallyClientBuilder listener(ClientListener l) {
    listener = requireNonNull(l, "listener");
    return this;
  }

  /** The clock that stamps events sent without a time (default: the system clock). */
  public TallyClientBuilder clock(InstantSource c) {
    clock = requireNonNull(c, "clock");
    return this;
  }

  /**
   * The API key sent as {@code Authorization: Bearer <key>} on every request (default none: for a
   * server that runs without keys). It needs the {@code ingest} scope to send and {@code query} to
   * query. Never logged nor put in an exception message; send it over https beyond loopback.
   */
  public TallyClientBuilder apiKey(String key) {
    requireNonNull(key, "apiKey");
    if (key.isBlank() || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException(
          "apiKey must be printable ASCII without spaces (as tally keys create prints it)");
    }
    apiKey = key;
    return this;
  }

  /**
   * For https base URLs, trust exactly the certificates in this PEM file (a private CA, or the
   * server's self-signed certificate) instead of the JDK's trust store. Read at once.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or holds no certificate
   */
  public TallyClientBuilder trustCaFile(Path pemFile) {
    if (sslContext != null && caFile == null) {
      throw new IllegalStateException("sslContext is already set; give either it or trustCaFile");
    }
    sslContext = PemTrust.trusting(requireNonNull(pemFile, "pemFile"));
    caFile = pemFile;
    return this;
  }

  /**
   * For https base URLs, the TLS setup to use (e.g. with a client certificate); default: the JDK's.
   */
  public TallyClientBuilder sslContext(SSLContext context) {
    if (caFile != null) {
      throw new IllegalStateException(
          "trustCaFile(" + caFile + ") is already set; give either it or sslContext");
    }
    sslContext = requireNonNull(context, "sslContext");
    return this;
  }

  /** Starts the client's sender thread. */
  public TallyClient build() {
    if (nodes.isEmpty()) {
      throw new IllegalStateException("no base URL: call baseUrls(\"http://host:8080\")");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalStateException(
          "maxBackoff " + maxBackoff + " is below initialBackoff " + initialBackoff);
    }
    if (caFile != null && nodes.stream().noneMatch(n -> "https".equals(n.getScheme()))) {
      throw new IllegalStateException(
          "trustCaFile(" + caFile + ") is set but no base URL is https: " + nodes);
    }
    if (breakerMinimumCalls > breakerWindowCalls) {
      throw new IllegalStateException(
          "breaker minimumCalls "
              + breakerMinimumCalls
              + " exceeds windowCalls "
              + breakerWindowCalls);
    }
    return new TallyClient(
        new ClientConfig(
            nodes,
            connectTimeout,
            requestTimeout,
            maxBatchEvents,
            maxBatchBytes,
            linger,
            maxInFlightBatches,
            bufferEvents,
            bufferFullPolicy,
            blockTimeout,
            maxAttempts,
            initialBackoff,
            maxBackoff,
            breakerFailureRatePercent,
            breakerWindowCalls,
            breakerMinimumCalls,
            breakerOpenDuration,
            breakerHalfOpenCalls,
            gzip,
            gzipMinBytes,
            listener,
            clock,
            apiKey,
            sslContext));
  }

  private static Duration positive(Duration d, String name) {
    if (requireNonNull(d, name).isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
    return d;
  }

  private static Duration nonNegative(Duration d, String name) {
    if (requireNonNull(d, name).isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
    return d;
  }

  private static int range(int n, int min, int max, String name) {
    if (n < min || n > max) {
      throw new IllegalArgumentException(
          name + " must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }
}
