package io.tally.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real PostgreSQL from the machine's package: started, stopped, killed and started again. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostgresServerTest {
  /** Under target: a JUnit temp dir is closed to others, and the server user must reach it. */
  private final Path base = Path.of("target", "postgres-server-test-" + System.nanoTime());

  private static Connection connect(PostgresServer server) throws SQLException {
    return DriverManager.getConnection(server.jdbcUrl(), PostgresServer.USER, "");
  }

  private static long count(PostgresServer server) throws SQLException {
    try (Connection c = connect(server);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM t")) {
      r.next();
      return r.getLong(1);
    }
  }

  @Test
  void servesJdbcAndKeepsCommittedRowsAcrossAStopAndAKill() throws Exception {
    Path dir = Files.createDirectories(base.resolve("pg"));
    try (PostgresServer server = PostgresServer.start(dir, FreePorts.take(1)[0])) {
      assertThat(server.isRunning()).isTrue();
      assertThat(server.rssBytes()).isPositive();
      try (Connection c = connect(server);
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (id int PRIMARY KEY)");
        s.execute("INSERT INTO t SELECT generate_series(1, 100)");
      }
      long pid = server.pid();
      server.stop();
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
          .isNotEqualTo(java.util.Optional.of(true));
      assertThatThrownBy(() -> connect(server)).isInstanceOf(SQLException.class);

      server.start();
      assertThat(count(server)).isEqualTo(100);
      try (Connection c = connect(server);
          Statement s = c.createStatement()) {
        s.execute("INSERT INTO t SELECT generate_series(101, 150)");
      }
      server.kill(); // a crash: the committed rows come back from the write-ahead log
      server.start();
      assertThat(count(server)).isEqualTo(150);
    }
  }

  @Test
  void aKillReturnsOnlyOnceEveryBackendHasExited() throws Exception {
    try (PostgresServer server = PostgresServer.start(base.resolve("k"), FreePorts.take(1)[0]);
        Connection session = connect(server)) {
      assertThat(session.isValid(5)).isTrue();
      List<ProcessHandle> backends =
          ProcessHandle.of(server.pid()).orElseThrow().descendants().toList();
      assertThat(backends).as("the session's backend and the background workers").isNotEmpty();

      server.kill();

      // a backend still alive holds the shared memory and the next start fails (it did in a suite
      // run)
      assertThat(backends).noneMatch(ProcessHandle::isAlive);
      server.start();
      try (Connection again = connect(server);
          Statement s = again.createStatement();
          ResultSet r = s.executeQuery("SELECT 1")) {
        assertThat(r.next()).isTrue();
      }
    }
  }

  @Test
  void aSecondServerRunsBesideTheFirstOnItsOwnPort() throws Exception {
    int[] ports = FreePorts.take(2);
    try (PostgresServer a = PostgresServer.start(base.resolve("a"), ports[0]);
        PostgresServer b = PostgresServer.start(base.resolve("b"), ports[1])) {
      try (Connection c = connect(a);
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (id int)");
      }
      assertThatThrownBy(() -> count(b)).hasMessageContaining("\"t\" does not exist");
      assertThat(a.pid()).isNotEqualTo(b.pid());
    }
  }

  @Test
  void aStreamingReplicaServesWhatThePrimaryCommits() throws Exception {
    int[] ports = FreePorts.take(2);
    try (PostgresServer primary = PostgresServer.start(base.resolve("primary"), ports[0])) {
      try (Connection c = connect(primary);
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (id int PRIMARY KEY)");
        s.execute("INSERT INTO t SELECT generate_series(1, 10)");
      }
      try (PostgresServer replica =
          PostgresServer.startReplica(primary, base.resolve("replica"), ports[1])) {
        assertThat(count(replica)).isEqualTo(10); // the base backup's rows
        try (Connection c = connect(primary);
            Statement s = c.createStatement()) {
          s.execute("INSERT INTO t SELECT generate_series(11, 30)");
        }
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(30))
            .until(() -> count(replica) == 30); // streamed
        try (Connection c = connect(replica);
            Statement s = c.createStatement();
            ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
          r.next();
          assertThat(r.getBoolean(1)).isTrue();
          assertThatThrownBy(() -> s.execute("INSERT INTO t VALUES (99)"))
              .hasMessageContaining("read-only");
        }
      }
    }
  }
}
