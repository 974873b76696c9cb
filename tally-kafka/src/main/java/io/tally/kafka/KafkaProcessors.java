package io.tally.kafka;

import io.tally.core.enrich.Enrichment;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.process.ProcessorGroup;
import io.tally.core.store.DeltaSink;
import java.time.InstantSource;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Cluster mode's processor: the one {@link ProcessorGroup} of tally-core, with one thread that is a
 * member of the processors' consumer group ({@link KafkaLogConsumer}) and writes through its own
 * transactional {@link KafkaDeltaSink}.
 */
public final class KafkaProcessors {
  private KafkaProcessors() {}

  /** Without enrichment or metrics. */
  public static ProcessorGroup group(
      KafkaSettings settings, KafkaEventLog log, ProcessorConfig config, InstantSource clock) {
    return group(settings, log, config, Enrichment.NONE, clock, UnaryOperator.identity());
  }

  /**
   * @param decorate wraps the sink (metrics); {@link UnaryOperator#identity()} for none
   */
  public static ProcessorGroup group(
      KafkaSettings settings,
      KafkaEventLog log,
      ProcessorConfig config,
      Enrichment enrichment,
      InstantSource clock,
      UnaryOperator<DeltaSink> decorate) {
    String id = "processor-" + settings.nodeId();
    KafkaLogConsumer consumer =
        new KafkaLogConsumer(settings, "tally-" + id, config.maxPollRecords(), clock);
    DeltaSink sink = decorate.apply(consumer.sink(id));
    return new ProcessorGroup(
        log, config, clock, enrichment, List.of(new ProcessorGroup.Member(consumer, sink)));
  }
}
