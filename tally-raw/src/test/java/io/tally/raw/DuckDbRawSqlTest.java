package io.tally.raw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawEvent;
import io.tally.core.raw.RawQueryException;
import io.tally.core.raw.RawSql;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DuckDbRawSqlTest {
  private static final long T0 = 1_764_900_000_000L;

  @TempDir Path dir;
  @TempDir Path outside;
  private DuckDbRawStore store;
  private DuckDbRawSql sql;

  @BeforeEach
  void open() {
    store = DuckDbRawStore.open(dir.resolve("raw"));
    List<RawEvent> events = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Event e = new Event("e" + i, "video:" + (i % 4), i % 2 == 0 ? "view" : "like", T0 + i, 2);
      events.add(new RawEvent(0, i, T0 + i, e, Map.of("channel", "c" + (i % 2))));
    }
    store.write(0, events, new Checkpoint(0, 100, T0 + 99, T0 + 60_000));
    sql = new DuckDbRawSql(store, RawConfig.DEFAULTS, 1);
  }

  @AfterEach
  void close() {
    sql.close();
    store.close();
  }

  @Test
  void answersQueriesOverTheEventsView() {
    RawSql.Answer a =
        sql.query(
            "SELECT type, count(DISTINCT entity) AS entities, sum(value) AS total FROM events"
                + " GROUP BY type ORDER BY type");
    assertThat(a.columns()).containsExactly("type", "entities", "total");
    assertThat(a.rows()).containsExactly(List.of("like", 2L, 100L), List.of("view", 2L, 100L));
    assertThat(a.asOfMillis()).isEqualTo(T0 + 60_000);
    assertThat(a.truncated()).isFalse();
  }

  /** The examples of docs/api.md, "POST /v1/query". */
  @Test
  void theDocumentedExamplesRun() {
    assertThat(
            sql.query(
                    "SELECT entity, date_trunc('hour', time) AS hour, count(*) AS views FROM events"
                        + " WHERE type = 'view' AND time >= TIMESTAMP '2025-12-05 00:00:00'"
                        + " - INTERVAL 3 DAY GROUP BY ALL ORDER BY hour, entity")
                .rows())
        .containsExactly(
            List.of("video:0", "2025-12-05T02:00:00Z", 25L),
            List.of("video:2", "2025-12-05T02:00:00Z", 25L));
    assertThat(
            sql.query(
                    "SELECT entity, count(*) FROM events WHERE time >= now()::TIMESTAMP - INTERVAL"
                        + " 3 DAY GROUP BY ALL")
                .columns())
        .hasSize(2);
    assertThat(
            sql.query(
                    "SELECT type, count(DISTINCT entity) AS entities, count(*) AS events FROM events"
                        + " GROUP BY type ORDER BY type")
                .rows())
        .containsExactly(List.of("like", 2L, 50L), List.of("view", 2L, 50L));
    assertThat(
            sql.query(
                    "SELECT attributes['channel'] AS channel, date_trunc('hour', time) AS hour,"
                        + " count(*) AS views FROM events WHERE type = 'view' GROUP BY ALL ORDER BY"
                        + " hour, channel")
                .rows())
        .containsExactly(List.of("c0", "2025-12-05T02:00:00Z", 50L));
  }

  @Test
  void answersTimesAsUtcAndAttributesAsMaps() {
    RawSql.Answer a = sql.query("SELECT time, attributes FROM events WHERE id = 'e1'");
    assertThat(a.rows().get(0))
        .containsExactly("2025-12-05T02:00:00.001Z", Map.of("channel", "c1"));
  }

  @Test
  void leavesOffRowsBeyondTheLimitAndSaysSo() {
    DuckDbRawSql small =
        new DuckDbRawSql(
            store, new RawConfig(true, null, 3_600_000, 60_000, 1, 10_000, 7, 64L << 20), 1);
    RawSql.Answer a = small.query("SELECT id FROM events");
    assertThat(a.rows()).hasSize(7);
    assertThat(a.truncated()).isTrue();
    small.close();
  }

  @Test
  void stopsAQueryAtTheTimeLimit() {
    DuckDbRawSql quick =
        new DuckDbRawSql(
            store, new RawConfig(true, null, 3_600_000, 60_000, 1, 200, 10, 64L << 20), 1);
    assertThatThrownBy(() -> quick.query("SELECT count(*) FROM range(100000000000) a"))
        .isInstanceOfSatisfying(
            RawQueryException.class,
            e -> assertThat(e.reason()).isEqualTo(RawQueryException.Reason.TIMEOUT));
    quick.close();
  }

  @Test
  void stopsAQueryAtTheMemoryLimit() {
    DuckDbRawSql small =
        new DuckDbRawSql(
            store, new RawConfig(true, null, 3_600_000, 60_000, 1, 60_000, 10, 16L << 20), 1);
    assertThatThrownBy(
            () ->
                small.query(
                    "SELECT count(*) FROM (SELECT DISTINCT repeat('x', 100) || i FROM range(10000000) t(i))"))
        .isInstanceOfSatisfying(
            RawQueryException.class,
            e -> assertThat(e.reason()).isEqualTo(RawQueryException.Reason.TOO_LARGE));
    small.close();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "CREATE TABLE t AS SELECT * FROM events",
        "INSERT INTO events VALUES (1)",
        "DROP VIEW events",
        "COPY (SELECT * FROM events) TO '%RAW%/stolen.parquet'",
        "COPY (SELECT 1) TO '%OUT%/x.csv'",
        "EXPORT DATABASE '%OUT%/db'",
        "ATTACH '%OUT%/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD json",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "PRAGMA memory_limit = '10GB'",
        "CALL pragma_version()",
        "SELECT 1; COPY (SELECT 1) TO '%RAW%/x.parquet'",
        "SELECT 1; SELECT 2",
      })
  void refusesEveryStatementButOneQuery(String statement) throws Exception {
    String s =
        statement.replace("%RAW%", store.dir().toString()).replace("%OUT%", outside.toString());
    assertThatThrownBy(() -> sql.query(s))
        .isInstanceOfSatisfying(
            RawQueryException.class,
            e -> assertThat(e.reason()).isEqualTo(RawQueryException.Reason.REFUSED));
    assertThat(sql.query("SELECT count(*) FROM events").rows().get(0)).containsExactly(100L);
    try (var files = Files.list(outside)) {
      assertThat(files).isEmpty();
    }
    assertThat(store.dir().resolve("x.parquet")).doesNotExist();
    assertThat(store.dir().resolve("stolen.parquet")).doesNotExist();
  }

  @Test
  void refusesToReadAFileOutsideTheRawStore() throws Exception {
    Path secret = outside.resolve("secret.csv");
    Files.writeString(secret, "a,b\n1,2\n");
    for (String q :
        List.of(
            "SELECT * FROM read_csv('" + secret + "')",
            "SELECT * FROM '" + secret + "'",
            "SELECT * FROM read_text('/etc/passwd')",
            "SELECT * FROM read_parquet('"
                + store.dir()
                + "/../../"
                + outside.getFileName()
                + "/secret.csv')",
            "SELECT * FROM read_json('https://example.com/x.json')")) {
      assertThatThrownBy(() -> sql.query(q))
          .as(q)
          .isInstanceOfSatisfying(
              RawQueryException.class,
              e -> assertThat(e.getMessage()).containsIgnoringCase("disabled"));
    }
  }
}
