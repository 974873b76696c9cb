package io.tally.model;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A read-your-writes position (issue 19, in the spirit of Kafka Streams' position-bound queries,
 * KIP-796): for each event-log partition some events were appended to, the offset just past the
 * last of them. A query given a position ({@code after=<token>}) answers once every such partition
 * is counted up to that offset in the store it reads.
 *
 * <h2>Token</h2>
 *
 * Clients treat a token as opaque. It is URL-safe base64 without padding of:
 *
 * <pre>
 *   version (1 byte, 1) · count (varint) · count × [partition (varint) · next offset (varint)]
 * </pre>
 *
 * partitions ascending, varints unsigned LEB128 (7 bits a byte, low first). Tokens of one log
 * compare; a token from another log (a recreated topic, another server) names offsets that mean
 * nothing there.
 *
 * <p>Immutable and thread-safe.
 *
 * @param nextOffsets partition → the offset past the last event appended to it (never negative)
 */
public record Position(SortedMap<Integer, Long> nextOffsets) {
  private static final byte VERSION = 1;

  /** Most partitions a token may name (the partitioner's limit is far lower). */
  private static final int MAX_PARTITIONS = 1 << 16;

  /** No events: every query satisfies it at once. */
  public static final Position EMPTY = new Position(new TreeMap<>());

  public Position {
    TreeMap<Integer, Long> copy = new TreeMap<>(nextOffsets);
    copy.forEach(
        (p, o) -> {
          if (p < 0 || o < 0) {
            throw new IllegalArgumentException("partitions and offsets are not negative");
          }
        });
    nextOffsets = Collections.unmodifiableSortedMap(copy);
  }

  /** The position of {@code partition} up to {@code nextOffset}. */
  public static Position of(int partition, long nextOffset) {
    TreeMap<Integer, Long> m = new TreeMap<>();
    m.put(partition, nextOffset);
    return new Position(m);
  }

  public boolean isEmpty() {
    return nextOffsets.isEmpty();
  }

  /** The later of both positions in each partition (what waiting for both waits for). */
  public Position merge(Position other) {
    TreeMap<Integer, Long> m = new TreeMap<>(nextOffsets);
    other.nextOffsets.forEach((p, o) -> m.merge(p, o, Math::max));
    return new Position(m);
  }

  /** This position as a token (see the class comment). */
  public String token() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(2 + nextOffsets.size() * 6);
    out.write(VERSION);
    varint(out, nextOffsets.size());
    for (Map.Entry<Integer, Long> e : nextOffsets.entrySet()) {
      varint(out, e.getKey());
      varint(out, e.getValue());
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
  }

  /**
   * Reads a token.
   *
   * @throws IllegalArgumentException saying what is wrong, in words
   */
  public static Position parse(String token) {
    byte[] b;
    try {
      b = Base64.getUrlDecoder().decode(token.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw bad("it is not URL-safe base64");
    }
    if (b.length == 0 || b[0] != VERSION) {
      throw bad("unknown token version");
    }
    int[] at = {1};
    long count = readVarint(b, at);
    if (count > MAX_PARTITIONS) {
      throw bad("too many partitions");
    }
    TreeMap<Integer, Long> m = new TreeMap<>();
    for (long i = 0; i < count; i++) {
      long p = readVarint(b, at);
      long o = readVarint(b, at);
      if (p >= MAX_PARTITIONS || m.put((int) p, o) != null) {
        throw bad("a partition is out of range or named twice");
      }
    }
    if (at[0] != b.length) {
      throw bad("trailing bytes");
    }
    return new Position(m);
  }

  @Override
  public String toString() {
    return nextOffsets.toString();
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException(
        "after must be a position token from an ingest answer (" + why + ")");
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long readVarint(byte[] b, int[] at) {
    long v = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      if (at[0] >= b.length) {
        throw bad("it ends early");
      }
      int x = b[at[0]++] & 0xFF;
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
    }
    throw bad("a number is too long");
  }
}
