package io.tally.model;

import java.util.Locale;

/**
 * How many replicas stood behind a cluster-mode answer: its {@code "consistency"} field, beside
 * {@code asOf}. An embedded server (one copy) states none.
 */
public enum Consistency {
  /** Read at the configured consistency level, a quorum of the replicas (or more). */
  QUORUM,
  /**
   * Read from one replica: configured so, or fallen back to because a quorum could not be reached
   * (the answer may be staler than its {@code asOf} says, if that replica missed writes).
   */
  ONE;

  /** {@code quorum} or {@code one}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @throws IllegalArgumentException if {@code name} is neither {@code quorum} nor {@code one}
   */
  public static Consistency fromWireName(String name) {
    for (Consistency c : values()) {
      if (c.wireName().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("consistency must be quorum or one, got '" + name + "'");
  }
}
