package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.KeyRing;
import io.tally.core.auth.Scope;
import io.tally.server.config.EffectiveConfig;
import io.tally.server.security.GatewaySecurity;
import io.tally.testkit.InMemoryApiKeyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two HTTP nodes over one shared key store (as cluster nodes share Cassandra): a key revoked
 * through node A stops working on node B within seconds, by B's periodic refresh alone.
 */
class KeyRevocationAcrossNodesTest {
  @TempDir Path dir;
  private final HttpClient client = HttpClient.newHttpClient();

  private HttpApi node(InMemoryApiKeyStore store, String name) {
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve(name))
            .with(SERVER_PORT, 0)
            .with(SECURITY_KEY_REFRESH_MS, 500)
            .server();
    GatewaySecurity security =
        GatewaySecurity.create(
            config.security(), config.host(), config.maxBodyBytes(), store, InstantSource.system());
    InstantSource clock = InstantSource.system();
    Health health = new Health(List.of(), clock, 1000);
    OpsRoutes ops =
        new OpsRoutes(new TallyMetrics(clock), health, new Readiness(List.of(), health, 0));
    Overview overview =
        new Overview(
            "cluster",
            1,
            config.topK(),
            null,
            Overview.progress(null, p -> Optional.empty(), null),
            () -> 0,
            clock,
            System::nanoTime);
    return HttpApi.start(
        config,
        List.of(IngestRoutes.absent(), QueryRoutes.absent(), AttributeRoutes.absent()),
        ops,
        overview,
        security);
  }

  private int listKeys(HttpApi node, String key) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/admin/keys"))
            .header("Authorization", "Bearer " + key)
            .GET()
            .build();
    return client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private int revoke(HttpApi node, String key, String id) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.port() + "/v1/admin/keys/" + id))
            .header("Authorization", "Bearer " + key)
            .DELETE()
            .build();
    return client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void aKeyRevokedOnOneNodeFailsOnTheOtherWithinSeconds() throws Exception {
    InMemoryApiKeyStore store = new InMemoryApiKeyStore();
    KeyRing setup = new KeyRing(store, InstantSource.system());
    String root =
        setup.create("root", ApiKey.Kind.SECRET, Set.of(Scope.ADMIN), List.of(), List.of()).token();
    KeyRing.Created ops =
        setup.create("ops", ApiKey.Kind.SECRET, Set.of(Scope.ADMIN), List.of(), List.of());
    try (HttpApi a = node(store, "a");
        HttpApi b = node(store, "b")) {
      assertThat(listKeys(b, ops.token())).isEqualTo(200);
      assertThat(revoke(a, root, ops.key().id())).isEqualTo(200);
      assertThat(listKeys(a, ops.token())).isEqualTo(401);
      long revokedAt = System.nanoTime();
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> listKeys(b, ops.token()) == 401);
      assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(5));
      assertThat(listKeys(b, root)).isEqualTo(200);
    }
  }
}
