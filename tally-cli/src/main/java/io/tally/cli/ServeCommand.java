package io.tally.cli;

import io.tally.core.process.ProcessorConfig;
import io.tally.rocksdb.FsyncPolicy;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally serve}: the embedded server until SIGTERM or Ctrl-C, then a graceful stop. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Start Tally on its embedded storage (RocksDB) and serve the HTTP API.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8080", description = "HTTP port (0: any free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--data-dir", defaultValue = "data", description = "Where the log and counters live. Default: ./${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "8",
      description = "Partitions P, fixed when the data dir is created. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--fsync", defaultValue = "always",
      description = "'always' (ack after fsync, group commit) or an interval such as 100ms. Default: ${DEFAULT-VALUE}.")
  String fsync;

  @Option(names = "--flush-interval-ms", defaultValue = "1000",
      description = "How often counts are written (freshness). Default: ${DEFAULT-VALUE}.")
  long flushIntervalMillis;

  @Override
  public Integer call() throws Exception {
    ServerConfig config = ServerConfig.defaults(dataDir)
        .withHost(host)
        .withPort(port)
        .withPartitions(partitions)
        .withFsync(FsyncPolicy.parse(fsync))
        .withProcessor(ProcessorConfig.DEFAULTS.withFlushIntervalMillis(flushIntervalMillis));
    EmbeddedTally tally;
    try {
      tally = EmbeddedTally.start(config);
    } catch (RuntimeException e) {
      System.err.println("tally: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      tally.close();
      stopped.countDown();
    }, "tally-shutdown"));
    System.out.println("Tally is listening on " + tally.url() + " (data in " + dataDir.toAbsolutePath().normalize() + ")");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
