package io.tally.rocksdb;

import io.tally.core.codec.CorruptRecordException;
import io.tally.model.json.AttributesJson;
import io.tally.model.json.MalformedBodyException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The layout of the {@code attributes} column family: one entry per entity that has attributes (an
 * entity without any has no entry).
 *
 * <pre>
 * key:   entity (UTF-8; entity characters are ASCII, so every key sorts below 0xFF)
 * value: 0         1
 *        +---------+------------------------------------------------------------+
 *        | ver = 1 | attributes as one JSON object of strings (AttributesJson)  |
 *        +---------+------------------------------------------------------------+
 * </pre>
 */
final class AttributesDescriptor {
  private static final byte VERSION = 1;

  /** Exclusive upper bound of every key: for deleting them all with one range delete. */
  static final byte[] END = {(byte) 0xFF};

  static final byte[] START = {};

  private AttributesDescriptor() {}

  static byte[] key(String entity) {
    return entity.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] value(Map<String, String> attributes) {
    byte[] json = AttributesJson.write(attributes);
    byte[] v = new byte[json.length + 1];
    v[0] = VERSION;
    System.arraycopy(json, 0, v, 1, json.length);
    return v;
  }

  /** The attributes in {@code value}, unmodifiable. */
  static Map<String, String> decode(String entity, byte[] value) {
    if (value.length < 1 || value[0] != VERSION) {
      throw new CorruptRecordException("attributes of " + entity + " have an unknown format");
    }
    try {
      return AttributesJson.read(Arrays.copyOfRange(value, 1, value.length));
    } catch (MalformedBodyException e) {
      throw new CorruptRecordException(
          "attributes of " + entity + " are unreadable: " + e.getMessage());
    }
  }
}
