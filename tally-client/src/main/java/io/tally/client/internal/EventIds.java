package io.tally.client.internal;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Event ids the client makes when the caller gives none: UUIDv7 layout (RFC 9562), i.e. 48 bits of
 * epoch milliseconds, then 74 random bits, so ids sort by creation time and collide with negligible
 * probability. The id is fixed when the event is handed to the client, so every retry of it carries
 * the same id and the server counts it once.
 *
 * <p>Thread-safe.
 */
public final class EventIds {
  private EventIds() {}

  /**
   * A new id for an event created at {@code epochMillis}, e.g. {@code
   * 019a1b2c-3d4e-7f60-8a1b-2c3d4e5f6071}.
   */
  public static String next(long epochMillis) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long msb = (epochMillis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
    long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb).toString();
  }
}
