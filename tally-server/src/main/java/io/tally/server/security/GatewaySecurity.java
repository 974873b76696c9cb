package io.tally.server.security;

import static java.util.Objects.requireNonNull;

import io.tally.core.auth.ApiKeyStore;
import io.tally.core.auth.KeyRing;
import io.tally.model.TallyException;
import io.tally.server.http.RequestBody;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the HTTP API needs for security, in the order it applies: server options (TLS with
 * HTTP/2 through ALPN, header and request-line sizes, idle timeout), the connection guard, the gate
 * before every route, the publishable-key entity check before ingest, and the admin key routes.
 * Also the secure default: {@link #create} refuses to serve a non-loopback address while auth is
 * off.
 *
 * <p>Owns the key refresher thread, which re-reads the key store every {@link
 * SecurityConfig#keyRefreshMillis()}; a failed refresh keeps the last snapshot and is logged.
 * Thread-safe; {@link #close()} once.
 */
public final class GatewaySecurity implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewaySecurity.class);

  private final SecurityConfig config;
  private final KeyRing ring;
  private final int maxBodyBytes;
  private final ScheduledExecutorService refresher;
  private volatile boolean refreshFailing;
  private ConnectionGuard guard;

  private GatewaySecurity(SecurityConfig config, KeyRing ring, int maxBodyBytes) {
    this.config = config;
    this.ring = ring;
    this.maxBodyBytes = maxBodyBytes;
    refresher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tally-key-refresh");
              t.setDaemon(true);
              return t;
            });
    refresher.scheduleWithFixedDelay(
        this::refresh, config.keyRefreshMillis(), config.keyRefreshMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Loads the keys and checks that the server may start as configured.
   *
   * @param host the address the server will listen on
   * @param maxBodyBytes the ingest body limit (the gate reads ingest bodies of publishable keys)
   * @throws TallyException if auth is off on a non-loopback address, a TLS file is missing, or the
   *     key store cannot be read
   */
  public static GatewaySecurity create(
      SecurityConfig config, String host, int maxBodyBytes, ApiKeyStore keys, InstantSource clock) {
    requireNonNull(config, "config");
    KeyRing ring = new KeyRing(requireNonNull(keys, "keys"), clock);
    boolean authOn = config.auth() == SecurityConfig.Auth.REQUIRED || ring.anyKeyEverMade();
    if (!authOn && !isLoopback(host)) {
      throw new TallyException(
          "refusing to listen on "
              + host
              + " without API keys: anyone who can reach it could "
              + "send, read and change counts. Create an admin key first (tally keys create --data-dir <dir> --scope admin "
              + "--name <you>, with the server stopped), or listen on 127.0.0.1");
    }
    if (config.tls().enabled()) {
      for (var f : new java.nio.file.Path[] {config.tls().certPath(), config.tls().keyPath()}) {
        if (!Files.isReadable(f)) {
          throw new TallyException("TLS file " + f + " is missing or unreadable");
        }
      }
    }
    LOG.info(
        "API keys {}",
        authOn
            ? "required (" + ring.list().size() + " in the store)"
            : "not required: no key exists yet and the server listens on loopback only");
    return new GatewaySecurity(config, ring, maxBodyBytes);
  }

  /** Whether requests need a key now: required by config, or once any key exists. */
  public boolean authOn() {
    return config.auth() == SecurityConfig.Auth.REQUIRED || ring.anyKeyEverMade();
  }

  /** {@code https} with TLS, else {@code http}. */
  public String scheme() {
    return config.tls().enabled() ? "https" : "http";
  }

  /**
   * Applies TLS (with ALPN for HTTP/2), the size limits and the idle timeout. Cleartext HTTP/2
   * (h2c) is switched off: to spot an h2c upgrade Vert.x holds a new connection back until its
   * first request head is complete, which would hide a client dribbling that head from the
   * connection guard.
   */
  public HttpServerOptions configure(HttpServerOptions options) {
    SecurityConfig.Limits l = config.limits();
    options
        .setHttp2ClearTextEnabled(false)
        .setMaxInitialLineLength(l.maxRequestLineBytes())
        .setMaxHeaderSize(l.maxHeaderBytes())
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, l.idleTimeoutMillis()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    if (config.tls().enabled()) {
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(config.tls().certPath().toString())
                  .setKeyPath(config.tls().keyPath().toString()));
    }
    return options;
  }

  /**
   * Mounts the gate before every other route (call before the API's own routes) and the admin key
   * routes.
   */
  public void mount(Router router, Vertx vertx) {
    guard =
        new ConnectionGuard(
            vertx, config.limits().headerTimeoutMillis(), config.limits().maxConnections());
    SecurityGate gate = new SecurityGate(vertx, ring, this::authOn, guard, config);
    router.route().handler(gate::handle);
    router
        .post("/v1/events")
        .handler(RequestBody.limitedTo(maxBodyBytes, "split the batch"))
        .handler(PublishableEntities::check);
    AdminKeyRoutes.mount(router, vertx, ring);
  }

  /** Open connections that have not delivered their first request head yet. */
  public int connectionsAwaitingARequest() {
    return guard == null ? 0 : guard.awaitingFirstRequest();
  }

  /** The servers' connection handler. */
  public void onConnection(HttpConnection connection) {
    guard.opened(connection);
  }

  private void refresh() {
    try {
      ring.refresh();
      if (refreshFailing) {
        LOG.info("reading the API keys works again");
        refreshFailing = false;
      }
    } catch (RuntimeException e) {
      if (!refreshFailing) {
        LOG.warn(
            "reading the API keys failed; the last keys read stay in effect until it works: {}",
            e.getMessage());
        refreshFailing = true;
      }
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public void close() {
    refresher.shutdownNow();
    try {
      if (!refresher.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("the key refresher did not stop in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
