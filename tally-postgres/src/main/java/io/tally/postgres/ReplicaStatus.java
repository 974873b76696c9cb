package io.tally.postgres;

/**
 * How one shard's reads are served when it has a read replica: for metrics and status. Immutable.
 *
 * @param shard the shard's index in the list
 * @param replicaUrl the replica's JDBC URL
 * @param onReplica whether reads go to the replica now (else to the primary)
 * @param reason why reads are on the primary; empty when on the replica
 * @param replicaReads reads the replica answered since start
 * @param primaryReads reads of this shard the primary answered since start
 * @param fallbacks how often reads moved from the replica to the primary
 */
public record ReplicaStatus(
    int shard,
    String replicaUrl,
    boolean onReplica,
    String reason,
    long replicaReads,
    long primaryReads,
    long fallbacks) {}
