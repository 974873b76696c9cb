package io.tally.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class StringCacheTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Example
  void theSameBytesDecodeToTheSameInstance() {
    StringCache cache = new StringCache(16);
    byte[] framed = utf8("..video:42..");
    String first = cache.decode(framed, 2, 8);
    String second = cache.decode(utf8("video:42"), 0, 8);
    assertThat(first).isEqualTo("video:42");
    assertThat(second).isSameAs(first);
    assertThat(cache.hits()).isEqualTo(1);
    assertThat(cache.misses()).isEqualTo(1);
  }

  @Example
  void stringsSharingASlotReplaceEachOtherAndStillDecodeRight() {
    StringCache cache = new StringCache(1); // every string maps to the one slot
    for (int round = 0; round < 3; round++) {
      for (String s : List.of("video:1", "video:2", "view", "")) {
        assertThat(cache.decode(utf8(s), 0, utf8(s).length)).isEqualTo(s);
      }
    }
    assertThat(cache.decode(utf8("view"), 0, 2)).isEqualTo("vi"); // a prefix is other bytes
    assertThat(cache.decode(utf8("video:2"), 0, 7)).isEqualTo("video:2");
  }

  @Example
  void shortKeysTellApartLengthsTrailingZerosAndLongerStringsInTheSameSlot() {
    StringCache cache = new StringCache(1); // every string maps to the one slot
    List<byte[]> all =
        List.of(
            new byte[0],
            new byte[1],
            new byte[] {'a'},
            new byte[] {'a', 0},
            utf8("12345678"),
            utf8("12345678\0"),
            utf8("x".repeat(StringCache.SHORT_BYTES)),
            utf8("x".repeat(StringCache.SHORT_BYTES + 1)),
            utf8("x".repeat(StringCache.SHORT_BYTES - 1) + "\0"),
            utf8("\u00e9t\u00e9"),
            new byte[] {(byte) 0xFF, (byte) 0xC3});
    for (int round = 0; round < 2; round++) {
      for (byte[] b : all) {
        assertThat(cache.decode(b, 0, b.length)).isEqualTo(new String(b, StandardCharsets.UTF_8));
        String again = cache.decode(b, 0, b.length); // the slot holds it now
        assertThat(cache.decode(b, 0, b.length)).isSameAs(again);
      }
    }
    assertThat(cache.misses()).isEqualTo(2L * all.size());
  }

  /** Any bytes (malformed UTF-8 too), short and long, sharing few slots. */
  @Property
  void decodesAnyBytesLikeTheStringConstructor(
      @ForAll @Size(max = 40) List<@Size(max = 40) byte[]> arrays,
      @ForAll @IntRange(min = 0, max = 3) int slotBits) {
    StringCache cache = new StringCache(1 << slotBits);
    for (int round = 0; round < 2; round++) {
      for (byte[] b : arrays) {
        byte[] framed = new byte[b.length + 2];
        System.arraycopy(b, 0, framed, 1, b.length);
        assertThat(cache.decode(framed, 1, b.length))
            .isEqualTo(new String(b, StandardCharsets.UTF_8));
      }
    }
  }

  @Example
  void longStringsDecodeButAreNotRemembered() {
    StringCache cache = new StringCache(16);
    byte[] b = utf8("x".repeat(StringCache.MAX_CACHED_BYTES + 1));
    String first = cache.decode(b, 0, b.length);
    String second = cache.decode(b, 0, b.length);
    assertThat(second).isEqualTo(first).isNotSameAs(first);
    assertThat(cache.hits() + cache.misses()).isZero();
  }

  @Example
  void malformedUtf8DecodesAsTheStringConstructorDoes() {
    byte[] b = {'a', (byte) 0xC3, 'b', (byte) 0xFF};
    StringCache cache = new StringCache(16);
    String expected = new String(b, StandardCharsets.UTF_8);
    assertThat(cache.decode(b, 0, b.length)).isEqualTo(expected);
    assertThat(cache.decode(b, 0, b.length)).isEqualTo(expected);
  }

  @Example
  void rejectsASlotCountThatIsNotAPowerOfTwo() {
    assertThatThrownBy(() -> new StringCache(12)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new StringCache(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Property
  void decodesLikeTheStringConstructor(@ForAll List<String> strings) {
    StringCache cache = new StringCache(8);
    for (int round = 0; round < 2; round++) {
      for (String s : strings) {
        byte[] b = utf8(s);
        assertThat(cache.decode(b, 0, b.length)).isEqualTo(new String(b, StandardCharsets.UTF_8));
      }
    }
  }

  /**
   * Entities that differ only in their last bytes, as counters' entities do ("video:1" …), spread
   * over the slots: read twice, nearly all are hits the second time. (Slots taken from the wrong
   * bits of the key once put every "video:N" of one length in one slot.)
   */
  @Example
  void shortStringsThatDifferOnlyAtTheEndSpreadOverTheSlots() {
    StringCache cache = new StringCache();
    for (int round = 0; round < 2; round++) {
      for (int n = 0; n < 200; n++) {
        byte[] b = ("video:" + n).getBytes(StandardCharsets.UTF_8);
        cache.decode(b, 0, b.length);
      }
    }
    assertThat(cache.hits()).isGreaterThanOrEqualTo(195);
  }
}
