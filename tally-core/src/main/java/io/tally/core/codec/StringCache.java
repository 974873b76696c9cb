package io.tally.core.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strings recently decoded from UTF-8, so that the same bytes decode to the same {@link String}
 * instance: a processor reading the log decodes each hot entity and type once, not once per event,
 * and the aggregator's lookups by those strings find their hash codes cached and compare them by
 * reference.
 *
 * <p>Direct-mapped: {@code slots} entries, each the bytes and the string decoded from them; a
 * lookup hashes the bytes to one slot and returns its string if the slot holds the same bytes, else
 * decodes them and replaces the slot. Strings of at most {@value #SHORT_BYTES} bytes (most entities
 * and types) are kept as two longs in one array — bytes 0–7, and bytes 8–14 with the length + 1 in
 * the top byte, so no two byte strings share a key and no key is 0 — so a hit compares two longs
 * and loads no other object than the string it returns (with a {@code byte[]} per slot, comparing
 * those bytes missed the cache on most lookups of a large set of entities). Longer ones keep a copy
 * of their bytes. Strings longer than {@value #MAX_CACHED_BYTES} bytes are decoded without being
 * remembered. So the cache holds at most {@code slots × (}{@value #MAX_CACHED_BYTES}{@code + about
 * 100)} bytes, and its result is always {@code new String(bytes, UTF_8)}, whether cached or not.
 *
 * <p>Not thread-safe: one per decoding thread.
 */
public final class StringCache {
  /** Longest string (in UTF-8 bytes) the cache remembers. */
  public static final int MAX_CACHED_BYTES = 128;

  /** Longest string (in UTF-8 bytes) kept as a two-long key rather than a copy of its bytes. */
  static final int SHORT_BYTES = 15;

  /** Slots of a cache made with {@link #StringCache()}. */
  public static final int DEFAULT_SLOTS = 1 << 14;

  private final int[] hashes;
  private final byte[][] bytes;

  /**
   * Per slot, at {@code 2 × slot}: the key of a short string; 0, 0 when the slot holds no short.
   */
  private final long[] shortKeys;

  private final String[] strings;
  private final int mask;

  private long hits;
  private long misses;

  /** A cache of {@value #DEFAULT_SLOTS} slots. */
  public StringCache() {
    this(DEFAULT_SLOTS);
  }

  /**
   * @param slots entries, a power of two
   */
  public StringCache(int slots) {
    if (slots < 1 || Integer.bitCount(slots) != 1) {
      throw new IllegalArgumentException("slots must be a power of two, got " + slots);
    }
    hashes = new int[slots];
    bytes = new byte[slots][];
    shortKeys = new long[2 * slots];
    strings = new String[slots];
    mask = slots - 1;
  }

  /**
   * The string of the UTF-8 bytes {@code src[offset, offset + length)} (malformed input decodes as
   * {@link String#String(byte[], int, int, java.nio.charset.Charset)} does).
   */
  public String decode(byte[] src, int offset, int length) {
    if (length <= SHORT_BYTES) {
      return decodeShort(src, offset, length);
    }
    if (length > MAX_CACHED_BYTES) {
      return new String(src, offset, length, StandardCharsets.UTF_8);
    }
    int h = hash(src, offset, length);
    int i = h & mask;
    byte[] b = bytes[i];
    if (hashes[i] == h
        && b != null
        && Arrays.equals(b, 0, b.length, src, offset, offset + length)) {
      hits++;
      return strings[i];
    }
    misses++;
    String s = new String(src, offset, length, StandardCharsets.UTF_8);
    hashes[i] = h;
    bytes[i] = Arrays.copyOfRange(src, offset, offset + length);
    shortKeys[2 * i] = 0;
    shortKeys[2 * i + 1] = 0;
    strings[i] = s;
    return s;
  }

  private String decodeShort(byte[] src, int offset, int length) {
    long k1 = 0;
    long k2 = (long) (length + 1) << 56;
    for (int k = Math.min(length, 8) - 1; k >= 0; k--) {
      k1 = k1 << 8 | (src[offset + k] & 0xFF);
    }
    for (int k = length - 1; k >= 8; k--) {
      k2 |= (long) (src[offset + k] & 0xFF) << (8 * (k - 8));
    }
    // both halves multiplied, then folded and multiplied again, so every byte reaches the low
    // bits (one multiply and its bits 32 and up ignored a string's 7th and 8th bytes: "video:1" …
    // "video:9" all shared one slot); measured on "video:N", "user-N": collisions as random
    long m = k1 * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(k2 * 0xC2B2AE3D27D4EB4FL, 31);
    m ^= m >>> 32;
    m *= 0xD6E8FEB86659FD93L;
    m ^= m >>> 32;
    int i = (int) m & mask;
    if (shortKeys[2 * i] == k1 && shortKeys[2 * i + 1] == k2) {
      hits++;
      return strings[i];
    }
    misses++;
    String s = new String(src, offset, length, StandardCharsets.UTF_8);
    shortKeys[2 * i] = k1;
    shortKeys[2 * i + 1] = k2;
    bytes[i] = null;
    strings[i] = s;
    return s;
  }

  /** Lookups answered from the cache. */
  public long hits() {
    return hits;
  }

  /** Lookups of cacheable strings that decoded anew. */
  public long misses() {
    return misses;
  }

  /** A polynomial hash of the bytes with a multiplicative finish, so nearby keys spread. */
  private static int hash(byte[] src, int offset, int length) {
    int h = length;
    for (int k = offset, end = offset + length; k < end; k++) {
      h = 31 * h + src[k];
    }
    h *= 0x9E3779B9;
    return h ^ (h >>> 15);
  }
}
