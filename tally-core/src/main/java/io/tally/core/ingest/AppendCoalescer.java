package io.tally.core.ingest;

import static java.util.Objects.requireNonNull;

import io.tally.model.IngestResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Gathers the ingest requests one thread submits within one pass of its loop into a single log
 * append, and answers them together on that thread.
 *
 * <h2>Why</h2>
 *
 * An event-loop thread reads many requests from many connections in one pass. Appended one by one,
 * each costs a hand-off to the log's appender thread and a wake-up of the event loop to answer it:
 * two thread switches per request, most of what one small request costs above {@code GET /healthz}.
 * Gathered, a pass costs one hand-off and one wake-up, whatever the number of requests in it. The
 * log still makes every event durable before its request is answered; a failed append fails every
 * request of the pass (each client retries with the same ids, as it does after any failed append).
 *
 * <h2>How</h2>
 *
 * The first request of a pass schedules the append with {@code later}, which must run a task on the
 * owner thread after the work at hand (Netty's and Vert.x's event loops do that for a task
 * submitted from the loop itself: it runs once the pass's reads are handled). Requests submitted
 * before it runs join it; a group reaching {@value #MAX_GROUP_EVENTS} events is appended at once.
 *
 * <p>Not thread-safe: confined to its owner thread; {@link Answer}s run on it too.
 */
public final class AppendCoalescer {
  /** A group this large is appended at once rather than at the end of the pass. */
  static final int MAX_GROUP_EVENTS = 20_000;

  /** What a submitter is told once its request's events are durable, or could not be made so. */
  public interface Answer {
    /**
     * @param result the request's answer, or null if the append failed
     * @param failure why the append failed, or null
     */
    void done(IngestResult result, Throwable failure);
  }

  private record Submitted(Ingestor.Request request, Answer answer) {}

  private final Ingestor ingestor;
  private final Executor later;
  private List<Submitted> group = new ArrayList<>();
  private int groupEvents;

  /**
   * @param later runs a task on the owner thread after the work at hand
   */
  public AppendCoalescer(Ingestor ingestor, Executor later) {
    this.ingestor = requireNonNull(ingestor, "ingestor");
    this.later = requireNonNull(later, "later");
  }

  /**
   * Admits {@code request} and appends it with the others of this pass; {@code answer} runs on the
   * owner thread once they are durable (at once for a request without valid events).
   *
   * @throws OverloadedException if admitting the events would break a bound (nothing was queued)
   */
  public void submit(Ingestor.Request request, Answer answer) {
    if (request.size() == 0) {
      answer.done(ingestor.resultOf(request, null), null);
      return;
    }
    ingestor.admit(request);
    if (group.isEmpty()) {
      later.execute(this::appendGroup);
    }
    group.add(new Submitted(request, answer));
    groupEvents += request.size();
    if (groupEvents >= MAX_GROUP_EVENTS) {
      appendGroup();
    }
  }

  private void appendGroup() {
    if (group.isEmpty()) {
      return; // appended early, when it grew to its bound
    }
    List<Submitted> appending = group;
    group = new ArrayList<>();
    groupEvents = 0;
    List<Ingestor.Request> requests = new ArrayList<>(appending.size());
    for (Submitted s : appending) {
      requests.add(s.request());
    }
    ingestor
        .appendAdmitted(requests)
        .whenComplete(
            (position, failure) ->
                later.execute(
                    () -> {
                      for (Submitted s : appending) {
                        if (failure != null) {
                          s.answer().done(null, failure);
                        } else {
                          s.answer().done(ingestor.resultOf(s.request(), position), null);
                        }
                      }
                    }));
  }
}
