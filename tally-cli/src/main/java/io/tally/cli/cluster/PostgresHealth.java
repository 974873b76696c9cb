package io.tally.cli.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * How the PostgreSQL servers of a demo cluster see themselves: each a primary (and how many
 * replicas stream from it) or a replica (whether its WAL receiver streams, and how many bytes of
 * received WAL it has yet to replay). Asked over JDBC as the {@code tally} superuser, giving up
 * after 3 s. Stateless.
 */
final class PostgresHealth {
  private static final String QUERY =
      "SELECT pg_is_in_recovery(),"
          + " (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'),"
          + " (SELECT status FROM pg_stat_wal_receiver),"
          + " CASE WHEN pg_is_in_recovery()"
          + " THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) END";

  private PostgresHealth() {}

  /**
   * {@code servers} (name, address, up, and role {@code primary} with {@code streamingReplicas} or
   * {@code replica} with {@code receiver} and {@code replayLagBytes}), {@code up}, {@code down}.
   */
  static JsonObject probe(List<ClusterProcess> servers) {
    JsonArray all = new JsonArray();
    int up = 0;
    for (ClusterProcess p : servers) {
      JsonObject s = new JsonObject().put("name", p.name()).put("address", p.address());
      if (p.liveness() == ClusterProcess.Liveness.ALIVE && ask(p, s)) {
        up++;
        s.put("up", true);
      } else {
        s.put("up", false);
      }
      all.add(s);
    }
    return new JsonObject()
        .put("reachable", true)
        .put("servers", all)
        .put("up", up)
        .put("down", servers.size() - up);
  }

  /** Every server answered, and every replica's receiver streams. */
  static boolean healthy(JsonObject postgres) {
    if (postgres.getInteger("down") != 0) {
      return false;
    }
    for (Object o : postgres.getJsonArray("servers")) {
      JsonObject s = (JsonObject) o;
      if ("replica".equals(s.getString("role")) && !"streaming".equals(s.getString("receiver"))) {
        return false;
      }
    }
    return true;
  }

  /** One line for a person. */
  static String line(JsonObject postgres) {
    List<String> parts = new ArrayList<>();
    for (Object o : postgres.getJsonArray("servers")) {
      JsonObject s = (JsonObject) o;
      String what;
      if (!s.getBoolean("up")) {
        what = "DOWN" + (s.containsKey("error") ? " (" + s.getString("error") + ")" : "");
      } else if ("replica".equals(s.getString("role"))) {
        what =
            "replica, "
                + s.getString("receiver", "not receiving")
                + ", "
                + s.getLong("replayLagBytes", 0L)
                + " bytes to replay";
      } else {
        long n = s.getLong("streamingReplicas", 0L);
        what =
            "primary" + (n == 0 ? "" : ", " + n + " replica" + (n == 1 ? "" : "s") + " streaming");
      }
      parts.add(s.getString("name") + " " + what);
    }
    return String.format(
        "PostgreSQL: %d of %d servers up (%s)",
        postgres.getInteger("up"),
        postgres.getJsonArray("servers").size(),
        String.join("; ", parts));
  }

  private static boolean ask(ClusterProcess p, JsonObject into) {
    Properties props = new Properties();
    props.setProperty("user", "tally");
    props.setProperty("connectTimeout", "3");
    props.setProperty("socketTimeout", "3");
    String url = "jdbc:postgresql://" + p.address() + "/postgres";
    try (Connection c = DriverManager.getConnection(url, props);
        Statement st = c.createStatement();
        ResultSet r = st.executeQuery(QUERY)) {
      r.next();
      if (r.getBoolean(1)) {
        into.put("role", "replica")
            .put("receiver", r.getString(3) == null ? "not receiving" : r.getString(3))
            .put("replayLagBytes", r.getLong(4));
      } else {
        into.put("role", "primary").put("streamingReplicas", r.getLong(2));
      }
      return true;
    } catch (SQLException e) {
      into.put("error", e.getMessage());
      return false;
    }
  }
}
