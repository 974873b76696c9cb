package io.tally.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.tally.model.Event;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;

class EventCodecTest {

  /** Any valid Unicode scalar value, weighted so that every UTF-8 length shows up often. */
  private static Arbitrary<Integer> codePoints() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.integers().between(0, 0x7F)),
        Tuple.of(2, Arbitraries.integers().between(0x80, 0x7FF)),
        Tuple.of(
            2,
            Arbitraries.integers()
                .between(0x800, 0xFFFF)
                .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)),
        Tuple.of(2, Arbitraries.integers().between(0x10000, Character.MAX_CODE_POINT)));
  }

  /** Well-formed strings of at most {@code maxCodePoints} code points. */
  private static Arbitrary<String> unicode(int maxCodePoints) {
    return codePoints()
        .list()
        .ofMaxSize(maxCodePoints)
        .map(
            cps -> {
              StringBuilder b = new StringBuilder();
              cps.forEach(b::appendCodePoint);
              return b.toString();
            });
  }

  @Provide
  Arbitrary<Event> events() {
    // Code-point limits keep every string within its length field (type: 60 x 4 <= 255 bytes).
    return Combinators.combine(
            unicode(300).injectNull(0.3),
            unicode(300),
            unicode(60),
            Arbitraries.longs(),
            Arbitraries.longs(),
            unicode(300).injectNull(0.5))
        .as(Event::new);
  }

  private static byte[] encode(Event e) {
    ByteBuffer out = ByteBuffer.allocate(EventCodec.encodedSize(e));
    EventCodec.write(e, out);
    assertThat(out.remaining()).isZero();
    return out.array();
  }

  @Property(tries = 300)
  void writeThenReadGivesBackTheSameEvent(@ForAll("events") Event event) {
    ByteBuffer in = ByteBuffer.wrap(encode(event));
    assertThat(EventCodec.read(in)).isEqualTo(event);
    assertThat(in.remaining()).isZero();
  }

  @Property(tries = 300)
  void readingThroughAStringCacheGivesBackTheSameEventEveryTime(@ForAll("events") Event event) {
    StringCache strings = new StringCache(4);
    byte[] encoded = encode(event);
    for (int round = 0; round < 2; round++) {
      ByteBuffer in = ByteBuffer.wrap(encoded);
      assertThat(EventCodec.read(in, strings)).isEqualTo(event);
      assertThat(in.remaining()).isZero();
    }
  }

  @Property(tries = 300)
  void encodedSizeIsTheNumberOfBytesWritten(@ForAll("events") Event event) {
    ByteBuffer out = ByteBuffer.allocate(EventCodec.encodedSize(event) + 16);
    EventCodec.write(event, out);
    assertThat(out.position()).isEqualTo(EventCodec.encodedSize(event));
  }

  @Property(tries = 300)
  void encodedSizeCountsUnpairedSurrogatesAsTheOneByteTheyAreWrittenAs(
      @ForAll("surrogateHeavy") String s) {
    Event event = new Event(s, s, "t", 0, 0);
    ByteBuffer out = ByteBuffer.allocate(EventCodec.encodedSize(event) + 16);
    EventCodec.write(event, out);
    assertThat(out.position()).isEqualTo(EventCodec.encodedSize(event));
    assertThat(EventCodec.encodedSize(event))
        .isEqualTo(22 + 2 * s.getBytes(StandardCharsets.UTF_8).length + 1);
  }

  @Provide
  Arbitrary<String> surrogateHeavy() {
    return Arbitraries.strings()
        .withChars('a', 'é', '€', '\uD83D', '\uDE00', '\uD800', '\uDFFF')
        .ofMaxLength(40);
  }

  @Property(tries = 200)
  void eventsConcatenatedInOneBufferReadBackInOrder(
      @ForAll @Size(min = 1, max = 10) List<@From("events") Event> events) {
    int total = events.stream().mapToInt(EventCodec::encodedSize).sum();
    ByteBuffer out = ByteBuffer.allocate(total);
    events.forEach(e -> EventCodec.write(e, out));
    assertThat(out.position()).isEqualTo(total);

    out.flip();
    List<Event> read = new ArrayList<>();
    while (out.hasRemaining()) {
      read.add(EventCodec.read(out));
    }
    assertThat(read).isEqualTo(events);
  }

  @Property(tries = 200)
  void readsFromASliceWithANonZeroArrayOffset(@ForAll("events") Event event) {
    byte[] encoded = encode(event);
    byte[] padded = new byte[encoded.length + 7];
    System.arraycopy(encoded, 0, padded, 5, encoded.length);
    ByteBuffer slice = ByteBuffer.wrap(padded, 5, encoded.length).slice();
    assertThat(slice.arrayOffset()).isEqualTo(5);
    assertThat(EventCodec.read(slice)).isEqualTo(event);
    assertThat(slice.position()).isEqualTo(encoded.length);
  }

  @Property(tries = 100) // each try reads every truncation of the encoding
  void everyTruncationOfAnEventIsACorruptRecord(@ForAll("events") Event event) {
    byte[] encoded = encode(event);
    for (int cut = 0; cut < encoded.length; cut++) {
      ByteBuffer truncated = ByteBuffer.wrap(encoded, 0, cut);
      Throwable thrown = catchThrowable(() -> EventCodec.read(truncated));
      assertThat(thrown)
          .as("cut at %d of %d", cut, encoded.length)
          .isExactlyInstanceOf(CorruptRecordException.class);
    }
  }

  @Property(tries = 50) // each try reads every truncation of the second event
  void aTruncatedLastEventOfABufferIsACorruptRecord(
      @ForAll("events") Event first, @ForAll("events") Event second) {
    int firstSize = EventCodec.encodedSize(first);
    ByteBuffer out = ByteBuffer.allocate(firstSize + EventCodec.encodedSize(second));
    EventCodec.write(first, out);
    EventCodec.write(second, out);
    for (int cut = firstSize; cut < out.capacity(); cut++) {
      ByteBuffer in = ByteBuffer.wrap(out.array(), 0, cut);
      assertThat(EventCodec.read(in)).isEqualTo(first);
      assertThatThrownBy(() -> EventCodec.read(in))
          .isExactlyInstanceOf(CorruptRecordException.class);
    }
  }

  @Property
  void arbitraryBytesDecodeOrAreACorruptRecordButNothingElse(
      @ForAll @Size(max = 64) List<Byte> bytes) {
    byte[] raw = new byte[bytes.size()];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = bytes.get(i);
    }
    Throwable thrown = catchThrowable(() -> EventCodec.read(ByteBuffer.wrap(raw)));
    if (thrown != null) {
      assertThat(thrown).isExactlyInstanceOf(CorruptRecordException.class);
    }
  }

  @Example
  void unknownFlagBitsAreACorruptRecord() {
    byte[] encoded = encode(Event.of("video:1", "view", 0));
    encoded[0] = 0x04; // bit 0: id, bit 1: actor; bit 2 means nothing
    assertThatThrownBy(() -> EventCodec.read(ByteBuffer.wrap(encoded)))
        .isExactlyInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("flags");
  }

  @Example
  void aRecordWithoutAnActorIsByteForByteTheLayoutBeforeActors() {
    byte[] encoded = encode(new Event("i", "video:1", "view", 7, 1));
    assertThat(encoded[0]).isEqualTo((byte) 1);
    assertThat(encoded).hasSize(1 + 8 + 8 + 2 + 1 + 2 + 7 + 1 + 4);
    Event withActor = new Event("i", "video:1", "view", 7, 1, "user-9");
    assertThat(EventCodec.read(ByteBuffer.wrap(encode(withActor)))).isEqualTo(withActor);
  }

  @Example
  void anEmptyIdIsKeptApartFromNoId() {
    Event empty = new Event("", "e", "t", 1, 2);
    Event none = new Event(null, "e", "t", 1, 2);
    assertThat(EventCodec.read(ByteBuffer.wrap(encode(empty)))).isEqualTo(empty);
    assertThat(EventCodec.read(ByteBuffer.wrap(encode(none)))).isEqualTo(none);
  }

  @Example
  void layoutIsBigEndianWithTheDocumentedOffsets() {
    Event e = new Event("i", "ent", "ty", 0x0102030405060708L, -2L);
    byte[] b = encode(e);
    assertThat(b).hasSize(22 + 1 + 3 + 2);
    assertThat(b[0]).isEqualTo((byte) 1);
    assertThat(ByteBuffer.wrap(b, 1, 8).getLong()).isEqualTo(0x0102030405060708L);
    assertThat(ByteBuffer.wrap(b, 9, 8).getLong()).isEqualTo(-2L);
    assertThat(ByteBuffer.wrap(b, 17, 2).getShort()).isEqualTo((short) 1);
    assertThat(b[19]).isEqualTo((byte) 'i');
    assertThat(ByteBuffer.wrap(b, 20, 2).getShort()).isEqualTo((short) 3);
    assertThat(b[25]).isEqualTo((byte) 2);
    assertThat(new String(b, 26, 2, StandardCharsets.US_ASCII)).isEqualTo("ty");
  }

  @Example
  void writeRejectsATypeLongerThan255Bytes() {
    Event e = new Event(null, "e", "t".repeat(256), 0, 0);
    assertThatThrownBy(() -> EventCodec.write(e, ByteBuffer.allocate(1024)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("255");
  }

  @Example
  void acceptsStringsAtTheirLengthFieldLimits() {
    Event e = new Event("i".repeat(0xFFFF), "e".repeat(0xFFFF), "t".repeat(0xFF), 0, 0);
    assertThat(EventCodec.read(ByteBuffer.wrap(encode(e)))).isEqualTo(e);
  }
}
