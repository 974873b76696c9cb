package io.tally.server;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the HTTP servers so that every request on a connection they accepted is answered, and a
 * client connecting afterwards finds no listener (connection refused), never a reset:
 *
 * <ol>
 *   <li>answers from now on say {@code Connection: close} ({@link #markAnswer});
 *   <li>the listening socket is closed, connections stay open ({@link #stopListening});
 *   <li>after {@value #ACCEPTED_SETTLE_MILLIS} ms (connections accepted just before the close are
 *       then known), connections that have not delivered their first request yet (a client that
 *       just connected) get up to {@value #FIRST_REQUEST_GRACE_MILLIS} ms to deliver it;
 *   <li>Vert.x's graceful shutdown then waits (up to 10 s) for every request in progress to be
 *       answered, and closes each connection once its answer is sent.
 * </ol>
 *
 * Thread-safe; {@link #stop} once, from the closing thread.
 */
final class GracefulStop {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  /** How long a stop waits for a just-connected client's first request. */
  private static final long FIRST_REQUEST_GRACE_MILLIS = 2_000;

  /** How long after closing the listener connections it accepted take to be counted. */
  private static final long ACCEPTED_SETTLE_MILLIS = 200;

  private final IntSupplier awaitingFirstRequest;
  private volatile boolean stopping;

  /**
   * @param awaitingFirstRequest open connections that have not delivered a request head yet
   */
  GracefulStop(IntSupplier awaitingFirstRequest) {
    this.awaitingFirstRequest = awaitingFirstRequest;
  }

  /** The router's first handler: while stopping, no connection is kept for another request. */
  void markAnswer(RoutingContext ctx) {
    if (stopping) {
      ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    ctx.next();
  }

  void stop(List<HttpServer> servers) {
    stopping = true;
    stopListening(servers);
    // a connection accepted just before the close reaches the connection handler (which counts it)
    // on its own event loop a moment later
    pause(ACCEPTED_SETTLE_MILLIS);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_REQUEST_GRACE_MILLIS);
    while (awaitingFirstRequest.getAsInt() > 0
        && System.nanoTime() < deadline
        && !Thread.currentThread().isInterrupted()) {
      pause(5);
    }
    List<CompletableFuture<Void>> stopped = new ArrayList<>();
    for (HttpServer server : servers) {
      stopped.add(server.shutdown(10, TimeUnit.SECONDS).toCompletionStage().toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new)).get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("HTTP shutdown did not complete cleanly: {}", e.toString());
    }
  }

  /**
   * Closes the one listening socket the servers share, leaving their connections open. Vert.x has
   * no public call for this: its graceful {@code shutdown} closes the listener only once every
   * server instance has been shut down, and each instance closes its idle connections at once —
   * including one accepted a moment ago whose request is still on the way, which the client sees as
   * a reset. So the socket is reached through Vert.x's internals (HttpServerImpl.tcpServer →
   * NetServerImpl.actualServer → bindFuture); if they change, this logs a warning and the stop
   * falls back to plain {@code shutdown}, which only widens that window again.
   */
  private static void stopListening(List<HttpServer> started) {
    if (started.isEmpty()) {
      return;
    }
    try {
      Object tcp = field(started.get(0), "tcpServer");
      Object actual = field(tcp, "actualServer");
      Future<?> bound = (Future<?>) field(actual, "bindFuture");
      if (bound != null && bound.result() instanceof io.netty.channel.Channel listener) {
        listener.close().await(5, TimeUnit.SECONDS);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("could not close the listening socket ahead of the connections: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
      try {
        java.lang.reflect.Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(owner);
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(owner.getClass().getName() + "." + name);
  }
}
