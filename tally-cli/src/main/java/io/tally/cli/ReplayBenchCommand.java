package io.tally.cli;

import io.tally.core.log.EventBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.process.ProcessorGroup;
import io.tally.core.topk.SketchLibrary;
import io.tally.core.topk.TopKConfig;
import io.tally.model.Event;
import io.tally.model.TallyException;
import io.tally.rocksdb.FsyncPolicy;
import io.tally.rocksdb.RocksDbCounterStore;
import io.tally.rocksdb.RocksDbEventLog;
import io.tally.rocksdb.RocksDbStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally bench-replay}: how fast a restart catches up. Logs N events into a fresh data dir
 * without processing them (as if the processor had crashed long ago), then starts the processors
 * from the empty checkpoint and times them until everything is counted.
 */
@Command(
    name = "bench-replay",
    mixinStandardHelpOptions = true,
    description = "Measure recovery: replay N logged events from an old checkpoint.")
final class ReplayBenchCommand implements Callable<Integer> {
  private static final int BATCH = 10_000;

  @Option(
      names = "--events",
      defaultValue = "10000000",
      description = "Events to replay. Default: ${DEFAULT-VALUE}.")
  long events;

  @Option(
      names = "--entities",
      defaultValue = "100000",
      description = "Distinct entities. Default: ${DEFAULT-VALUE}.")
  int entities;

  @Option(
      names = "--zipf",
      defaultValue = "1.0",
      description = "Zipf exponent (0: uniform). Default: ${DEFAULT-VALUE}.")
  double zipf;

  @Option(names = "--partitions", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Override
  public Integer call() throws Exception {
    try {
      // else, on a Java the library refuses, the processors stop and the wait below never ends
      SketchLibrary.check();
    } catch (TallyException e) {
      System.err.println("tally: " + e.getMessage());
      return 1;
    }
    Path dir = Files.createTempDirectory("tally-replay-bench");
    try {
      ZipfSampler sampler = new ZipfSampler(entities, zipf);
      Partitioner partitioner = new Partitioner(partitions);
      long t0 = System.nanoTime();
      try (RocksDbStorage storage = RocksDbStorage.open(dir, partitions)) {
        RocksDbEventLog log =
            new RocksDbEventLog(storage, InstantSource.system(), FsyncPolicy.parse("1s"));
        long now = System.currentTimeMillis();
        for (long sent = 0; sent < events; sent += BATCH) {
          EventBatch.Builder b = EventBatch.builder(partitions);
          for (long i = sent; i < Math.min(events, sent + BATCH); i++) {
            String entity = sampler.next();
            b.add(partitioner.partition(entity), new Event("r" + i, entity, "view", now, 1));
          }
          log.append(b.build()).get();
        }
        log.close();
      }
      double logged = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "logged %,d events in %.1f s (%,.0f events/s)%n", events, logged, events / logged);

      try (RocksDbStorage storage = RocksDbStorage.open(dir, partitions)) {
        RocksDbEventLog log =
            new RocksDbEventLog(storage, InstantSource.system(), FsyncPolicy.ALWAYS);
        ProcessorGroup processors =
            new ProcessorGroup(
                log,
                new RocksDbCounterStore(storage, TopKConfig.DEFAULTS, InstantSource.system()),
                ProcessorConfig.DEFAULTS,
                InstantSource.system(),
                ProcessorGroup.allPartitions(log));
        long t1 = System.nanoTime();
        processors.start();
        while (!processors.recovered() || processors.backlog() > 0) {
          Thread.sleep(10);
        }
        double replayed = (System.nanoTime() - t1) / 1e9;
        processors.close();
        log.close();
        System.out.printf(
            "replayed %,d events in %.1f s: %,.0f events/s (%d processor threads, %,d entities, zipf %.2f)%n",
            events,
            replayed,
            events / replayed,
            ProcessorConfig.DEFAULTS.threads(),
            entities,
            zipf);
      }
      return 0;
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
