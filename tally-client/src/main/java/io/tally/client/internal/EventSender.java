package io.tally.client.internal;

import io.tally.client.BufferFullException;
import io.tally.client.BufferFullPolicy;
import io.tally.client.EventRejectedException;
import io.tally.client.Sent;
import io.tally.client.TallyClientException;
import io.tally.model.Event;
import io.tally.model.IngestResult;
import io.tally.model.Position;
import io.tally.model.Rejection;
import io.tally.model.json.AnswerJsonReader;
import io.tally.model.json.MalformedBodyException;
import io.tally.model.json.TallyJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The event buffer and the thread that empties it into batches.
 *
 * <p>Callers put events into a bounded queue ({@link #offer}); full, the {@link BufferFullPolicy}
 * decides. The sender thread (the only consumer) takes the oldest event, then gathers more until
 * the batch holds {@code maxBatchEvents} events or {@code maxBatchBytes} of JSON, or the oldest has
 * waited {@code linger} (no waiting after {@link #flush()} or during close), and hands the batch to
 * the {@link ResilientCaller} — at most {@code maxInFlightBatches} at a time, the thread waits for
 * a slot beyond. A batch is serialized once, so every retry sends the same ids. The server's answer
 * completes each event's future: accepted with its id and the batch's position, rejected with the
 * server's reason; a batch that fails for good fails all of its events.
 *
 * <p>Thread-safe: {@link #offer}, {@link #flush} and {@link #close} may be called from any thread.
 */
public final class EventSender implements AutoCloseable {
  private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  /** JSON framing per event besides its strings: field names, quotes, time and value. */
  private static final int EVENT_OVERHEAD_BYTES = 80;

  private record Pending(Event event, int bytes, long seq, CompletableFuture<Sent> future) {}

  private final ClientConfig config;
  private final ResilientCaller caller;
  private final HttpTransport transport;
  private final ArrayBlockingQueue<Pending> queue;
  private final Semaphore inFlight;
  private final Set<CompletableFuture<Sent>> outstanding = ConcurrentHashMap.newKeySet();
  private final AtomicLong seq = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicReference<Position> stored = new AtomicReference<>(Position.EMPTY);
  private final long lingerNanos;
  private final Thread thread;
  private volatile long flushUpTo = -1;
  private volatile boolean closing;

  public EventSender(ClientConfig config, ResilientCaller caller, HttpTransport transport) {
    this.config = config;
    this.caller = caller;
    this.transport = transport;
    this.queue = new ArrayBlockingQueue<>(config.bufferEvents());
    this.inFlight = new Semaphore(config.maxInFlightBatches());
    this.lingerNanos = config.linger().toNanos();
    this.thread = new Thread(this::run, "tally-client-sender");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Buffers an event that has its id. The future completes with the id once the server stored it,
   * or exceptionally: {@link EventRejectedException}, {@link BufferFullException}, or the request's
   * failure.
   *
   * @throws BufferFullException under {@link BufferFullPolicy#FAIL_FAST} when the buffer is full
   */
  public CompletableFuture<Sent> offer(Event event) {
    CompletableFuture<Sent> future = new CompletableFuture<>();
    if (closing) {
      future.completeExceptionally(new TallyClientException("the client is closed"));
      return future;
    }
    int bytes =
        EVENT_OVERHEAD_BYTES
            + event.id().length()
            + event.entity().length()
            + event.type().length()
            + (event.actor() == null ? 0 : 11 + event.actor().length());
    Pending pending = new Pending(event, bytes, seq.incrementAndGet(), future);
    outstanding.add(future);
    future.whenComplete((id, e) -> outstanding.remove(future));
    if (queue.offer(pending)) {
      return future;
    }
    switch (config.bufferFullPolicy()) {
      case BLOCK -> {
        try {
          if (!queue.offer(pending, config.blockTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
            future.completeExceptionally(
                new BufferFullException(
                    "buffer of "
                        + config.bufferEvents()
                        + " events still full after "
                        + config.blockTimeout()));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          future.completeExceptionally(
              new BufferFullException("interrupted while waiting for room in the buffer"));
        }
      }
      case DROP -> {
        dropped.incrementAndGet();
        future.completeExceptionally(
            new BufferFullException(
                "buffer of " + config.bufferEvents() + " events full: dropped"));
      }
      case FAIL_FAST -> {
        BufferFullException e =
            new BufferFullException("buffer of " + config.bufferEvents() + " events full");
        future.completeExceptionally(e);
        throw e;
      }
    }
    return future;
  }

  /**
   * The position of every event stored so far (the merge of each batch's), as a token for a query's
   * {@code after}.
   */
  public String position() {
    return stored.get().token();
  }

  /** Events dropped by {@link BufferFullPolicy#DROP}. */
  public long dropped() {
    return dropped.get();
  }

  /** Events in the buffer, not yet taken into a batch. */
  public int buffered() {
    return queue.size();
  }

  /** Events buffered or in flight, not yet completed. */
  public int outstanding() {
    return outstanding.size();
  }

  /**
   * Sends what is buffered without lingering; the future completes (normally) once every event
   * offered before the call has completed, successfully or not.
   */
  public CompletableFuture<Void> flush() {
    flushUpTo = seq.get();
    return CompletableFuture.allOf(outstanding.toArray(CompletableFuture[]::new))
        .handle((v, e) -> null);
  }

  /** Stops taking events, sends every buffered one and waits until all have completed. */
  @Override
  public void close() {
    closing = true;
    flush().join();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pending late; (late = queue.poll()) != null; ) { // offered while closing began
      late.future().completeExceptionally(new TallyClientException("the client is closed"));
    }
  }

  private void run() {
    Pending carry = null;
    while (true) {
      Pending first;
      try {
        first = carry != null ? carry : queue.poll(SLICE_NANOS, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        return;
      }
      carry = null;
      if (first == null) {
        if (closing && queue.isEmpty()) {
          return;
        }
        continue;
      }
      List<Pending> batch = new ArrayList<>();
      batch.add(first);
      carry = gather(first, batch);
      inFlight.acquireUninterruptibly();
      try {
        send(batch).whenComplete((v, e) -> inFlight.release());
      } catch (
          RuntimeException e) { // e.g. out of memory serializing: fail the batch, keep the thread
        inFlight.release();
        for (Pending p : batch) {
          p.future()
              .completeExceptionally(new TallyClientException("could not send the batch: " + e, e));
        }
      }
    }
  }

  /**
   * Adds events to {@code batch} until full or the linger is over; returns one that did not fit, or
   * null.
   */
  private Pending gather(Pending first, List<Pending> batch) {
    long deadline = System.nanoTime() + lingerNanos;
    int bytes = first.bytes();
    while (batch.size() < config.maxBatchEvents()) {
      boolean hurry = closing || first.seq() <= flushUpTo;
      long wait = hurry ? 0 : deadline - System.nanoTime();
      Pending next;
      if (wait <= 0) {
        next = queue.poll();
        if (next == null) {
          return null;
        }
      } else {
        try {
          next = queue.poll(Math.min(wait, SLICE_NANOS), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
        if (next == null) {
          continue;
        }
      }
      if (bytes + next.bytes() > config.maxBatchBytes()) {
        return next;
      }
      batch.add(next);
      bytes += next.bytes();
    }
    return null;
  }

  private CompletableFuture<Void> send(List<Pending> batch) {
    List<Event> events = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      events.add(p.event());
    }
    HttpTransport.Payload payload = transport.payload(TallyJson.events(events));
    return caller
        .call("/v1/events", payload, EventSender::ingestResult)
        .handle(
            (result, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure.getCause() != null && !(failure instanceof TallyClientException)
                        ? failure.getCause()
                        : failure;
                for (Pending p : batch) {
                  p.future().completeExceptionally(cause);
                }
                return null;
              }
              merge(result.position());
              String[] reasons = new String[batch.size()];
              for (Rejection r : result.rejected()) {
                if (r.index() >= 0 && r.index() < reasons.length) {
                  reasons[r.index()] = r.reason();
                }
              }
              for (int i = 0; i < reasons.length; i++) {
                Pending p = batch.get(i);
                if (reasons[i] != null) {
                  p.future()
                      .completeExceptionally(
                          new EventRejectedException(p.event().id(), reasons[i]));
                } else {
                  p.future().complete(new Sent(p.event().id(), result.position()));
                }
              }
              return null;
            });
  }

  /** Adds a batch's position to {@link #position()}; a token this SDK cannot read is left out. */
  private void merge(String token) {
    if (token == null) {
      return;
    }
    try {
      Position p = Position.parse(token);
      stored.accumulateAndGet(p, Position::merge);
    } catch (IllegalArgumentException e) {
      // a newer server's token: still handed to the caller in Sent, as it is opaque
    }
  }

  /** 202, or 400 listing every event as rejected: the per-event results. Anything else fails. */
  private static IngestResult ingestResult(HttpTransport.Response response) {
    if (response.status() == 400) {
      try {
        return AnswerJsonReader.ingestResult(response.body());
      } catch (MalformedBodyException e) {
        // a 400 for the body as a whole: requireStatus reports it
      }
    }
    ResilientCaller.requireStatus(response, 202);
    try {
      return AnswerJsonReader.ingestResult(response.body());
    } catch (MalformedBodyException e) {
      throw new TallyClientException("202 with an unreadable answer: " + e.getMessage());
    }
  }
}
