package io.tally.server.security;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines of one length on one event loop, expired by a single periodic timer: the request and
 * header timeouts of every request, without a Vert.x timer per request.
 *
 * <h2>Why</h2>
 *
 * A Vert.x timer costs a task in Netty's scheduled-task heap and an entry in Vert.x's timer map,
 * set and cancelled again for nearly every request: about a tenth of the event loop's time for a
 * small request (JFR, {@code GET /healthz} under {@code wrk}). All deadlines here have the same
 * length, so they fall due in the order they were started: a linked list in that order, unlinked on
 * {@link Deadline#cancel()} in constant time, holds only the live ones, and one tick walks its head
 * for those past due.
 *
 * <p>A deadline expires up to one tick ({@value #TICKS_PER_TIMEOUT}th of the timeout, at most
 * {@value #MAX_TICK_MILLIS} ms) late. Not thread-safe: confined to the event loop that created it
 * (its timer fires there, and every deadline is started and cancelled there).
 */
final class Deadlines {
  static final int TICKS_PER_TIMEOUT = 10;
  static final long MAX_TICK_MILLIS = 1_000;

  /** One started deadline; {@link #cancel()} when what it guards is done in time. */
  final class Deadline {
    private final long dueNanos;
    private Runnable onExpiry;
    private Deadline previous;
    private Deadline next;

    private Deadline(long dueNanos, Runnable onExpiry) {
      this.dueNanos = dueNanos;
      this.onExpiry = onExpiry;
    }

    /** Forgets the deadline; a no-op once it expired or was cancelled. */
    void cancel() {
      if (onExpiry != null) {
        onExpiry = null;
        unlink(this);
      }
    }
  }

  private final long timeoutNanos;
  private Deadline head;
  private Deadline tail;

  /** Deadlines of {@code timeoutMillis}, expired by whoever calls {@link #expire}. */
  Deadlines(long timeoutMillis) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
  }

  /**
   * Deadlines of {@code timeoutMillis} expired by a periodic timer of the calling event loop; call
   * on the event loop that will use them.
   */
  static Deadlines ticking(Vertx vertx, long timeoutMillis) {
    Deadlines d = new Deadlines(timeoutMillis);
    long tick = Math.max(1, Math.min(MAX_TICK_MILLIS, timeoutMillis / TICKS_PER_TIMEOUT));
    vertx.setPeriodic(tick, id -> d.expire(System.nanoTime()));
    return d;
  }

  /** Starts a deadline of this length from now; {@code onExpiry} runs on the loop if it passes. */
  Deadline start(Runnable onExpiry) {
    return start(System.nanoTime(), onExpiry);
  }

  /** As {@link #start(Runnable)}, from {@code nowNanos} (tests). */
  Deadline start(long nowNanos, Runnable onExpiry) {
    Deadline d = new Deadline(nowNanos + timeoutNanos, onExpiry);
    if (tail == null) {
      head = d;
    } else {
      tail.next = d;
      d.previous = tail;
    }
    tail = d;
    return d;
  }

  /** Runs the expiry of every deadline due at {@code nowNanos}. */
  void expire(long nowNanos) {
    while (head != null && head.dueNanos - nowNanos <= 0) {
      Deadline d = head;
      Runnable action = d.onExpiry;
      d.onExpiry = null;
      unlink(d);
      action.run();
    }
  }

  private void unlink(Deadline d) {
    if (d.previous == null) {
      head = d.next;
    } else {
      d.previous.next = d.next;
    }
    if (d.next == null) {
      tail = d.previous;
    } else {
      d.next.previous = d.previous;
    }
    d.previous = null;
    d.next = null;
  }
}
