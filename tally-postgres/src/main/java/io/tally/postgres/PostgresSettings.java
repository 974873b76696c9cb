package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.core.retention.Retention;
import java.util.regex.Pattern;

/**
 * How cluster mode reaches and uses one PostgreSQL database.
 *
 * @param jdbcUrl the database, {@code jdbc:postgresql://host:port/database}
 * @param user the role Tally connects as (it creates the schema's tables: Flyway migrations)
 * @param password its password; empty for trust or peer authentication (or {@code ~/.pgpass});
 *     {@link #toString()} never shows it
 * @param schema the schema Tally owns (created when missing); all its tables live there
 * @param maxPoolSize connections in the pool (HikariCP), shared by queries and the materializer
 * @param retention how long rows of each granularity are kept after their bucket ends
 */
public record PostgresSettings(
    String jdbcUrl,
    String user,
    String password,
    String schema,
    int maxPoolSize,
    Retention retention) {

  private static final Pattern SCHEMA = Pattern.compile("[a-z][a-z0-9_]{0,47}");

  public PostgresSettings {
    requireNonNull(jdbcUrl, "jdbcUrl");
    requireNonNull(user, "user");
    requireNonNull(password, "password");
    requireNonNull(retention, "retention");
    if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
      throw new IllegalArgumentException(
          "a PostgreSQL URL starts with jdbc:postgresql://, got '" + jdbcUrl + "'");
    }
    if (!SCHEMA.matcher(schema).matches()) {
      throw new IllegalArgumentException("schema must match " + SCHEMA + ", got '" + schema + "'");
    }
    if (maxPoolSize < 2 || maxPoolSize > 500) {
      throw new IllegalArgumentException("the pool needs 2 to 500 connections, got " + maxPoolSize);
    }
  }

  /**
   * {@code jdbcUrl} as user {@code tally} without a password: schema {@code tally}, 16 connections.
   */
  public static PostgresSettings defaults(String jdbcUrl) {
    return new PostgresSettings(jdbcUrl, "tally", "", "tally", 16, Retention.DEFAULTS);
  }

  public PostgresSettings withSchema(String s) {
    return new PostgresSettings(jdbcUrl, user, password, s, maxPoolSize, retention);
  }

  public PostgresSettings withUser(String u, String p) {
    return new PostgresSettings(jdbcUrl, u, p, schema, maxPoolSize, retention);
  }

  public PostgresSettings withPoolSize(int size) {
    return new PostgresSettings(jdbcUrl, user, password, schema, size, retention);
  }

  public PostgresSettings withRetention(Retention r) {
    return new PostgresSettings(jdbcUrl, user, password, schema, maxPoolSize, r);
  }

  /** The settings with the password, if any, shown as {@code [redacted]}. */
  @Override
  public String toString() {
    return "PostgresSettings[jdbcUrl="
        + jdbcUrl
        + ", user="
        + user
        + ", password="
        + (password.isEmpty() ? "" : "[redacted]")
        + ", schema="
        + schema
        + ", maxPoolSize="
        + maxPoolSize
        + ", retention="
        + retention
        + "]";
  }
}
