package io.tally.postgres;

import io.tally.model.TallyException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The PostgreSQL schema of cluster mode, versioned by Flyway: the migrations are the SQL files
 * {@code db/tally/V<n>__<what>.sql} on the classpath, applied in order, each once, and recorded in
 * the schema's {@code flyway_schema_history} table. A released migration is never edited; a change
 * is a new version. At start every node migrates (Flyway locks the history table, so nodes that
 * start together apply each version once).
 *
 * <pre>
 * counters         PRIMARY KEY (entity, type, granularity, bucket)
 *                  count bigint, sum bigint (saturating: 2^63 − 1 means "too large to be exact"),
 *                  actors bytea (the row's {@link io.tally.core.uniques.ActorSketch}, or null),
 *                  position bigint: of the last delta applied (DESIGN.md invariant 5)
 * progress         PRIMARY KEY (partition): each event partition's last materialized checkpoint
 *                  (next offset, last append time, as-of) and the position that carried it
 * delta_positions  PRIMARY KEY (partition): each deltas-topic partition's last applied position
 * sources          PRIMARY KEY (name): the deltas topic's id and the generation of its positions
 * api_keys         PRIMARY KEY (id): record bytea ({@link io.tally.core.auth.ApiKeyCodec})
 * </pre>
 *
 * <p>Stateless.
 */
final class CounterSchema {
  /** Where the migrations are, on the classpath. */
  static final String LOCATION = "classpath:db/tally";

  private CounterSchema() {}

  /**
   * Creates {@code schema} if missing and applies the migrations it lacks.
   *
   * @return the schema version now in force
   * @throws TallyException if a migration fails, or the schema is newer than this code knows
   */
  static String migrate(DataSource dataSource, String schema) {
    try {
      MigrateResult result =
          Flyway.configure()
              .dataSource(dataSource)
              .schemas(schema)
              .defaultSchema(schema)
              .locations(LOCATION)
              .load()
              .migrate();
      return result.targetSchemaVersion != null
          ? result.targetSchemaVersion
          : result.initialSchemaVersion;
    } catch (FlywayException e) {
      throw new TallyException(
          "cannot migrate the PostgreSQL schema " + schema + ": " + e.getMessage(), e);
    }
  }
}
