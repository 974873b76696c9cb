package io.tally.rocksdb;

/**
 * When the embedded log syncs its appends to disk.
 *
 * @param intervalMillis 0: every append is fsync'd before it is acknowledged, with concurrent
 *     appends sharing one fsync (group commit). Above 0: appends are acknowledged once written to
 *     the OS, and the log is fsync'd every {@code intervalMillis}; a process crash loses nothing, a
 *     power loss or kernel crash may lose the last interval of acknowledged events.
 */
public record FsyncPolicy(long intervalMillis) {
  public static final FsyncPolicy ALWAYS = new FsyncPolicy(0);

  public FsyncPolicy {
    if (intervalMillis < 0) {
      throw new IllegalArgumentException("fsync interval must not be negative");
    }
  }

  public boolean syncEachAppend() {
    return intervalMillis == 0;
  }

  /** Parses {@code always} or an interval like {@code 100ms} or {@code 1s}. */
  public static FsyncPolicy parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (t.equals("always")) {
        return ALWAYS;
      } else if (t.endsWith("ms")) {
        return positive(Long.parseLong(t.substring(0, t.length() - 2)));
      } else if (t.endsWith("s")) {
        return positive(Math.multiplyExact(Long.parseLong(t.substring(0, t.length() - 1)), 1000));
      }
    } catch (NumberFormatException | ArithmeticException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        "fsync must be 'always' or an interval such as 100ms or 1s; got '" + text + "'");
  }

  private static FsyncPolicy positive(long millis) {
    if (millis <= 0) {
      throw new NumberFormatException();
    }
    return new FsyncPolicy(millis);
  }
}
