package io.tally.cli.cluster;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --dir} option every {@code cluster} subcommand takes (a picocli mixin). */
final class ClusterDir {
  @Option(
      names = "--dir",
      defaultValue = "data/cluster",
      description =
          "The cluster's directory: its state file cluster.json, the engines' data and every log. "
              + "Default: ./${DEFAULT-VALUE}.")
  Path dir;

  /** The directory, absolute and normalized. */
  Path path() {
    return dir.toAbsolutePath().normalize();
  }

  /** {@code " --dir <dir>"} unless it is the default, for the commands printed as hints. */
  String hint() {
    return dir.normalize().equals(Path.of("data/cluster")) ? "" : " --dir " + dir;
  }
}
