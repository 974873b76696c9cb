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

  /** Bytes {@link #write} will use for {@code event}. */
  public static int encodedSize(Event event) {
    return FIXED_BYTES
        + utf8Length(event.id())
        + utf8Length(event.entity())
        + utf8Length(event.type())
        + (event.actor() == null ? 0 : 2 + utf8Length(event.actor()));
  }

  /**
   * Writes {@code event} at the buffer's position.
   *
   * @throws IllegalArgumentException when a string is longer than its length field allows
   */
  public static void write(Event event, ByteBuffer out) {
    out.put(
        (byte)
            ((event.id() == null ? 0 : FLAG_HAS_ID)
                | (event.actor() == null ? 0 : FLAG_HAS_ACTOR)));
    out.putLong(event.timeMillis());
    out.putLong(event.value());
    putString(out, event.id(), 0xFFFF, true);
    putString(out, event.entity(), 0xFFFF, true);
    putString(out, event.type(), 0xFF, false);
    if (event.actor() != null) {
      putString(out, event.actor(), 0xFFFF, true);
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

  private static void putString(ByteBuffer out, String s, int max, boolean wide) {
    byte[] b = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    if (b.length > max) {
      throw new IllegalArgumentException("string of " + b.length + " bytes exceeds " + max);
    }
    if (wide) {
      out.putShort((short) b.length);
    } else {
      out.put((byte) b.length);
    }
    out.put(b);
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

  private static int utf8Length(String s) {
    if (s == null) {
      return 0;
    }
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        n++; // an unpaired surrogate is encoded as '?'
      } else {
        n += 3;
      }
    }
    return n;
  }
}
