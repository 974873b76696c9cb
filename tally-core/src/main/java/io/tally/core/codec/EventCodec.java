package io.tally.core.codec;

import io.tally.model.Event;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary form of one event inside a log record, version 1. Self-delimiting, so records are
 * concatenated without length prefixes. Big-endian; strings are UTF-8.
 *
 * <pre>
 *  0       1              9              17         19        19+I       21+I      21+I+E  22+I+E
 *  +-------+--------------+--------------+----------+---------+----------+---------+-------+------+
 *  | flags | time (i64)   | value (i64)  | I (u16)  | id      | E (u16)  | entity  | T(u8) | type |
 *  +-------+--------------+--------------+----------+---------+----------+---------+-------+------+
 *  flags bit 0: the event has an id (I = 0 and no id bytes otherwise);
 *  flags bit 1: the event has an actor, written after the type as [A (u16)][actor (UTF-8)];
 *  other bits must be 0.
 * </pre>
 *
 * <p>The actor flag extends version 1 compatibly: every record written before it existed (bit 1
 * clear) reads as before; a build that predates it refuses a record with an actor loudly ("unknown
 * event flags 2"), never misreads it.
 *
 * <p>Stateless and thread-safe. Changing this layout needs a new version in the framing that
 * carries it (see the log implementations' descriptors).
 */
public final class EventCodec {
  private static final int FLAG_HAS_ID = 1;
  private static final int FLAG_HAS_ACTOR = 2;
  private static final int FIXED_BYTES = 1 + 8 + 8 + 2 + 2 + 1;

  private EventCodec() {}

  /**
   * Slots per event in the arrays of {@link #strings} and {@link #write(Event, byte[][], int,
   * ByteBuffer)}: id, entity, type, actor.
   */
  public static final int STRINGS = 4;

  /** Bytes {@link #write(Event, ByteBuffer)} will use for {@code event}. */
  public static int encodedSize(Event event) {
    return strings(event, new byte[STRINGS][], 0);
  }

  /**
   * Writes {@code event} at the buffer's position.
   *
   * @throws IllegalArgumentException when a string is longer than its length field allows
   */
  public static void write(Event event, ByteBuffer out) {
    byte[][] strings = new byte[STRINGS][];
    strings(event, strings, 0);
    write(event, strings, 0, out);
  }

  /**
   * Encodes the event's strings as UTF-8 into {@code into[at]} to {@code into[at + 3]} (id, entity,
   * type, actor; null when there is no id or actor) and returns the bytes the event takes: a writer
   * sizes its output from them and then writes them with {@link #write(Event, byte[][], int,
   * ByteBuffer)}, so each string is encoded once. (Counting the UTF-8 bytes char by char to size
   * the output first took 8 % of a cluster node's ingest event loop in a profile.)
   *
   * @throws IllegalArgumentException when a string is longer than its length field allows
   */
  public static int strings(Event event, byte[][] into, int at) {
    byte[] id = utf8(event.id(), 0xFFFF);
    byte[] entity = utf8(event.entity(), 0xFFFF);
    byte[] type = utf8(event.type(), 0xFF);
    byte[] actor = utf8(event.actor(), 0xFFFF);
    into[at] = id;
    into[at + 1] = entity;
    into[at + 2] = type;
    into[at + 3] = actor;
    return FIXED_BYTES
        + (id == null ? 0 : id.length)
        + entity.length
        + type.length
        + (actor == null ? 0 : 2 + actor.length);
  }

  /**
   * Writes {@code event} at the buffer's position, its strings from {@code strings[at]} on as
   * {@link #strings} encoded them.
   */
  public static void write(Event event, byte[][] strings, int at, ByteBuffer out) {
    byte[] id = strings[at];
    byte[] actor = strings[at + 3];
    out.put((byte) ((id == null ? 0 : FLAG_HAS_ID) | (actor == null ? 0 : FLAG_HAS_ACTOR)));
    out.putLong(event.timeMillis());
    out.putLong(event.value());
    putWide(out, id);
    putWide(out, strings[at + 1]);
    out.put((byte) strings[at + 2].length).put(strings[at + 2]);
    if (actor != null) {
      putWide(out, actor);
    }
  }

  /**
   * Reads one event at the buffer's position and advances past it. The buffer must be a heap
   * buffer.
   *
   * @throws CorruptRecordException when the bytes are not an event of this layout
   */
  public static Event read(ByteBuffer in) {
    return read(in, null);
  }

  /**
   * Reads one event as {@link #read(ByteBuffer)} does, decoding its entity and type through {@code
   * strings} (ids and actors, rarely repeated, are decoded anew).
   *
   * @param strings the calling thread's cache, or {@code null} to decode every string anew
   * @throws CorruptRecordException when the bytes are not an event of this layout
   */
  public static Event read(ByteBuffer in, StringCache strings) {
    try {
      int flags = in.get() & 0xFF;
      if ((flags & ~(FLAG_HAS_ID | FLAG_HAS_ACTOR)) != 0) {
        throw new CorruptRecordException("unknown event flags " + flags);
      }
      long time = in.getLong();
      long value = in.getLong();
      String id = getString(in, in.getShort() & 0xFFFF, null);
      String entity = getString(in, in.getShort() & 0xFFFF, strings);
      String type = getString(in, in.get() & 0xFF, strings);
      String actor =
          (flags & FLAG_HAS_ACTOR) != 0 ? getString(in, in.getShort() & 0xFFFF, null) : null;
      return new Event((flags & FLAG_HAS_ID) != 0 ? id : null, entity, type, time, value, actor);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CorruptRecordException("truncated or malformed event: " + e);
    }
  }

  private static byte[] utf8(String s, int max) {
    if (s == null) {
      return null;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > max) {
      throw new IllegalArgumentException("string of " + b.length + " bytes exceeds " + max);
    }
    return b;
  }

  /** A u16 length, then the bytes; none (length 0) for null. */
  private static void putWide(ByteBuffer out, byte[] b) {
    if (b == null) {
      out.putShort((short) 0);
    } else {
      out.putShort((short) b.length).put(b);
    }
  }

  private static String getString(ByteBuffer in, int length, StringCache strings) {
    if (length > in.remaining()) {
      throw new CorruptRecordException(
          "string length " + length + " exceeds remaining " + in.remaining());
    }
    int at = in.arrayOffset() + in.position();
    String s =
        strings == null
            ? new String(in.array(), at, length, StandardCharsets.UTF_8)
            : strings.decode(in.array(), at, length);
    in.position(in.position() + length);
    return s;
  }
}
