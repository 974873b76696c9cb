package io.tally.model.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tally.model.Bucket;
import io.tally.model.Consistency;
import io.tally.model.Event;
import io.tally.model.IngestResult;
import io.tally.model.Rejection;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.Sums;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import io.tally.model.Total;
import io.tally.model.Uniques;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Writes Tally's JSON answers and event batches. Times are written as ISO-8601 UTC strings with
 * millisecond precision ({@code 2026-01-31T12:00:00Z}); docs/api.md shows every shape.
 *
 * <p>Thread-safe and stateless.
 */
public final class TallyJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  private TallyJson() {}

  /**
   * {@code [{"id":…,"entity":…,"type":…,"time":<epoch ms>,"value":…,"actor":…}, …]} (id and actor
   * only when present).
   */
  public static byte[] events(List<Event> events) {
    return write(
        g -> {
          g.writeStartArray();
          for (Event e : events) {
            g.writeStartObject();
            if (e.id() != null) {
              g.writeStringField("id", e.id());
            }
            g.writeStringField("entity", e.entity());
            g.writeStringField("type", e.type());
            g.writeNumberField("time", e.timeMillis());
            g.writeNumberField("value", e.value());
            if (e.actor() != null) {
              g.writeStringField("actor", e.actor());
            }
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  /**
   * {@code {"accepted":n,"rejected":[{"index":i,"reason":"…"}],"position":"…"}}, the position only
   * when some event was accepted.
   */
  public static byte[] ingestResult(IngestResult result) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeNumberField("accepted", result.accepted());
          g.writeArrayFieldStart("rejected");
          for (Rejection r : result.rejected()) {
            g.writeStartObject();
            g.writeNumberField("index", r.index());
            g.writeStringField("reason", r.reason());
            g.writeEndObject();
          }
          g.writeEndArray();
          if (result.position() != null) {
            g.writeStringField("position", result.position());
          }
          g.writeEndObject();
        });
  }

  /**
   * {@code
   * {"entity":…,"type":…,"fn":…,"granularity":…,"from":…,"to":…,"asOf":…,"buckets":[{"start":…,"value":n}]}};
   * with {@code fn=sum}, a bucket whose sum is too large to be exact has {@code "value":null} and
   * the answer {@code "sumOverflow":true}; with {@code fn=avg} each bucket has {@code "value"} (sum
   * / count), {@code "count"} and {@code "sum"}; with {@code fn=uniques} each bucket has {@code
   * "value"} (the estimate) and the {@link Uniques} fields, and the answer has {@code "range"}: the
   * distinct actors of the whole range; {@code "consistency"} after {@code asOf} if stated.
   */
  public static byte[] stats(Stats stats) {
    return write(g -> writeStats(g, stats));
  }

  private static void writeStats(JsonGenerator g, Stats stats) throws IOException {
    g.writeStartObject();
    g.writeStringField("entity", stats.entity());
    g.writeStringField("type", stats.type());
    g.writeStringField("fn", stats.fn().wireName());
    g.writeStringField("granularity", stats.granularity().wireName());
    g.writeStringField("from", iso(stats.fromMillis()));
    g.writeStringField("to", iso(stats.toMillis()));
    g.writeStringField("asOf", iso(stats.asOfMillis()));
    writeConsistency(g, stats.consistency());
    boolean sum = stats.fn() == Statistic.SUM;
    if (sum && stats.buckets().stream().anyMatch(Bucket::sumOverflow)) {
      g.writeBooleanField("sumOverflow", true);
    }
    if (stats.rangeUniques() != null) {
      g.writeObjectFieldStart("range");
      writeUniques(g, stats.rangeUniques());
      g.writeEndObject();
    }
    g.writeArrayFieldStart("buckets");
    for (Bucket b : stats.buckets()) {
      g.writeStartObject();
      g.writeStringField("start", iso(b.startMillis()));
      switch (stats.fn()) {
        case AVG -> writeAvg(g, b.count(), b.sum());
        case UNIQUES -> {
          g.writeNumberField("value", stats.fn().of(b));
          writeUniques(g, b.uniques() == null ? Uniques.NONE : b.uniques());
        }
        default -> {
          if (sum && b.sumOverflow()) {
            g.writeNullField("value");
          } else {
            g.writeNumberField("value", stats.fn().of(b));
          }
        }
      }
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  /**
   * An average's fields: {@code "value"} (sum / count; {@code null} when the sum overflowed, 0
   * without events), {@code "count"} and {@code "sum"} (null when overflowed).
   */
  private static void writeAvg(JsonGenerator g, long count, long sum) throws IOException {
    double avg = new Bucket(0, count, sum).avg();
    if (Double.isNaN(avg)) {
      g.writeNullField("value");
    } else {
      g.writeNumberField("value", avg);
    }
    g.writeNumberField("count", count);
    if (Sums.isOverflow(sum)) {
      g.writeNullField("sum");
    } else {
      g.writeNumberField("sum", sum);
    }
  }

  /** {@code "estimate":n,"lowerBound":n,"upperBound":n,"exact":b}. */
  private static void writeUniques(JsonGenerator g, Uniques u) throws IOException {
    g.writeNumberField("estimate", u.estimate());
    g.writeNumberField("lowerBound", u.lowerBound());
    g.writeNumberField("upperBound", u.upperBound());
    g.writeBooleanField("exact", u.exact());
  }

  /**
   * {@code {"entity":…,"type":…,"count":n,"sum":n,"avg":x,"asOf":…}}; a sum too large to be exact
   * is written {@code "sum":null,"sumOverflow":true} ({@link io.tally.model.Sums}); with distinct
   * actors ({@code fn=uniques}) {@code "estimate","lowerBound","upperBound","exact"} follow the
   * sum; {@code "avg"} is sum / count (0 without events, null when the sum overflowed); then {@code
   * "consistency"} if stated.
   */
  public static byte[] total(Total total) {
    return write(g -> writeTotal(g, total));
  }

  private static void writeTotal(JsonGenerator g, Total total) throws IOException {
    g.writeStartObject();
    g.writeStringField("entity", total.entity());
    g.writeStringField("type", total.type());
    g.writeNumberField("count", total.count());
    if (total.sumOverflow()) {
      g.writeNullField("sum");
      g.writeBooleanField("sumOverflow", true);
    } else {
      g.writeNumberField("sum", total.sum());
    }
    double avg = total.avg();
    if (Double.isNaN(avg)) {
      g.writeNullField("avg");
    } else {
      g.writeNumberField("avg", avg);
    }
    if (total.uniques() != null) {
      writeUniques(g, total.uniques());
    }
    g.writeStringField("asOf", iso(total.asOfMillis()));
    writeConsistency(g, total.consistency());
    g.writeEndObject();
  }

  /** {@code "consistency":"quorum"|"one"} beside {@code asOf}; nothing when not stated. */
  private static void writeConsistency(JsonGenerator g, Consistency c) throws IOException {
    if (c != null) {
      g.writeStringField("consistency", c.wireName());
    }
  }

  /**
   * {@code {"results":[…]}}: the answers of a batch read in request order, each a {@link Total} or
   * {@link Stats} object as its own route writes it, or {@code {"error":"…"}} for an item that
   * could not be answered.
   *
   * @param results each a {@link Total}, a {@link Stats} or a {@link String} error message
   */
  /**
   * A {@code /v1/stats/batch} request: {@code {"queries":[{"entity":…,"type":…,…},…]}}, each
   * query's parameters as strings.
   */
  public static byte[] batchRequest(List<Map<String, String>> queries) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeArrayFieldStart("queries");
          for (Map<String, String> q : queries) {
            g.writeStartObject();
            for (Map.Entry<String, String> e : q.entrySet()) {
              g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  public static byte[] batch(List<?> results) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeArrayFieldStart("results");
          for (Object r : results) {
            if (r instanceof Total t) {
              writeTotal(g, t);
            } else if (r instanceof Stats st) {
              writeStats(g, st);
            } else {
              g.writeStartObject();
              g.writeStringField("error", String.valueOf(r));
              g.writeEndObject();
            }
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  /**
   * {@code {"type":…,"window":…,"k":n,"exact":b,"maxError":n,"from":…,"asOf":…,
   * "items":[{"entity":…,"estimate":n,"lowerBound":n,"upperBound":n}]}}, with {@code "consistency"}
   * after {@code asOf} if stated.
   */
  public static byte[] topK(TopK top) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeStringField("type", top.type());
          g.writeStringField("window", top.window());
          g.writeNumberField("k", top.k());
          g.writeBooleanField("exact", top.exact());
          g.writeNumberField("maxError", top.maxError());
          g.writeStringField("from", iso(top.fromMillis()));
          g.writeStringField("asOf", iso(top.asOfMillis()));
          writeConsistency(g, top.consistency());
          g.writeArrayFieldStart("items");
          for (TopKItem item : top.items()) {
            g.writeStartObject();
            g.writeStringField("entity", item.entity());
            g.writeNumberField("estimate", item.estimate());
            g.writeNumberField("lowerBound", item.lowerBound());
            g.writeNumberField("upperBound", item.upperBound());
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  /** {@code {"error":"…"}}, the body of every 4xx and 5xx answer. */
  public static byte[] error(String message) {
    return write(
        g -> {
          g.writeStartObject();
          g.writeStringField("error", message);
          g.writeEndObject();
        });
  }

  /** ISO-8601 UTC, e.g. {@code 2026-01-31T12:00:00Z}. */
  public static String iso(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
