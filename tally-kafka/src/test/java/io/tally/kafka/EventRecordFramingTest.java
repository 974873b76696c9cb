package io.tally.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.codec.EventCodec;
import io.tally.model.Event;
import java.nio.ByteBuffer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The events topic's record framing: version 1 carries a version byte; a record of the bare layout
 * written before the framing still reads; an unknown framing or an empty value is refused loudly.
 */
class EventRecordFramingTest {
  private static final Event EVENT = new Event("id-1", "video:42", "view", 1_700_000_000_000L, 3);

  @Test
  void aFramedRecordStartsWithItsVersionAndReadsBack() {
    byte[] value = KafkaEventLog.encode(EVENT);

    assertThat(value[0]).isEqualTo(KafkaEventLog.FRAMING_V1);
    assertThat(KafkaEventLog.decode(record(value), null).event()).isEqualTo(EVENT);
  }

  @Test
  void aRecordWrittenBeforeTheFramingStillReads() {
    ByteBuffer bare = ByteBuffer.allocate(EventCodec.encodedSize(EVENT));
    EventCodec.write(EVENT, bare);

    assertThat(KafkaEventLog.decode(record(bare.array()), null).event()).isEqualTo(EVENT);
  }

  @Test
  void anUnknownFramingIsRefusedNotMisread() {
    byte[] value = KafkaEventLog.encode(EVENT);
    value[0] = (byte) 0xE2;

    assertThatThrownBy(() -> KafkaEventLog.decode(record(value), null))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("framing 0xe2")
        .hasMessageContaining("offset 7");
  }

  @Test
  void anEmptyValueIsRefused() {
    assertThatThrownBy(() -> KafkaEventLog.decode(record(new byte[0]), null))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("empty");
  }

  private static ConsumerRecord<byte[], byte[]> record(byte[] value) {
    return new ConsumerRecord<>("tally.events", 0, 7, null, value);
  }
}
