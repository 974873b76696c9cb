package io.tally.model.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON form of an entity's attributes: one flat object of string values, such as {@code
 * {"category":"music","channel":"c1"}}. It is the body of {@code PUT} and {@code GET
 * /v1/entities/{entity}/attributes} and the stored form of attributes (RocksDB values and records
 * of the cluster's attributes topic), so it is a durable format: a later version would use another
 * top-level shape, never reinterpret this one.
 *
 * <p>Only the shape is checked here (an object of strings, no name twice); the limits on names and
 * values are the core's {@code AttributeRules}. Thread-safe and stateless.
 */
public final class AttributesJson {
  /** Most fields read before giving up: far above the 32 attributes allowed, below abuse. */
  private static final int MAX_FIELDS = 1_000;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).build())
          .build();

  private AttributesJson() {}

  /** The attributes as a JSON object, names in sorted order. */
  public static byte[] write(Map<String, String> attributes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + attributes.size() * 32);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      for (Map.Entry<String, String> e : new TreeMap<>(attributes).entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Reads a JSON object of string values.
   *
   * @return the attributes, sorted by name, unmodifiable
   * @throws MalformedBodyException if {@code json} is not one JSON object of strings; the message
   *     says why and is safe to show to the client
   */
  public static Map<String, String> read(byte[] json) {
    TreeMap<String, String> attributes = new TreeMap<>();
    try (JsonParser p = FACTORY.createParser(json)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw new MalformedBodyException(
            first == null
                ? "body is empty: send a JSON object of string attributes, e.g. {\"channel\":\"c1\"}"
                : "body must be a JSON object of string attributes, e.g. {\"channel\":\"c1\"}");
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (value != JsonToken.VALUE_STRING) {
          throw new MalformedBodyException(
              "attribute '" + shorten(name) + "' must be a string, got " + describe(value));
        }
        if (attributes.put(name, p.getText()) != null) {
          throw new MalformedBodyException("attribute '" + shorten(name) + "' is given twice");
        }
        if (attributes.size() > MAX_FIELDS) {
          throw new MalformedBodyException("more than " + MAX_FIELDS + " attributes");
        }
      }
      if (p.nextToken() != null) {
        throw new MalformedBodyException("unexpected content after the JSON object");
      }
    } catch (JsonProcessingException e) {
      throw new MalformedBodyException("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new MalformedBodyException("unreadable body: " + e.getMessage());
    }
    return Collections.unmodifiableMap(attributes);
  }

  private static String describe(JsonToken t) {
    return switch (t) {
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      default -> String.valueOf(t);
    };
  }

  private static String shorten(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }
}
