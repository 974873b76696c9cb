package io.tally.cli;

import io.tally.server.config.ConfigMapping;
import io.tally.server.config.EffectiveConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tally config}: checks the configuration {@code tally serve} would start with, given the
 * same file, environment and flags, and prints it as YAML with where each value came from. The
 * output is itself a valid configuration file.
 */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    modelTransformer = ConfigFlags.class,
    sortOptions = false,
    abbreviateSynopsis = true,
    description = {
      "Print the effective configuration of `tally serve` with these flags, the TALLY_* environment and "
          + "the --config file, as YAML; each value says where it came from.",
      "Exits 1 with a message naming the key if a key or value is wrong."
    })
final class ConfigCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    try {
      EffectiveConfig config = ConfigFlags.load(spec);
      config.warnings().forEach(w -> System.err.println("tally: warning: " + w));
      if (ConfigMapping.clusterMode(config)) {
        ConfigMapping.cluster(config);
      } else {
        ConfigMapping.server(config);
      }
      System.out.print(config.toYaml());
      System.out.flush();
      return 0;
    } catch (RuntimeException e) {
      System.err.println("tally: " + e.getMessage());
      return 1;
    }
  }
}
