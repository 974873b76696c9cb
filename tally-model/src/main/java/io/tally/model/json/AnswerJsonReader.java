package io.tally.model.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tally.model.BatchAnswer;
import io.tally.model.Bucket;
import io.tally.model.Consistency;
import io.tally.model.Granularity;
import io.tally.model.IngestResult;
import io.tally.model.Rejection;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.Sums;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import io.tally.model.Total;
import io.tally.model.Uniques;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the server's JSON answers back into the model: the inverse of {@link TallyJson} for the
 * ingest result, {@code /v1/total}, {@code /v1/stats}, {@code /v1/top} and error bodies. Used by
 * the SDK. Unknown fields are ignored, so a newer server's extra fields do not break an older
 * client.
 *
 * <p>Thread-safe and stateless. Every method throws {@link MalformedBodyException} when the body is
 * not the expected shape.
 */
public final class AnswerJsonReader {
  private static final JsonFactory FACTORY = new JsonFactory();

  private AnswerJsonReader() {}

  /**
   * {@code {"accepted":n,"rejected":[{"index":i,"reason":"…"}],"position":"…"}} (position
   * optional).
   */
  public static IngestResult ingestResult(byte[] body) {
    Map<String, Object> o = object(body);
    List<Rejection> rejected = new ArrayList<>();
    for (Object r : list(o, "rejected")) {
      Map<String, Object> item = asObject(r, "rejected item");
      rejected.add(new Rejection((int) number(item, "index"), text(item, "reason")));
    }
    Object position = o.get("position");
    return new IngestResult(
        (int) number(o, "accepted"), rejected, position == null ? null : text(o, "position"));
  }

  /** A {@code /v1/total} answer. */
  public static Total total(byte[] body) {
    return total(object(body));
  }

  private static Total total(Map<String, Object> o) {
    return new Total(
        text(o, "entity"),
        text(o, "type"),
        number(o, "count"),
        sum(o, "sum"),
        time(o, "asOf"),
        consistency(o),
        o.containsKey("estimate") ? uniques(o) : null);
  }

  /**
   * A {@code /v1/stats} answer; each bucket's value lands in {@code count} or {@code sum} by {@code
   * fn}, an average's in both ({@link Bucket#avg()}), distinct actors in {@code uniques}.
   */
  public static Stats stats(byte[] body) {
    return stats(object(body));
  }

  /**
   * A {@code /v1/stats/batch} answer: per item, in order, its {@link Total}, its {@link Stats} (an
   * item answered with buckets) or its error.
   */
  public static List<BatchAnswer> batch(byte[] body) {
    List<BatchAnswer> out = new ArrayList<>();
    for (Object r : list(object(body), "results")) {
      Map<String, Object> item = asObject(r, "result");
      if (item.containsKey("error")) {
        out.add(BatchAnswer.error(text(item, "error")));
      } else if (item.containsKey("buckets")) {
        out.add(BatchAnswer.of(stats(item)));
      } else {
        out.add(BatchAnswer.of(total(item)));
      }
    }
    return out;
  }

  private static Stats stats(Map<String, Object> o) {
    Statistic fn;
    Granularity granularity;
    try {
      fn = Statistic.fromWireName(text(o, "fn"));
      granularity = Granularity.fromWireName(text(o, "granularity"));
    } catch (IllegalArgumentException e) {
      throw new MalformedBodyException(e.getMessage());
    }
    List<Bucket> buckets = new ArrayList<>();
    for (Object b : list(o, "buckets")) {
      Map<String, Object> item = asObject(b, "bucket");
      long start = time(item, "start");
      buckets.add(
          switch (fn) {
            case COUNT -> new Bucket(start, number(item, "value"), 0);
            case SUM -> new Bucket(start, 0, sum(item, "value"));
            case AVG -> new Bucket(start, number(item, "count"), sum(item, "sum"));
            case UNIQUES -> new Bucket(start, 0, 0, uniques(item));
          });
    }
    Object range = o.get("range");
    return new Stats(
        text(o, "entity"),
        text(o, "type"),
        fn,
        granularity,
        time(o, "from"),
        time(o, "to"),
        buckets,
        time(o, "asOf"),
        consistency(o),
        range == null ? null : uniques(asObject(range, "range")));
  }

  /** The {@code estimate}, {@code lowerBound}, {@code upperBound} and {@code exact} fields. */
  private static Uniques uniques(Map<String, Object> o) {
    try {
      return new Uniques(
          number(o, "estimate"),
          number(o, "lowerBound"),
          number(o, "upperBound"),
          Boolean.TRUE.equals(o.get("exact")));
    } catch (IllegalArgumentException e) {
      throw new MalformedBodyException(e.getMessage());
    }
  }

  /** A {@code /v1/top} answer. */
  public static TopK topK(byte[] body) {
    Map<String, Object> o = object(body);
    List<TopKItem> items = new ArrayList<>();
    for (Object i : list(o, "items")) {
      Map<String, Object> item = asObject(i, "item");
      items.add(
          new TopKItem(
              text(item, "entity"),
              number(item, "estimate"),
              number(item, "lowerBound"),
              number(item, "upperBound")));
    }
    Object exact = o.get("exact");
    return new TopK(
        text(o, "type"),
        text(o, "window"),
        (int) number(o, "k"),
        Boolean.TRUE.equals(exact),
        number(o, "maxError"),
        time(o, "from"),
        time(o, "asOf"),
        items,
        consistency(o));
  }

  /** The {@code consistency} field; null when absent (an embedded server states none). */
  private static Consistency consistency(Map<String, Object> o) {
    Object c = o.get("consistency");
    if (c == null) {
      return null;
    }
    try {
      return Consistency.fromWireName(String.valueOf(c));
    } catch (IllegalArgumentException e) {
      throw new MalformedBodyException(e.getMessage());
    }
  }

  /** The reason of an {@code {"error":"…"}} body, or null when the body is not one. */
  public static String errorReason(byte[] body) {
    try {
      Object error = object(body).get("error");
      return error instanceof String s ? s : null;
    } catch (MalformedBodyException e) {
      return null;
    }
  }

  private static Map<String, Object> object(byte[] body) {
    try (JsonParser p = FACTORY.createParser(body)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw new MalformedBodyException("expected a JSON object, got " + first);
      }
      return asObject(value(p, first, 0), "answer");
    } catch (IOException e) {
      throw new MalformedBodyException("answer is not JSON: " + e.getMessage());
    }
  }

  /** A generic tree: objects as maps, arrays as lists, numbers as Long or Double. */
  private static Object value(JsonParser p, JsonToken token, int depth) throws IOException {
    if (depth > 16) {
      throw new MalformedBodyException("answer nests deeper than 16");
    }
    switch (token) {
      case START_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          map.put(name, value(p, p.nextToken(), depth + 1));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          if (t == null) {
            throw new MalformedBodyException("answer ends inside an array");
          }
          list.add(value(p, t, depth + 1));
        }
        return list;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getLongValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new MalformedBodyException("unexpected " + token + " in the answer");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asObject(Object v, String what) {
    if (!(v instanceof Map<?, ?>)) {
      throw new MalformedBodyException(what + " is not a JSON object");
    }
    return (Map<String, Object>) v;
  }

  private static List<?> list(Map<String, Object> o, String field) {
    Object v = o.get(field);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      throw new MalformedBodyException(field + " is not an array");
    }
    return l;
  }

  private static String text(Map<String, Object> o, String field) {
    if (!(o.get(field) instanceof String s)) {
      throw new MalformedBodyException(field + " is missing or not a string");
    }
    return s;
  }

  private static long number(Map<String, Object> o, String field) {
    if (!(o.get(field) instanceof Long n)) {
      throw new MalformedBodyException(field + " is missing or not an integer");
    }
    return n;
  }

  /** A sum: an integer, or {@code null} for one too large to be exact ({@link Sums#OVERFLOW}). */
  private static long sum(Map<String, Object> o, String field) {
    return o.containsKey(field) && o.get(field) == null ? Sums.OVERFLOW : number(o, field);
  }

  private static long time(Map<String, Object> o, String field) {
    try {
      return Instant.parse(text(o, field)).toEpochMilli();
    } catch (java.time.format.DateTimeParseException e) {
      throw new MalformedBodyException(field + " is not an ISO-8601 instant: " + e.getMessage());
    }
  }
}
