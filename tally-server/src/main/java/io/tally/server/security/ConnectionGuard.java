package io.tally.server.security;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection-level limits the HTTP stack does not enforce by itself:
 *
 * <ul>
 *   <li>a cap on open connections (one over it is closed at once);
 *   <li>the header timeout against slowloris: an HTTP/1.x connection must deliver a complete
 *       request head within {@code headerTimeoutMillis} of opening or of its previous response
 *       ending, else it is closed. Vert.x calls the request handler only once a head is complete,
 *       so a client dribbling header bytes never reaches a handler; this timer is what stops it. It
 *       is also the keep-alive idle time. (HTTP/2 connections are governed by the idle timeout and
 *       per-request deadlines instead.)
 * </ul>
 *
 * <p>Thread-safe. A connection's state is touched only on its own event loop (its header deadline
 * is one of that loop's {@link Deadlines}); the map and the connection count are shared by every
 * event loop's server.
 */
final class ConnectionGuard {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

  private final Vertx vertx;
  private final long headerTimeoutMillis;
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger awaitingFirstRequest = new AtomicInteger();
  private final Map<HttpConnection, State> states = new ConcurrentHashMap<>();

  /** Per event loop, confined to it. */
  private final ThreadLocal<Deadlines> headerDeadlines = new ThreadLocal<>();

  ConnectionGuard(Vertx vertx, long headerTimeoutMillis, int maxConnections) {
    this.vertx = vertx;
    this.headerTimeoutMillis = headerTimeoutMillis;
    this.maxConnections = maxConnections;
  }

  /** This event loop's header deadlines. */
  private Deadlines headerDeadlines() {
    Deadlines d = headerDeadlines.get();
    if (d == null) {
      d = Deadlines.ticking(vertx, headerTimeoutMillis);
      headerDeadlines.set(d);
    }
    return d;
  }

  /** A connection opened (called on its event loop). */
  void opened(HttpConnection conn) {
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      LOG.warn(
          "closing a connection from {}: {} connections are open already",
          conn.remoteAddress(),
          maxConnections);
      conn.close();
      return;
    }
    State s = new State(conn);
    states.put(conn, s);
    awaitingFirstRequest.incrementAndGet();
    conn.closeHandler(
        v -> {
          open.decrementAndGet();
          states.remove(conn);
          s.cancelHeaderTimer();
          s.servedOrGone();
        });
    s.armHeaderTimer();
  }

  /** A request's head arrived on its connection (called on its event loop). */
  void requestStarted(HttpServerRequest request) {
    State s = states.get(request.connection());
    if (s != null) {
      s.cancelHeaderTimer();
      s.servedOrGone();
      s.http2 |= request.version() == HttpVersion.HTTP_2;
      s.inFlight++;
    }
  }

  /** A request's response ended or it was aborted (called on its event loop). */
  void requestEnded(HttpServerRequest request) {
    State s = states.get(request.connection());
    if (s != null && --s.inFlight == 0 && !s.http2) {
      s.armHeaderTimer();
    }
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }

  /**
   * Connections open that have not delivered their first request head yet: a client that just
   * connected has its request on the way. A graceful stop waits for these before closing idle
   * connections, so a connection it accepted is always answered.
   */
  int awaitingFirstRequest() {
    return awaitingFirstRequest.get();
  }

  private final class State {
    final HttpConnection conn;
    Deadlines.Deadline headerDeadline;
    int inFlight;
    boolean http2;
    boolean counted = true; // in awaitingFirstRequest

    void servedOrGone() {
      if (counted) {
        counted = false;
        awaitingFirstRequest.decrementAndGet();
      }
    }

    State(HttpConnection conn) {
      this.conn = conn;
    }

    void armHeaderTimer() {
      cancelHeaderTimer();
      headerDeadline =
          headerDeadlines()
              .start(
                  () -> {
                    headerDeadline = null;
                    if (inFlight == 0) {
                      LOG.info(
                          "closing a connection from {}: no complete request head within {} ms",
                          conn.remoteAddress(),
                          headerTimeoutMillis);
                      conn.close();
                    }
                  });
    }

    void cancelHeaderTimer() {
      if (headerDeadline != null) {
        headerDeadline.cancel();
        headerDeadline = null;
      }
    }
  }
}
