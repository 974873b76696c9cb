package io.tally.server.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;

/**
 * A request rate limit per client (an API key id or an IP address): one Resilience4j {@link
 * RateLimiter} per client, whose permits refill every second, held in a bounded Caffeine cache
 * (least recently seen clients are dropped first, and with them their count). Never blocks: a
 * request over the limit is refused at once. Thread-safe.
 */
final class ClientRateLimiter {
  /** Seconds a refused client should wait: permits refill at most a second later. */
  static final int RETRY_AFTER_SECONDS = 1;

  private final RateLimiterConfig config;
  private final Cache<String, RateLimiter> limiters;

  /**
   * @param perSecond permits per second per client, positive
   */
  ClientRateLimiter(int perSecond, int maxClients) {
    config =
        RateLimiterConfig.custom()
            .limitForPeriod(perSecond)
            .limitRefreshPeriod(Duration.ofSeconds(1))
            .timeoutDuration(Duration.ZERO)
            .build();
    limiters =
        Caffeine.newBuilder()
            .maximumSize(maxClients)
            .expireAfterAccess(Duration.ofMinutes(2))
            .build();
  }

  /** Takes one permit for {@code client}; false when its limit for this second is used up. */
  boolean tryAcquire(String client) {
    return limiters.get(client, c -> RateLimiter.of(c, config)).acquirePermission();
  }
}
