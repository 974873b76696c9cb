package io.tally.core.ingest;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.DerivedEntities;
import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.partition.Partitioner;
import io.tally.core.validate.EventValidator;
import io.tally.model.Event;
import io.tally.model.IngestResult;
import io.tally.model.Rejection;
import io.tally.model.json.EventJsonReader;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Turns parsed events into durable log appends: validates each event, refuses events sent directly
 * to a derived entity ({@link DerivedEntities#directEventProblem}), routes each to {@link
 * Partitioner#partition its partition}, checks the bounds, and appends. The answer completes only
 * when the log reports the events durable.
 *
 * <p>Thread-safe; each {@link Request} belongs to the thread parsing its body.
 */
public final class Ingestor {
  private final EventLog log;
  private final Partitioner partitioner;
  private final EventValidator validator;
  private final DerivedEntities derived;
  private final InstantSource clock;
  private final IngestLimits limits;
  private final LongSupplier backlog;
  private final AtomicLong inFlight = new AtomicLong();
  private final LongAdder acceptedEvents = new LongAdder();

  /**
   * @param derived the server's derived entities, whose names events may not name directly
   * @param backlog events in the log not yet applied by the processors (0 where unknown, e.g. on a
   *     stateless cluster ingest node)
   */
  public Ingestor(
      EventLog log,
      Partitioner partitioner,
      EventValidator validator,
      DerivedEntities derived,
      InstantSource clock,
      IngestLimits limits,
      LongSupplier backlog) {
    this.log = requireNonNull(log, "log");
    this.partitioner = requireNonNull(partitioner, "partitioner");
    this.validator = requireNonNull(validator, "validator");
    this.derived = requireNonNull(derived, "derived");
    this.clock = requireNonNull(clock, "clock");
    this.limits = requireNonNull(limits, "limits");
    this.backlog = requireNonNull(backlog, "backlog");
    if (partitioner.partitions() != log.partitions()) {
      throw new IllegalArgumentException("partitioner and log disagree on the partition count");
    }
  }

  public IngestLimits limits() {
    return limits;
  }

  /**
   * Events acknowledged as durable since this ingestor was created (rejected ones not included).
   */
  public long acceptedEvents() {
    return acceptedEvents.sum();
  }

  /** Events accepted but not yet durable. */
  public long inFlightEvents() {
    return inFlight.get();
  }

  /**
   * Fails fast, before a body is parsed, when a bound is already reached.
   *
   * @throws OverloadedException with a retry hint
   */
  public void checkAdmission() {
    if (inFlight.get() + limits.maxEventsPerRequest() > limits.maxInFlightEvents()) {
      throw new OverloadedException("too many events waiting to be made durable", 1);
    }
    long b = backlog.getAsLong();
    if (b > limits.maxBacklogEvents()) {
      throw new OverloadedException("processing backlog of " + b + " events is over its bound", 1);
    }
  }

  /** Starts a request received now; feed it to {@link EventJsonReader}, then {@link #submit}. */
  public Request newRequest() {
    return new Request(clock.millis());
  }

  /**
   * Appends the request's valid events. Completes with the per-event outcome and the {@link
   * io.tally.model.Position position} they were appended at once they are durable; completes
   * exceptionally if the log failed (nothing may be assumed stored then, and the client retries
   * with the same ids).
   *
   * @throws OverloadedException if admitting the events would break a bound
   */
  public CompletableFuture<IngestResult> submit(Request request) {
    int n = request.batch.size();
    IngestResult result = new IngestResult(n, request.rejected);
    if (n == 0) {
      return CompletableFuture.completedFuture(result);
    }
    long now = inFlight.addAndGet(n);
    if (now > limits.maxInFlightEvents()) {
      inFlight.addAndGet(-n);
      throw new OverloadedException("too many events waiting to be made durable", 1);
    }
    CompletableFuture<io.tally.model.Position> appended;
    try {
      appended = log.append(request.batch.build());
    } catch (RuntimeException e) {
      inFlight.addAndGet(-n);
      throw e;
    }
    return appended
        .whenComplete(
            (ok, err) -> {
              inFlight.addAndGet(-n);
              if (err == null) {
                acceptedEvents.add(n);
              }
            })
        .thenApply(
            position -> new IngestResult(result.accepted(), result.rejected(), position.token()));
  }

  /** One request's events as they are parsed. Not thread-safe. */
  public final class Request implements EventJsonReader.Sink {
    private final long receivedAtMillis;
    private final EventBatch.Builder batch = EventBatch.builder(partitioner.partitions());
    private final List<Rejection> rejected = new ArrayList<>();
    private int seen;

    private Request(long receivedAtMillis) {
      this.receivedAtMillis = receivedAtMillis;
    }

    /** The receive time: the default event time and the reference for the accepted range. */
    public long receivedAtMillis() {
      return receivedAtMillis;
    }

    @Override
    public void event(int index, Event event) {
      count();
      String problem = validator.problem(event, receivedAtMillis);
      if (problem == null) {
        problem = derived.directEventProblem(event.entity());
      }
      if (problem != null) {
        rejected.add(new Rejection(index, problem));
      } else {
        batch.add(partitioner.partition(event.entity()), event);
      }
    }

    @Override
    public void rejected(int index, String reason) {
      count();
      rejected.add(new Rejection(index, reason));
    }

    private void count() {
      if (++seen > limits.maxEventsPerRequest()) {
        throw new TooManyEventsException(limits.maxEventsPerRequest());
      }
    }
  }
}
