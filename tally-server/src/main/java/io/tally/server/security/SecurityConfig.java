package io.tally.server.security;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * The gateway's security settings: auth, TLS, rate limits and the hardened connection limits.
 * docs/security.md explains each; the defaults keep {@code ./tally serve} on loopback a one-command
 * start.
 *
 * @param auth when API keys are required
 * @param tls the PEM certificate and key, or {@link Tls#NONE} for plain HTTP
 * @param rateLimits requests per second per key and per client address
 * @param limits header sizes, timeouts and connection/request caps
 * @param keyRefreshMillis how often each node re-reads the key store (so a revocation made on
 *     another node takes effect here within about this long)
 */
public record SecurityConfig(
    Auth auth, Tls tls, RateLimits rateLimits, Limits limits, long keyRefreshMillis) {
  /** Auto auth, no TLS, no rate limits, the default limits, keys re-read every second. */
  public static final SecurityConfig DEFAULTS =
      new SecurityConfig(Auth.AUTO, Tls.NONE, RateLimits.OFF, Limits.DEFAULTS, 1000);

  public SecurityConfig {
    requireNonNull(auth, "auth");
    requireNonNull(tls, "tls");
    requireNonNull(rateLimits, "rateLimits");
    requireNonNull(limits, "limits");
    if (keyRefreshMillis < 100 || keyRefreshMillis > 60_000) {
      throw new IllegalArgumentException(
          "key refresh must be between 100 ms and 60 s, got " + keyRefreshMillis);
    }
  }

  /**
   * {@code AUTO}: keys are required once any key exists in the store (made with {@code tally keys
   * create}); without keys the server runs open, which it agrees to only on a loopback address.
   * {@code REQUIRED}: keys are always required, even before the first exists.
   */
  public enum Auth {
    AUTO,
    REQUIRED
  }

  /**
   * PEM files for HTTPS (HTTP/2 is offered through ALPN). Both null: plain HTTP.
   *
   * @param certPath the certificate chain, leaf first
   * @param keyPath the private key (PKCS#8 or PKCS#1)
   */
  public record Tls(Path certPath, Path keyPath) {
    public static final Tls NONE = new Tls(null, null);

    public Tls {
      if ((certPath == null) != (keyPath == null)) {
        throw new IllegalArgumentException("TLS needs both a certificate file and a key file");
      }
    }

    public boolean enabled() {
      return certPath != null;
    }
  }

  /**
   * Token buckets refilled every second; 0 turns a limit off. A request over a limit gets 429 with
   * {@code Retry-After}.
   *
   * @param perKeyPerSecond requests per second one API key may make (all nodes count separately)
   * @param perAddressPerSecond requests per second one client IP address may make, before auth
   * @param maxTrackedClients most keys and addresses with a bucket held at once (least recently
   *     seen go first)
   */
  public record RateLimits(int perKeyPerSecond, int perAddressPerSecond, int maxTrackedClients) {
    public static final RateLimits OFF = new RateLimits(0, 0, 100_000);

    public RateLimits {
      if (perKeyPerSecond < 0 || perAddressPerSecond < 0) {
        throw new IllegalArgumentException("rate limits must be 0 (off) or positive");
      }
      if (maxTrackedClients < 1) {
        throw new IllegalArgumentException("max tracked clients must be positive");
      }
    }
  }

  /**
   * The hardened HTTP limits.
   *
   * @param maxRequestLineBytes longest request line ({@code GET /v1/total?… HTTP/1.1}); beyond: 414
   * @param maxHeaderBytes most bytes of all headers of a request; beyond: 431
   * @param headerTimeoutMillis how long a connection may take to deliver a request's head, counted
   *     from when it opened or its previous response ended (also the keep-alive idle time)
   * @param requestTimeoutMillis how long a request may take from its head to its response; beyond,
   *     its connection is closed (HTTP/2: its stream is reset). Stops clients that dribble a body.
   * @param idleTimeoutMillis a connection with no bytes either way for this long is closed
   * @param maxConnections most open connections; more are closed at once
   * @param maxConcurrentRequests most requests in progress at once; more get 503 with Retry-After
   */
  public record Limits(
      int maxRequestLineBytes,
      int maxHeaderBytes,
      long headerTimeoutMillis,
      long requestTimeoutMillis,
      long idleTimeoutMillis,
      int maxConnections,
      int maxConcurrentRequests) {
    public static final Limits DEFAULTS =
        new Limits(8192, 16384, 10_000, 60_000, 120_000, 10_000, 4096);

    public Limits {
      if (maxRequestLineBytes < 256 || maxHeaderBytes < 1024) {
        throw new IllegalArgumentException(
            "request line limit must be at least 256 and header limit at least 1024 bytes");
      }
      if (headerTimeoutMillis < 1 || requestTimeoutMillis < 1 || idleTimeoutMillis < 1) {
        throw new IllegalArgumentException("timeouts must be positive");
      }
      if (maxConnections < 1 || maxConcurrentRequests < 1) {
        throw new IllegalArgumentException("connection and request caps must be positive");
      }
    }
  }

  public SecurityConfig withAuth(Auth a) {
    return new SecurityConfig(a, tls, rateLimits, limits, keyRefreshMillis);
  }

  public SecurityConfig withTls(Tls t) {
    return new SecurityConfig(auth, t, rateLimits, limits, keyRefreshMillis);
  }

  public SecurityConfig withRateLimits(RateLimits r) {
    return new SecurityConfig(auth, tls, r, limits, keyRefreshMillis);
  }

  public SecurityConfig withLimits(Limits l) {
    return new SecurityConfig(auth, tls, rateLimits, l, keyRefreshMillis);
  }

  public SecurityConfig withKeyRefreshMillis(long millis) {
    return new SecurityConfig(auth, tls, rateLimits, limits, millis);
  }
}
