package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.ingest.Ingestor;
import io.tally.core.log.EventLog;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKWindow;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * {@code GET /v1/overview}: what the dashboard's header shows — events accepted by this node and
 * their rate, how many logged events are not yet counted (lag) per partition and in all, and how
 * fresh the counts are (the oldest partition's as-of). docs/api.md documents the answer.
 *
 * <p>An answer is computed at most every {@value #REFRESH_MILLIS} ms and shared by the requests in
 * between, so many open dashboards cost no more than one. Thread-safe: {@link #json()} runs on
 * worker threads (it may read Kafka and Cassandra), {@link #sampleRate()} on an event loop.
 */
final class Overview {
  static final long REFRESH_MILLIS = 500;

  /** The ingest rate is averaged over this many seconds. */
  static final int RATE_WINDOW_SECONDS = 5;

  /** How far each partition is counted. */
  interface Progress {
    /**
     * Events of {@code partition} logged but not yet counted in the store, or -1 if this node
     * cannot tell.
     */
    long lagEvents(int partition);

    /**
     * Every event appended to {@code partition} before this instant is counted; empty if unknown.
     */
    OptionalLong asOfMillis(int partition);
  }

  private final String mode;
  private final int partitions;
  private final JsonArray topWindows;
  private final Ingestor ingestor;
  private final EventRate rate;
  private final Progress progress;
  private final LongSupplier backlog;
  private final InstantSource clock;
  private final LongSupplier nanoTicker;
  private byte[] cached;
  private long cachedAtNanos;

  /**
   * @param mode "embedded" or "cluster"
   * @param topK whose windows are listed for {@code GET /v1/top}
   * @param ingestor null on a node without the ingest role (then no accepted count or rate)
   * @param backlog events not yet counted as the node's health sees them; used when {@code
   *     progress} cannot tell a partition's lag
   */
  Overview(
      String mode,
      int partitions,
      TopKConfig topK,
      Ingestor ingestor,
      Progress progress,
      LongSupplier backlog,
      InstantSource clock,
      LongSupplier nanoTicker) {
    this.mode = requireNonNull(mode, "mode");
    this.partitions = partitions;
    this.topWindows = new JsonArray(topK.windows().stream().map(TopKWindow::wireName).toList());
    this.ingestor = ingestor;
    this.progress = requireNonNull(progress, "progress");
    this.backlog = requireNonNull(backlog, "backlog");
    this.clock = requireNonNull(clock, "clock");
    this.nanoTicker = requireNonNull(nanoTicker, "nanoTicker");
    this.rate =
        ingestor == null
            ? null
            : new EventRate(ingestor::acceptedEvents, nanoTicker, RATE_WINDOW_SECONDS);
  }

  /**
   * Lag from the log's end and the store's checkpoint; as-of from the store. Either may be null on
   * a cluster node without the roles that open them: its values are then unknown.
   */
  static Progress progress(
      EventLog log, IntFunction<Optional<Checkpoint>> checkpoints, CounterStore store) {
    return new Progress() {
      @Override
      public long lagEvents(int partition) {
        if (log == null || store == null) {
          return -1;
        }
        long counted = checkpoints.apply(partition).map(Checkpoint::nextOffset).orElse(0L);
        return Math.max(0, log.head(partition).endOffset() - counted);
      }

      @Override
      public OptionalLong asOfMillis(int partition) {
        return store == null ? OptionalLong.empty() : store.asOfMillis(partition);
      }
    };
  }

  /** Records the accepted count for the rate; called every {@link EventRate#SAMPLE_MILLIS}. */
  void sampleRate() {
    if (rate != null) {
      rate.sample();
    }
  }

  /** The answer's JSON body. */
  synchronized byte[] json() {
    long nowNanos = nanoTicker.getAsLong();
    if (cached == null || nowNanos - cachedAtNanos >= REFRESH_MILLIS * 1_000_000) {
      cached = compute().encode().getBytes(StandardCharsets.UTF_8);
      cachedAtNanos = nowNanos;
    }
    return cached;
  }

  private JsonObject compute() {
    long now = clock.millis();
    JsonArray byPartition = new JsonArray();
    long lag = 0;
    boolean lagKnown = true;
    long oldestAsOf = Long.MAX_VALUE;
    boolean asOfKnown = partitions > 0;
    for (int p = 0; p < partitions; p++) {
      long l = progress.lagEvents(p);
      OptionalLong asOf = progress.asOfMillis(p);
      JsonObject entry =
          new JsonObject()
              .put("partition", p)
              .put("lagEvents", l < 0 ? null : l)
              .put(
                  "asOf",
                  asOf.isPresent() ? Instant.ofEpochMilli(asOf.getAsLong()).toString() : null);
      byPartition.add(entry);
      lagKnown &= l >= 0;
      lag += Math.max(0, l);
      asOfKnown &= asOf.isPresent();
      if (asOf.isPresent()) {
        oldestAsOf = Math.min(oldestAsOf, asOf.getAsLong());
      }
    }
    JsonObject answer =
        new JsonObject()
            .put("mode", mode)
            .put("now", Instant.ofEpochMilli(now).toString())
            .put("partitions", partitions)
            .put("topWindows", topWindows.copy())
            .put("acceptedEvents", ingestor == null ? null : ingestor.acceptedEvents())
            .put("eventsPerSecond", rate == null ? null : Math.round(rate.perSecond() * 10) / 10.0)
            .put("rateWindowSeconds", RATE_WINDOW_SECONDS)
            .put("lagEvents", lagKnown ? lag : backlog.getAsLong());
    answer.put("asOf", asOfKnown ? Instant.ofEpochMilli(oldestAsOf).toString() : null);
    answer.put("freshnessMillis", asOfKnown ? Math.max(0, now - oldestAsOf) : null);
    return answer.put("byPartition", byPartition);
  }
}
