package io.tally.cli;

import io.tally.postgres.PostgresSettings;
import io.tally.server.ClusterConfig;
import io.tally.server.ClusterTally;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import io.tally.server.config.ConfigKeys;
import io.tally.server.config.ConfigMapping;
import io.tally.server.config.EffectiveConfig;
import io.tally.server.security.Credentials;
import java.io.IOException;
import java.net.InetAddress;
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
          + "Cassandra (or PostgreSQL shards: --store postgres).",
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
                + (c.cassandra() == null
                    ? ", PostgreSQL shards "
                        + Credentials.redact(
                            c.postgres().stream()
                                .map(PostgresSettings::jdbcUrl)
                                .collect(Collectors.joining(",")))
                        + (c.postgresReplicas().stream().anyMatch(r -> r.isPresent())
                            ? " (replicas "
                                + Credentials.redact(
                                    c.postgresReplicas().stream()
                                        .map(r -> r.map(PostgresSettings::jdbcUrl).orElse("none"))
                                        .collect(Collectors.joining(",")))
                                + ")"
                            : "")
                    : ", Cassandra "
                        + c.cassandra().contactPoints().stream()
                            .map(a -> a.getHostString() + ":" + a.getPort())
                            .collect(Collectors.joining(",")));
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
    String listening = url;
    url = browsable(url);
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
    boolean wildcard = !browsable(listening).equals(listening);
    System.out.print(announcement(listening, where, wildcard ? hostName() : null));
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

  /**
   * What {@code serve} prints once it listens: the address and where the data is, and an address a
   * browser can open. A wildcard address (0.0.0.0, ::) listens on every interface, but a browser
   * cannot open it: the line names the loopback address instead, and the machine's host name for
   * other machines.
   *
   * @param url the URL the server listens on, e.g. {@code https://0.0.0.0:8443}
   * @param hostName this machine's name, or null when unknown
   */
  static String announcement(String url, String where, String hostName) {
    String open = browsable(url);
    if (open.equals(url)) {
      return "Tally is listening on "
          + url
          + " ("
          + where
          + ")\n"
          + "open "
          + url
          + "/ for the live dashboard\n";
    }
    String port = url.substring(url.lastIndexOf(':') + 1);
    String scheme = url.substring(0, url.indexOf("://"));
    return "Tally is listening on all interfaces, port "
        + port
        + " ("
        + where
        + ")\n"
        + "open "
        + open
        + "/ for the live dashboard"
        + (hostName == null
            ? ""
            : " (from another machine: " + scheme + "://" + hostName + ":" + port + "/)")
        + "\n";
  }

  /** {@code url} with a wildcard host (0.0.0.0, ::) replaced by the loopback address. */
  static String browsable(String url) {
    return url.replace("://0.0.0.0:", "://127.0.0.1:").replace("://[::]:", "://[::1]:");
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return null;
    }
  }
}
