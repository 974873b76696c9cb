package io.tally.cli;

import io.tally.server.security.SecurityConfig;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code tally serve}'s security options (docs/security.md); a picocli mixin. The defaults are
 * {@link SecurityConfig#DEFAULTS}'.
 */
final class SecurityOptions {
  @Option(names = "--auth", defaultValue = "auto",
      description = "'auto': API keys are required once any exists (and a non-loopback --host refuses to start "
          + "without one); 'required': always. Default: ${DEFAULT-VALUE}.")
  String auth;

  @Option(names = "--tls-cert", description = "PEM certificate chain: serve HTTPS (HTTP/2 via ALPN). Needs --tls-key.")
  Path tlsCert;

  @Option(names = "--tls-key", description = "PEM private key (PKCS#8 or PKCS#1) of --tls-cert.")
  Path tlsKey;

  @Option(names = "--rate-limit-per-key", defaultValue = "0",
      description = "Requests per second per API key (0: off); over it: 429 with Retry-After. Default: ${DEFAULT-VALUE}.")
  int perKey;

  @Option(names = "--rate-limit-per-address", defaultValue = "0",
      description = "Requests per second per client IP address (0: off). Default: ${DEFAULT-VALUE}.")
  int perAddress;

  @Option(names = "--header-timeout", defaultValue = "10s", converter = DurationConverter.class,
      description = "Longest wait for a complete request head (also the keep-alive idle time). Default: ${DEFAULT-VALUE}.")
  Duration headerTimeout;

  @Option(names = "--request-timeout", defaultValue = "60s", converter = DurationConverter.class,
      description = "Longest time from a request's head to its answer; beyond, the connection is closed. Default: ${DEFAULT-VALUE}.")
  Duration requestTimeout;

  @Option(names = "--idle-timeout", defaultValue = "120s", converter = DurationConverter.class,
      description = "A connection silent this long is closed. Default: ${DEFAULT-VALUE}.")
  Duration idleTimeout;

  @Option(names = "--max-connections", defaultValue = "10000", description = "Most open connections. Default: ${DEFAULT-VALUE}.")
  int maxConnections;

  @Option(names = "--max-concurrent-requests", defaultValue = "4096",
      description = "Most requests in progress; beyond: 503 with Retry-After. Default: ${DEFAULT-VALUE}.")
  int maxConcurrentRequests;

  @Option(names = "--max-header-bytes", defaultValue = "16384", description = "Most bytes of a request's headers. Default: ${DEFAULT-VALUE}.")
  int maxHeaderBytes;

  @Option(names = "--max-request-line-bytes", defaultValue = "8192",
      description = "Longest request line (method, URL, version). Default: ${DEFAULT-VALUE}.")
  int maxRequestLineBytes;

  /** @throws IllegalArgumentException naming the option that is wrong */
  SecurityConfig toConfig() {
    SecurityConfig.Auth a = switch (auth) {
      case "auto" -> SecurityConfig.Auth.AUTO;
      case "required" -> SecurityConfig.Auth.REQUIRED;
      default -> throw new IllegalArgumentException("--auth must be 'auto' or 'required', got '" + auth + "'");
    };
    return SecurityConfig.DEFAULTS
        .withAuth(a)
        .withTls(new SecurityConfig.Tls(tlsCert, tlsKey))
        .withRateLimits(new SecurityConfig.RateLimits(perKey, perAddress, SecurityConfig.RateLimits.OFF.maxTrackedClients()))
        .withLimits(new SecurityConfig.Limits(maxRequestLineBytes, maxHeaderBytes, headerTimeout.toMillis(),
            requestTimeout.toMillis(), idleTimeout.toMillis(), maxConnections, maxConcurrentRequests));
  }
}
