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
 * written before the framing still reads; an unknown framing or an empty value is refused loudly; a
 * value is decoded in place, from a view into the consumer's bytes.
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

  @Test
  void aValueReadInPlaceFromTheConsumersBytesDecodesOnlyItsOwnBytes() {
    // the consumer hands out views into a fetched batch: other records' bytes on both sides
    byte[] value = KafkaEventLog.encode(EVENT);
    byte[] fetched = new byte[value.length + 40];
    java.util.Arrays.fill(fetched, (byte) 0x7f);
    System.arraycopy(value, 0, fetched, 17, value.length);
    ByteBuffer view = ByteBuffer.wrap(fetched, 9, value.length + 20).slice();
    view.position(8).limit(8 + value.length);

    assertThat(KafkaEventLog.decode(record(view), null).event()).isEqualTo(EVENT);
  }

  @Test
  void aDirectOrReadOnlyValueDecodesToo() {
    byte[] value = KafkaEventLog.encode(EVENT);
    ByteBuffer direct = ByteBuffer.allocateDirect(value.length).put(value).flip();

    assertThat(KafkaEventLog.decode(record(direct), null).event()).isEqualTo(EVENT);
    assertThat(
            KafkaEventLog.decode(record(ByteBuffer.wrap(value).asReadOnlyBuffer()), null).event())
        .isEqualTo(EVENT);
  }

  private static ConsumerRecord<ByteBuffer, ByteBuffer> record(byte[] value) {
    return record(ByteBuffer.wrap(value));
  }

  private static ConsumerRecord<ByteBuffer, ByteBuffer> record(ByteBuffer value) {
    return new ConsumerRecord<>("tally.events", 0, 7, null, value);
  }
}
