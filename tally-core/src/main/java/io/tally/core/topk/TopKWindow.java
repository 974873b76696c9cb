package io.tally.core.topk;

import java.util.Locale;

/**
 * A sliding window that Top-K answers cover, and the slots it is kept in.
 *
 * <p>A window of length W is kept in slots of {@code max(1 minute, W / 12)} rounded down to whole
 * minutes, aligned to the UTC epoch. A query at {@code now} merges every slot whose end is after
 * {@code now − W}: it covers {@code [slotStart(now − W), now]}, which is W plus less than one slot
 * (so a 1 h window answers over the last 60 to 65 minutes). Slots are the unit of expiry too: a
 * slot that ends at or before {@code now − W} is never read again and is dropped.
 *
 * @param millis the window length: whole minutes, from 1 minute to 7 days (the default minute
 *     retention, beyond which no new minute deltas arrive)
 */
public record TopKWindow(long millis) {
  private static final long MINUTE = 60_000L;
  private static final long HOUR = 3_600_000L;
  private static final long DAY = 86_400_000L;
  static final long MAX_MILLIS = 7 * DAY;

  /** A window is kept in about this many slots. */
  static final int SLOTS_PER_WINDOW = 12;

  public TopKWindow {
    if (millis < MINUTE || millis > MAX_MILLIS || millis % MINUTE != 0) {
      throw new IllegalArgumentException(
          "a top-K window must be whole minutes between 1m and 7d, got " + millis + " ms");
    }
  }

  /**
   * Parses {@code 5m}, {@code 1h}, {@code 24h}, {@code 7d} (a number and a unit m, h or d).
   *
   * @throws IllegalArgumentException if {@code text} is not such a duration or out of range
   */
  public static TopKWindow parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.length() >= 2
        && t.length() <= 8
        && t.substring(0, t.length() - 1).chars().allMatch(Character::isDigit)) {
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      long unit =
          switch (t.charAt(t.length() - 1)) {
            case 'm' -> MINUTE;
            case 'h' -> HOUR;
            case 'd' -> DAY;
            default -> 0;
          };
      if (unit != 0 && n > 0 && n <= MAX_MILLIS / unit) {
        return new TopKWindow(n * unit);
      }
    }
    throw new IllegalArgumentException(
        "a top-K window is a number of minutes, hours or days between 1m and 7d, "
            + "such as 5m, 1h or 24h; got '"
            + text
            + "'");
  }

  /**
   * The canonical name: whole hours as {@code <n>h} (so one day is {@code 24h}), else {@code <n>m}.
   */
  public String wireName() {
    return millis % HOUR == 0 ? millis / HOUR + "h" : millis / MINUTE + "m";
  }

  /** Length of this window's slots: {@code max(1 minute, W / 12)} rounded down to whole minutes. */
  public long slotMillis() {
    return Math.max(MINUTE, millis / SLOTS_PER_WINDOW / MINUTE * MINUTE);
  }

  /** Start of the slot holding {@code epochMillis}. */
  public long slotStart(long epochMillis) {
    long slot = slotMillis();
    return Math.floorDiv(epochMillis, slot) * slot;
  }

  /**
   * Start of the oldest slot a query at {@code nowMillis} merges: the slot holding {@code now − W}.
   */
  public long firstSlotStart(long nowMillis) {
    return slotStart(nowMillis - millis);
  }

  /**
   * Whether the slot starting at {@code slotStartMillis} is past this window at {@code nowMillis}.
   */
  public boolean expired(long slotStartMillis, long nowMillis) {
    return slotStartMillis < firstSlotStart(nowMillis);
  }

  /**
   * When the slot starting at {@code slotStartMillis} leaves this window: its end plus the window.
   */
  public long expiresAtMillis(long slotStartMillis) {
    return slotStartMillis + slotMillis() + millis;
  }

  @Override
  public String toString() {
    return wireName();
  }
}
