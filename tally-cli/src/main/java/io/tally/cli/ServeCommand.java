package io.tally.cli;

import io.tally.server.ClusterConfig;
import io.tally.server.ClusterTally;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import io.tally.server.config.ConfigKeys;
import io.tally.server.config.ConfigMapping;
import io.tally.server.config.EffectiveConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tally serve}: the server until SIGTERM or Ctrl-C, then a graceful stop. Its settings come
 * from defaults, {@code --config}, {@code TALLY_*} variables and flags ({@link ConfigFlags}); a bad
 * one stops it before it starts, with one {@code tally: ...} line and exit code 1.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    modelTransformer = ConfigFlags.class,
    sortOptions = false,
    abbreviateSynopsis = true,
    description = {
      "Start Tally and serve the HTTP API: embedded (RocksDB, the default) or as a cluster node on Kafka and "
          + "Cassandra.",
      "Every setting can come from a YAML file (--config), a TALLY_* environment variable or a flag; flags win over "
          + "the environment, the environment over the file. `tally config` prints the result."
    })
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    AutoCloseable tally;
    String url;
    String where;
    EffectiveConfig config;
    try {
      config = ConfigFlags.load(spec);
      config.warnings().forEach(w -> System.err.println("tally: warning: " + w));
      if (ConfigMapping.clusterMode(config)) {
        ClusterConfig c = ConfigMapping.cluster(config);
        ClusterTally t = ClusterTally.start(c);
        tally = t;
        url = t.url();
        where =
            "cluster mode: Kafka "
                + c.kafka().bootstrapServers()
                + ", Cassandra "
                + c.cassandra().contactPoints().stream()
                    .map(a -> a.getHostString() + ":" + a.getPort())
                    .collect(Collectors.joining(","));
      } else {
        ServerConfig c = ConfigMapping.server(config);
        EmbeddedTally t = EmbeddedTally.start(c);
        tally = t;
        url = t.url();
        where = "data in " + c.dataDir().toAbsolutePath().normalize();
      }
    } catch (RuntimeException e) {
      System.err.println("tally: " + e.getMessage());
      return 1;
    }
    int demoRate = config.get(ConfigKeys.DEMO_RATE);
    DemoTraffic traffic =
        config.get(ConfigKeys.DEMO_ENABLED) ? new DemoTraffic(url, demoRate) : null;
    String demoRefused =
        traffic == null ? null : traffic.postFirstBatch(); // a server with keys needs TALLY_KEY
    if (demoRefused != null) {
      System.err.println("tally: --demo: " + demoRefused);
      tally.close();
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    if (traffic != null) {
                      traffic.close();
                    }
                    tally.close();
                  } catch (Exception e) {
                    System.err.println("tally: stopping failed: " + e);
                  }
                  stopped.countDown();
                },
                "tally-shutdown"));
    System.out.println("Tally is listening on " + url + " (" + where + ")");
    System.out.println("open " + url + "/ for the live dashboard");
    if (traffic != null) {
      traffic.start();
      System.out.println(
          "demo: posting about "
              + demoRate
              + " events/s (views, likes, shares of video:0…video:"
              + (DemoTraffic.VIDEOS - 1)
              + ")");
    }
    System.out.flush();
    stopped.await();
    return 0;
  }
}
