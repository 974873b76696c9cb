package io.tally.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.log.EventBatch;
import io.tally.core.log.LogRecord;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Event;
import io.tally.model.Position;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code cluster.kafka.compression}: every codec Tally accepts carries events through a real broker
 * unchanged, both producers that write the events and deltas topics use it, and a codec Kafka does
 * not know is refused when the settings are made, not when the first batch is sent.
 */
@ExtendWith(RealEngines.class)
class KafkaCompressionTest {
  private final LocalEngines engines;

  KafkaCompressionTest(LocalEngines engines) {
    this.engines = engines;
  }

  @ParameterizedTest
  @ValueSource(strings = {"zstd", "none", "snappy", "gzip"})
  void eventsGoThroughTheBrokerUnchangedWithEachCodec(String codec) throws Exception {
    KafkaSettings s =
        KafkaSettings.defaults(engines.kafka().bootstrapServers(), "codec-" + codec)
            .withTopicPrefix("codec" + System.nanoTime() + "-" + codec + ".")
            .withPartitions(2)
            .withCompression(codec);
    List<Event> sent = new ArrayList<>();
    try (KafkaEventLog log = new KafkaEventLog(s, InstantSource.system())) {
      EventBatch.Builder b = EventBatch.builder(2);
      for (int i = 0; i < 500; i++) {
        // repetitive values, so that a codec that compresses changes the bytes on the wire
        Event e =
            new Event("id-" + i, "video:" + (i % 7) + "-é", "view", 1_700_000_000_000L + i, i + 1);
        sent.add(e);
        b.add(1, e);
      }
      Position p = log.append(b.build()).get(30, TimeUnit.SECONDS);
      assertThat(p.nextOffsets()).containsEntry(1, 500L);

      List<Event> read = new ArrayList<>();
      while (read.size() < sent.size()) {
        List<LogRecord> page = log.read(1, read.size(), 1_000);
        assertThat(page).as("records after %d", read.size()).isNotEmpty();
        page.forEach(r -> read.add(r.event()));
      }
      assertThat(read).containsExactlyElementsOf(sent);
    }
  }

  @Test
  void theIngestAndProcessorProducersUseTheSettingsCodec() {
    KafkaSettings s = KafkaSettings.defaults("k:9092", "n1");
    assertThat(s.compression()).isEqualTo("lz4");
    assertThat(KafkaClients.ingestProducer(s).get(ProducerConfig.COMPRESSION_TYPE_CONFIG))
        .isEqualTo("lz4");
    KafkaSettings zstd = s.withCompression("zstd");
    assertThat(KafkaClients.ingestProducer(zstd).get(ProducerConfig.COMPRESSION_TYPE_CONFIG))
        .isEqualTo("zstd");
    assertThat(
            KafkaClients.transactionalProducer(zstd, "p0")
                .get(ProducerConfig.COMPRESSION_TYPE_CONFIG))
        .isEqualTo("zstd");
    // the other settings survive a change of codec, and a change of anything else keeps the codec
    assertThat(zstd.withPartitions(4).compression()).isEqualTo("zstd");
    assertThat(zstd.withSessionTimeoutMillis(6_000).withNodeId("n2").compression())
        .isEqualTo("zstd");
  }

  @Test
  void anUnknownCodecIsRefusedNamingTheKnownOnes() {
    KafkaSettings s = KafkaSettings.defaults("k:9092", "n1");
    assertThatThrownBy(() -> s.withCompression("brotli"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("compression must be one of lz4, zstd, snappy, gzip, none, not brotli");
    assertThatThrownBy(() -> s.withCompression("LZ4"))
        .hasMessageStartingWith("compression must be one of");
  }
}
