package io.tally.core.dedup;

/**
 * The 128-bit hash of an event identity (entity, id), computed from the strings' chars without
 * encoding them first and without allocating.
 *
 * <p>The result is MurmurHash3_x64_128 (seed 0; {@code hash128x64} of commons-codec) of this byte
 * string, which no two pairs share:
 *
 * <pre>
 *  +--------------------+--------------------+----------------------------+------------------------+
 *  | entity length (u64)| id length (u64)    | entity, UTF-16LE, 0-padded | id, UTF-16LE, 0-padded |
 *  +--------------------+--------------------+----------------------------+------------------------+
 *  lengths in chars, little-endian; each string's bytes are padded with zeros to a multiple of 16,
 *  so the whole is a whole number of murmur3's 16-byte blocks and every block holds 8 chars.
 * </pre>
 *
 * The lengths make the layout decodable, so distinct pairs — ("ab", "c") and ("a", "bc") too —
 * differ, and since it hashes chars, not their UTF-8, non-ASCII strings need no other path. Nothing
 * persists these hashes (a window is rebuilt from the log), so the layout may change freely.
 *
 * <p>Not thread-safe: holds the last result in {@link #hi()} and {@link #lo()}; one per window.
 */
final class IdentityHash {
  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  private long h1;
  private long h2;

  /** Hashes ({@code entity}, {@code id}); read the result with {@link #hi()} and {@link #lo()}. */
  void hash(String entity, String id) {
    h1 = 0;
    h2 = 0;
    int entityLength = entity.length();
    int idLength = id.length();
    block(entityLength, idLength);
    chars(entity, entityLength);
    chars(id, idLength);
    long bytes = 16 + 2L * (padded(entityLength) + padded(idLength));
    long a = h1 ^ bytes;
    long b = h2 ^ bytes;
    a += b;
    b += a;
    a = fmix64(a);
    b = fmix64(b);
    a += b;
    b += a;
    h1 = a;
    h2 = b;
  }

  /** The first 64 bits of the last hash (murmur3's {@code h1}). */
  long hi() {
    return h1;
  }

  /** The second 64 bits of the last hash (murmur3's {@code h2}). */
  long lo() {
    return h2;
  }

  private static int padded(int chars) {
    return (chars + 7) & ~7;
  }

  /** Mixes the {@code length} chars of {@code s}, 8 to a block, the last block padded with 0. */
  private void chars(String s, int length) {
    int k = 0;
    for (; k + 8 <= length; k += 8) {
      block(fourChars(s, k), fourChars(s, k + 4));
    }
    int rest = length - k;
    if (rest > 0) {
      long k1 = 0;
      long k2 = 0;
      for (int j = Math.min(rest, 4) - 1; j >= 0; j--) {
        k1 = k1 << 16 | s.charAt(k + j);
      }
      for (int j = rest - 1; j >= 4; j--) {
        k2 = k2 << 16 | s.charAt(k + j);
      }
      block(k1, k2);
    }
  }

  /** Chars {@code at} to {@code at + 3} as the little-endian long of their UTF-16LE bytes. */
  private static long fourChars(String s, int at) {
    return s.charAt(at)
        | (long) s.charAt(at + 1) << 16
        | (long) s.charAt(at + 2) << 32
        | (long) s.charAt(at + 3) << 48;
  }

  private void block(long k1, long k2) {
    long a = h1;
    long b = h2;
    k1 *= C1;
    k1 = Long.rotateLeft(k1, 31);
    k1 *= C2;
    a ^= k1;
    a = Long.rotateLeft(a, 27);
    a += b;
    a = a * 5 + 0x52dce729;
    k2 *= C2;
    k2 = Long.rotateLeft(k2, 33);
    k2 *= C1;
    b ^= k2;
    b = Long.rotateLeft(b, 31);
    b += a;
    b = b * 5 + 0x38495ab5;
    h1 = a;
    h2 = b;
  }

  private static long fmix64(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
