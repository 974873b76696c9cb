package io.tally.cli;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes {@code tally bench}'s request bodies: a JSON array of events (ids {@code <prefix><n>},
 * value 1, actors {@code u<k>} or none), without an {@code Event} per event or a pass of Jackson's
 * escaping over every string. Entity and type names are escaped once, when the writer is made; ids
 * and actors are built of characters that need no escaping. The body is byte for byte what {@code
 * TallyJson.events} writes for the same events, but for a character beyond the Basic Multilingual
 * Plane, which it writes as UTF-8 where Jackson's generator writes {@code \uD83D\uDE00}: the server
 * reads the same events from both.
 *
 * <p>Why: the load generator shares the cores with the server it measures, and after its prepared
 * requests it builds every body on the fly. With {@code Event}s and Jackson the bench took
 * 0.37–0.39 cores at 570,000–590,000 events/s, with this writer 0.32–0.34 (docs/benchmarks.md,
 * seventeenth sitting).
 *
 * <p>One body at a time ({@link #start}, {@link #event}…, {@link #finish}); not thread-safe.
 */
final class EventBodyWriter {
  private static final byte[] ID = ascii("{\"id\":\"");
  private static final byte[] ENTITY = ascii("\",\"entity\":\"");
  private static final byte[] TYPE = ascii("\",\"type\":\"");
  private static final byte[] TIME = ascii("\",\"time\":");
  private static final byte[] VALUE_1 = ascii(",\"value\":1");
  private static final byte[] ACTOR = ascii(",\"actor\":\"u");

  private final byte[] idPrefix;
  private final byte[][] entities;
  private final byte[][] types;
  private byte[] buf = new byte[1 << 16];
  private int len; // bytes of the body so far: 1 (its '[') until its first event

  /**
   * @param idPrefix what every id starts with, before the event's number: letters, digits, {@code
   *     -}, {@code .} or {@code _} (nothing JSON escapes)
   * @param entities the entity names, by index
   * @param types the type names, by index
   */
  EventBodyWriter(String idPrefix, String[] entities, String[] types) {
    if (!idPrefix.matches("[A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("an id prefix of letters, digits, '.', '_' or '-'");
    }
    this.idPrefix = ascii(idPrefix);
    this.entities = escaped(entities);
    this.types = escaped(types);
  }

  /** Begins a body. */
  void start() {
    len = 0;
    put((byte) '[');
  }

  /**
   * Adds {@code {"id":"<prefix><number>","entity":…,"type":…,"time":…,"value":1}}, with {@code
   * "actor":"u<actor>"} after the value when {@code actor ≥ 0}.
   */
  void event(long number, int entity, int type, long timeMillis, int actor) {
    if (len > 1) {
      put((byte) ',');
    }
    put(ID);
    put(idPrefix);
    putLong(number);
    put(ENTITY);
    put(entities[entity]);
    put(TYPE);
    put(types[type]);
    put(TIME);
    putLong(timeMillis);
    put(VALUE_1);
    if (actor >= 0) {
      put(ACTOR);
      putLong(actor);
      put((byte) '"');
    }
    put((byte) '}');
  }

  /** Ends the body and returns a copy of it. */
  byte[] finish() {
    put((byte) ']');
    return Arrays.copyOf(buf, len);
  }

  private void put(byte b) {
    ensure(1);
    buf[len++] = b;
  }

  private void put(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
  }

  /** Decimal digits, as {@code Long.toString}. */
  private void putLong(long v) {
    if (v < 0) {
      put(ascii(Long.toString(v)));
      return;
    }
    ensure(19);
    int digits = 1;
    for (long x = v / 10; x != 0; x /= 10) {
      digits++;
    }
    for (int i = len + digits - 1; i >= len; i--) {
      buf[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    len += digits;
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  private static byte[][] escaped(String[] names) {
    byte[][] out = new byte[names.length][];
    JsonStringEncoder json = JsonStringEncoder.getInstance();
    for (int i = 0; i < names.length; i++) {
      out[i] = json.quoteAsUTF8(names[i]);
    }
    return out;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
