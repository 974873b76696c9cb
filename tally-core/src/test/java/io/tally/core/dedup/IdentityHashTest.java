package io.tally.core.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.commons.codec.digest.MurmurHash3;

class IdentityHashTest {

  /** Any chars: ASCII, Latin-1, other BMP chars, paired and unpaired surrogates. */
  @Provide
  Arbitrary<String> strings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ascii().ofMaxLength(40),
        Arbitraries.strings().all().ofMaxLength(40),
        Arbitraries.strings().withChars("aé\u0141\ud83d\ude00\ud800").ofMaxLength(20));
  }

  /** It is murmur3-128 (commons-codec's hash128x64, seed 0) of the documented layout. */
  @Property
  void isMurmur3Of128BitsOfTheDocumentedLayout(
      @ForAll("strings") String entity, @ForAll("strings") String id) {
    IdentityHash h = new IdentityHash();
    h.hash(entity, id);
    long[] expected = murmur3OfLayout(entity, id);
    assertThat(new long[] {h.hi(), h.lo()}).containsExactly(expected);
  }

  @Property
  void equalPairsHashEqualWhateverTheInstances(
      @ForAll("strings") String entity, @ForAll("strings") String id) {
    IdentityHash h = new IdentityHash();
    h.hash(entity, id);
    long hi = h.hi();
    long lo = h.lo();
    h.hash("other", "pair"); // no state leaks from one hash to the next
    h.hash(new String(entity.toCharArray()), new String(id.toCharArray()));
    assertThat(h.hi()).isEqualTo(hi);
    assertThat(h.lo()).isEqualTo(lo);
  }

  @Example
  void pairsThatConcatenateAlikeOrShareLowBytesHashApart() {
    List<List<String>> pairs =
        List.of(
            List.of("ab", "c"),
            List.of("a", "bc"),
            List.of("abc", ""),
            List.of("", "abc"),
            List.of("video:1", "r1"),
            List.of("video:1r", "1"),
            List.of("A", "x"),
            List.of("\u0141", "x"), // U+0141's low byte is 'A'
            List.of("\u0041\u0000", "x"), // 'A' then a NUL char: padding is not content
            List.of("a", "\u00e9"),
            List.of("a", "\u00c3\u00a9"), // the UTF-8 bytes of é, read as Latin-1 chars
            List.of("a", "e\u0301"), // é decomposed: other chars, another identity
            List.of("x".repeat(8), "y".repeat(8)),
            List.of("x".repeat(9), "y".repeat(7)),
            List.of("x".repeat(8) + "\u0000", "y".repeat(7)),
            List.of("\ud83d\ude00", "a"),
            List.of("\ud83d", "\ude00a"),
            List.of("\ud800", "a"),
            List.of("?", "a")); // an unpaired surrogate's UTF-8 would have been '?'
    IdentityHash h = new IdentityHash();
    Set<List<Long>> hashes = new HashSet<>();
    for (List<String> p : pairs) {
      h.hash(p.get(0), p.get(1));
      assertThat(hashes.add(List.of(h.hi(), h.lo()))).as("%s", p).isTrue();
    }
  }

  @Example
  void anAsciiPairHashesItsLayoutWrittenOut() {
    // entity "video:42", id "r1": blocks (8, 2), "video:42" (8 chars, no padding), "r1" + 6 NULs
    IdentityHash h = new IdentityHash();
    h.hash("video:42", "r1");
    ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(8).putLong(2);
    for (char c : "video:42r1".toCharArray()) {
      b.putChar(c);
    }
    long[] expected = MurmurHash3.hash128x64(b.array(), 0, 48, 0);
    assertThat(h.hi()).isEqualTo(expected[0]);
    assertThat(h.lo()).isEqualTo(expected[1]);
  }

  /** The layout written out byte by byte, hashed by commons-codec. */
  private static long[] murmur3OfLayout(String entity, String id) {
    int e = (entity.length() + 7) / 8 * 16;
    int i = (id.length() + 7) / 8 * 16;
    ByteBuffer b = ByteBuffer.allocate(16 + e + i).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(entity.length()).putLong(id.length());
    for (int k = 0; k < entity.length(); k++) {
      b.putChar(16 + 2 * k, entity.charAt(k));
    }
    for (int k = 0; k < id.length(); k++) {
      b.putChar(16 + e + 2 * k, id.charAt(k));
    }
    return MurmurHash3.hash128x64(b.array(), 0, b.capacity(), 0);
  }
}
