package io.tally.core.auth;

import java.util.Locale;

/** What a key may do: send events, read counts, or administer keys and entity attributes. */
public enum Scope {
  INGEST,
  QUERY,
  ADMIN;

  /** The name used on the wire and in the CLI: {@code ingest}, {@code query}, {@code admin}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @throws IllegalArgumentException naming the allowed scopes, for an unknown name
   */
  public static Scope parse(String name) {
    for (Scope s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown scope '" + name + "'; allowed: ingest, query, admin");
  }
}
