package io.tally.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tally.model.IngestResult;
import io.tally.model.Rejection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code POST /v1/events} refuses, by reason: {@code tally.ingest.rejected.events} counts
 * single events rejected inside a request whose other events may be accepted, and {@code
 * tally.ingest.rejected.requests} counts whole requests refused before any event was logged.
 * Reasons are a fixed, small set (docs/operations.md), so every counter is registered up front and
 * counting allocates nothing. Thread-safe.
 */
final class IngestMeters {
  /** Why one event was rejected. */
  enum EventReason {
    /** Not a JSON object, or unparseable. */
    MALFORMED,
    /**
     * A field is missing, of the wrong type, too long, or holds characters outside its set; or an
     * unknown field.
     */
    INVALID_FIELD,
    /** Its time is before the minute retention. */
    TOO_OLD,
    /** Its time is too far in the future. */
    TOO_FAR_FUTURE;

    /** Maps a rejection reason (the wire text of {@link Rejection#reason()}) to its class. */
    static EventReason of(String reason) {
      if (reason.contains("older than the accepted")) {
        return TOO_OLD;
      }
      if (reason.contains("in the future")) {
        return TOO_FAR_FUTURE;
      }
      if (reason.startsWith("malformed JSON")
          || reason.startsWith("unreadable line")
          || reason.startsWith("event must be a JSON object")
          || reason.startsWith("unexpected content")) {
        return MALFORMED;
      }
      return INVALID_FIELD;
    }
  }

  /** Why a whole request was refused. */
  enum RequestReason {
    /** No body. */
    EMPTY_BODY,
    /** Not a JSON array, object or NDJSON. */
    MALFORMED_BODY,
    /** More events than one request may carry. */
    TOO_MANY_EVENTS,
    /** Body over the byte limit, as received or once decompressed. */
    BODY_TOO_LARGE,
    /** A {@code Content-Encoding} other than identity, gzip or deflate: 415. */
    UNSUPPORTED_ENCODING,
    /** A bound (in-flight events or processing backlog) is reached: 503 with Retry-After. */
    OVERLOADED,
    /** The log failed to make the events durable: 503. */
    NOT_DURABLE;

    /** The reason of a body refused before it was parsed (413, 415, else a malformed body). */
    static RequestReason ofStatus(int status) {
      return switch (status) {
        case 413 -> BODY_TOO_LARGE;
        case 415 -> UNSUPPORTED_ENCODING;
        default -> MALFORMED_BODY;
      };
    }
  }

  private final Map<EventReason, Counter> events = new EnumMap<>(EventReason.class);
  private final Map<RequestReason, Counter> requests = new EnumMap<>(RequestReason.class);

  IngestMeters(MeterRegistry registry) {
    for (EventReason r : EventReason.values()) {
      events.put(
          r,
          Counter.builder("tally.ingest.rejected.events")
              .tag("reason", tag(r))
              .description("Events rejected with a reason inside an ingest request")
              .register(registry));
    }
    for (RequestReason r : RequestReason.values()) {
      requests.put(
          r,
          Counter.builder("tally.ingest.rejected.requests")
              .tag("reason", tag(r))
              .description("Ingest requests refused as a whole")
              .register(registry));
    }
  }

  private static String tag(Enum<?> reason) {
    return reason.name().toLowerCase(Locale.ROOT);
  }

  /** Counts the rejected events of an answered request. */
  void answered(IngestResult result) {
    List<Rejection> rejected = result.rejected();
    for (int i = 0; i < rejected.size(); i++) {
      events.get(EventReason.of(rejected.get(i).reason())).increment();
    }
  }

  void refused(RequestReason reason) {
    requests.get(reason).increment();
  }
}
