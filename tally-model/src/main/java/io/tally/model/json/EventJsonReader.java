package io.tally.model.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.tally.model.Event;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Reads ingest bodies event by event with Jackson's streaming parser.
 *
 * <p>Accepted shapes: a JSON array of event objects, a single event object, or NDJSON (one object
 * per line, blank lines ignored). An event object has the fields {@code id} (string), {@code
 * entity} (string), {@code type} (string), {@code time} (epoch milliseconds or an ISO-8601 string
 * with offset), {@code value} (integer) and {@code actor} (string); {@code null} means absent.
 * Shape errors of one event (a missing field, a wrong type, an unknown field) reject that event
 * only. A syntax error rejects the whole body of a JSON array, but only its own line of NDJSON.
 *
 * <p>Thread-safe: the parser factory is shared, each call parses with its own parser.
 */
public final class EventJsonReader {
  /** Deepest nesting a body may have; an event needs 2 (array, object). */
  public static final int MAX_NESTING_DEPTH = 16;

  /**
   * Longest JSON string read, in characters; a longer one makes the body (NDJSON: its line)
   * malformed. Far above the event limits (256-character entities), far below the body limit.
   */
  public static final int MAX_STRING_LENGTH = 64 * 1024;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_NESTING_DEPTH)
                  .maxNumberLength(64)
                  .maxStringLength(MAX_STRING_LENGTH)
                  .maxNameLength(1024)
                  .build())
          .build();

  /** Receives the events of a body in order. Called on the parsing thread. */
  public interface Sink {
    void event(int index, Event event);

    void rejected(int index, String reason);
  }

  private EventJsonReader() {}

  /**
   * Parses a JSON array of events or a single event object.
   *
   * @param defaultTimeMillis the time of events that carry none (the receive time)
   * @throws MalformedBodyException when the body is not valid JSON of that shape
   */
  public static void readJson(
      byte[] body, int offset, int length, long defaultTimeMillis, Sink sink) {
    try (JsonParser p = FACTORY.createParser(body, offset, length)) {
      JsonToken first = p.nextToken();
      if (first == JsonToken.START_OBJECT) {
        readOne(p, 0, defaultTimeMillis, sink);
      } else if (first == JsonToken.START_ARRAY) {
        int index = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          if (t == JsonToken.START_OBJECT) {
            readOne(p, index, defaultTimeMillis, sink);
          } else {
            p.skipChildren();
            sink.rejected(index, "event must be a JSON object");
          }
          index++;
        }
      } else {
        throw new MalformedBodyException(
            first == null
                ? "body is empty"
                : "body must be a JSON array of events or one event object");
      }
      if (p.nextToken() != null) {
        throw new MalformedBodyException("unexpected content after the JSON value");
      }
    } catch (JsonProcessingException e) {
      throw new MalformedBodyException("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new MalformedBodyException("unreadable body: " + e.getMessage());
    }
  }

  /**
   * Parses NDJSON: one event object per line. A malformed line rejects only that event.
   *
   * @param defaultTimeMillis the time of events that carry none (the receive time)
   */
  public static void readNdjson(
      byte[] body, int offset, int length, long defaultTimeMillis, Sink sink) {
    int end = offset + length;
    int index = 0;
    int lineStart = offset;
    while (lineStart < end) {
      int lineEnd = lineStart;
      while (lineEnd < end && body[lineEnd] != '\n') {
        lineEnd++;
      }
      if (!isBlank(body, lineStart, lineEnd)) {
        readLine(body, lineStart, lineEnd - lineStart, index, defaultTimeMillis, sink);
        index++;
      }
      lineStart = lineEnd + 1;
    }
  }

  private static void readLine(
      byte[] body, int offset, int length, int index, long defaultTimeMillis, Sink sink) {
    try (JsonParser p = FACTORY.createParser(body, offset, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        sink.rejected(index, "event must be a JSON object");
        return;
      }
      Sink once = new SingleEventSink(sink);
      readOne(p, index, defaultTimeMillis, once);
      if (p.nextToken() != null) {
        sink.rejected(index, "unexpected content after the event object");
        return;
      }
      ((SingleEventSink) once).deliver();
    } catch (JsonProcessingException e) {
      sink.rejected(index, "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      sink.rejected(index, "unreadable line: " + e.getMessage());
    }
  }

  /** Reads the fields of one object; the parser stands on its START_OBJECT. */
  private static void readOne(JsonParser p, int index, long defaultTimeMillis, Sink sink)
      throws IOException {
    String id = null;
    String entity = null;
    String type = null;
    String actor = null;
    long time = defaultTimeMillis;
    long value = 1;
    String problem = null;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      if (v == JsonToken.VALUE_NULL) {
        continue;
      }
      if (problem != null) {
        p.skipChildren();
        continue;
      }
      switch (field) {
        case "id" -> {
          id = text(p, v);
          problem = id == null ? "id must be a string" : null;
        }
        case "entity" -> {
          entity = text(p, v);
          problem = entity == null ? "entity must be a string" : null;
        }
        case "type" -> {
          type = text(p, v);
          problem = type == null ? "type must be a string" : null;
        }
        case "actor" -> {
          actor = text(p, v);
          problem = actor == null ? "actor must be a string" : null;
        }
        case "time" -> {
          if (v == JsonToken.VALUE_NUMBER_INT
              && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            time = p.getLongValue();
          } else if (v == JsonToken.VALUE_STRING) {
            try {
              time = OffsetDateTime.parse(p.getText()).toInstant().toEpochMilli();
            } catch (DateTimeParseException | ArithmeticException e) {
              problem =
                  "time must be epoch milliseconds or ISO-8601 with offset, e.g. 2026-01-31T12:00:00Z";
            }
          } else {
            problem = "time must be epoch milliseconds or an ISO-8601 string";
          }
        }
        case "value" -> {
          if (v == JsonToken.VALUE_NUMBER_INT
              && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            value = p.getLongValue();
          } else if (v == JsonToken.VALUE_NUMBER_INT) {
            problem = "value out of range";
          } else {
            problem = "value must be an integer";
          }
        }
        default -> problem = "unknown field '" + abbreviate(field) + "'";
      }
      p.skipChildren();
    }
    if (problem == null && entity == null) {
      problem = "entity is required";
    }
    if (problem == null && type == null) {
      problem = "type is required";
    }
    if (problem != null) {
      sink.rejected(index, problem);
    } else {
      sink.event(index, new Event(id, entity, type, time, value, actor));
    }
  }

  private static String text(JsonParser p, JsonToken v) throws IOException {
    return v == JsonToken.VALUE_STRING ? p.getText() : null;
  }

  private static String abbreviate(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 32; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return s.length() > 32 ? b + "…" : b.toString();
  }

  private static boolean isBlank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  /** Holds back a line's outcome until the whole line is known to be well-formed. */
  private static final class SingleEventSink implements Sink {
    private final Sink target;
    private int index = -1;
    private Event event;
    private String reason;

    SingleEventSink(Sink target) {
      this.target = target;
    }

    @Override
    public void event(int index, Event event) {
      this.index = index;
      this.event = event;
    }

    @Override
    public void rejected(int index, String reason) {
      this.index = index;
      this.reason = reason;
    }

    void deliver() {
      if (event != null) {
        target.event(index, event);
      } else if (reason != null) {
        target.rejected(index, reason);
      }
    }
  }
}
