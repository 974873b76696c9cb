package io.tally.cli.cluster;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tally cluster}: the local demo cluster's {@code up}, {@code status} and {@code down}. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description =
        "A local demo cluster: one Kafka, one Cassandra and two Tally nodes in cluster mode (or three of "
            + "each with `up --replicas 3`), running in the background until `cluster down`.",
    subcommands = {ClusterUpCommand.class, ClusterStatusCommand.class, ClusterDownCommand.class})
public final class ClusterCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
