package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.tally.core.retention.Retention;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How cluster mode reaches and uses Cassandra.
 *
 * @param contactPoints CQL contact points
 * @param localDatacenter the driver's local datacenter (a single node's is {@code datacenter1})
 * @param keyspace the keyspace Tally owns (created when missing)
 * @param replication {@code SimpleStrategy:<rf>} or {@code NetworkTopologyStrategy:<dc>=<rf>,...}
 * @param writeConsistency consistency of the materializer's writes and of its read-before-write (so
 *     a read sees the last write, keep it a quorum when RF > 1)
 * @param readConsistency consistency of queries (ONE favours availability, the design's choice)
 * @param retention how long rows of each granularity live after their bucket ends (their TTL)
 */
public record CassandraSettings(
    List<InetSocketAddress> contactPoints,
    String localDatacenter,
    String keyspace,
    String replication,
    DefaultConsistencyLevel writeConsistency,
    DefaultConsistencyLevel readConsistency,
    Retention retention) {

  private static final Pattern KEYSPACE = Pattern.compile("[a-z][a-z0-9_]{0,47}");
  private static final Pattern REPLICATION =
      Pattern.compile(
          "SimpleStrategy:[1-9][0-9]?|NetworkTopologyStrategy:[A-Za-z0-9_.-]+=[1-9][0-9]?(,[A-Za-z0-9_.-]+=[1-9][0-9]?)*");

  public CassandraSettings {
    contactPoints = List.copyOf(contactPoints);
    requireNonNull(localDatacenter, "localDatacenter");
    requireNonNull(writeConsistency, "writeConsistency");
    requireNonNull(readConsistency, "readConsistency");
    if (contactPoints.isEmpty()) {
      throw new IllegalArgumentException("at least one Cassandra contact point is needed");
    }
    if (!KEYSPACE.matcher(keyspace).matches()) {
      throw new IllegalArgumentException(
          "keyspace must match " + KEYSPACE + ", got '" + keyspace + "'");
    }
    if (!REPLICATION.matcher(replication).matches()) {
      throw new IllegalArgumentException(
          "replication must be SimpleStrategy:<rf> or "
              + "NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>...], got '"
              + replication
              + "'");
    }
    requireNonNull(retention, "retention");
  }

  /**
   * One node on {@code contactPoint}: keyspace {@code tally}, RF 1, LOCAL_QUORUM writes, ONE reads.
   */
  public static CassandraSettings defaults(InetSocketAddress contactPoint) {
    return new CassandraSettings(
        List.of(contactPoint),
        "datacenter1",
        "tally",
        "SimpleStrategy:1",
        DefaultConsistencyLevel.LOCAL_QUORUM,
        DefaultConsistencyLevel.ONE,
        Retention.DEFAULTS);
  }

  public CassandraSettings withContactPoints(List<InetSocketAddress> points, String datacenter) {
    return new CassandraSettings(
        points, datacenter, keyspace, replication, writeConsistency, readConsistency, retention);
  }

  public CassandraSettings withKeyspace(String ks) {
    return new CassandraSettings(
        contactPoints,
        localDatacenter,
        ks,
        replication,
        writeConsistency,
        readConsistency,
        retention);
  }

  public CassandraSettings withReplication(String r) {
    return new CassandraSettings(
        contactPoints, localDatacenter, keyspace, r, writeConsistency, readConsistency, retention);
  }

  public CassandraSettings withConsistency(
      DefaultConsistencyLevel write, DefaultConsistencyLevel read) {
    return new CassandraSettings(
        contactPoints, localDatacenter, keyspace, replication, write, read, retention);
  }

  public CassandraSettings withRetention(Retention r) {
    return new CassandraSettings(
        contactPoints,
        localDatacenter,
        keyspace,
        replication,
        writeConsistency,
        readConsistency,
        r);
  }

  /** The CQL replication map. */
  String replicationCql() {
    String[] kind = replication.split(":", 2);
    if (kind[0].equals("SimpleStrategy")) {
      return "{'class': 'SimpleStrategy', 'replication_factor': " + kind[1] + "}";
    }
    StringBuilder b = new StringBuilder("{'class': 'NetworkTopologyStrategy'");
    for (String dc : kind[1].split(",")) {
      String[] kv = dc.split("=");
      b.append(", '").append(kv[0]).append("': ").append(kv[1]);
    }
    return b.append('}').toString();
  }
}
