/**
 * {@code tally cluster up|status|down}: a local demo cluster of one Kafka, one Cassandra and two
 * Tally nodes in cluster mode, as background processes that outlive the command. What runs is
 * recorded in {@code <dir>/cluster.json} ({@link io.tally.cli.cluster.ClusterState}); a recorded
 * pid is only acted on while it still names the process that was started ({@link
 * io.tally.cli.cluster.ClusterProcess}).
 */
package io.tally.cli.cluster;
