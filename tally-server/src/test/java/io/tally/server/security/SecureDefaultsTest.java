package io.tally.server.security;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.KeyRing;
import io.tally.core.auth.Scope;
import io.tally.model.TallyException;
import io.tally.rocksdb.RocksDbApiKeyStore;
import io.tally.rocksdb.RocksDbStorage;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import io.tally.server.config.EffectiveConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secure default (no open server off loopback), the offline bootstrap key, and rate limits. */
class SecureDefaultsTest {
  @TempDir Path dir;

  @Test
  void refusesToListenBeyondLoopbackWithoutKeys() {
    EffectiveConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve("data"))
            .with(SERVER_HOST, "0.0.0.0")
            .with(SERVER_PORT, 0);
    assertThatThrownBy(() -> EmbeddedTally.start(config.server()))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("refusing to listen on 0.0.0.0 without API keys");
    ServerConfig required = config.with(SECURITY_AUTH, "required").server();
    try (EmbeddedTally tally = EmbeddedTally.start(required)) {
      assertThat(
              new GatewayClient("http://127.0.0.1:" + tally.port())
                  .get(null, "/v1/total?entity=a&type=b")
                  .statusCode())
          .isEqualTo(401);
    }
  }

  @Test
  void anAdminKeyMadeInAStoppedDataDirTurnsAuthOnAndAllowsAnyAddress() {
    Path data = dir.resolve("data");
    String token;
    try (RocksDbStorage storage =
        RocksDbStorage.open(data, EffectiveConfig.defaults().get(STORAGE_PARTITIONS))) {
      token =
          new KeyRing(new RocksDbApiKeyStore(storage), InstantSource.system())
              .create(
                  "root",
                  ApiKey.Kind.SECRET,
                  Set.of(Scope.ADMIN, Scope.QUERY),
                  List.of(),
                  List.of())
              .token();
    }
    try (EmbeddedTally tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, data)
                .with(SERVER_HOST, "0.0.0.0")
                .with(SERVER_PORT, 0)
                .server())) {
      GatewayClient http = new GatewayClient("http://127.0.0.1:" + tally.port());
      assertThat(http.get(null, "/v1/total?entity=a&type=b").statusCode()).isEqualTo(401);
      assertThat(http.get(token, "/v1/total?entity=a&type=b").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void requestsOverAKeysRateLimitGet429WithRetryAfter() {
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve("data"))
            .with(SERVER_PORT, 0)
            .with(SECURITY_RATE_LIMIT_PER_KEY, 5)
            .with(SECURITY_RATE_LIMIT_PER_ADDRESS, 0)
            .server();
    try (EmbeddedTally tally = EmbeddedTally.start(config)) {
      GatewayClient http = new GatewayClient(tally.url());
      String key =
          new io.vertx.core.json.JsonObject(
                  http.post(
                          null,
                          "/v1/admin/keys",
                          "{\"name\":\"busy\",\"scopes\":[\"query\",\"admin\"]}")
                      .body())
              .getString("key");
      String other =
          new io.vertx.core.json.JsonObject(
                  http.post(key, "/v1/admin/keys", "{\"name\":\"calm\",\"scopes\":[\"query\"]}")
                      .body())
              .getString("key");
      List<HttpResponse<String>> answers = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        answers.add(http.get(key, "/v1/total?entity=a&type=b"));
      }
      List<HttpResponse<String>> limited =
          answers.stream().filter(r -> r.statusCode() == 429).toList();
      assertThat(limited).isNotEmpty();
      assertThat(answers).allMatch(r -> r.statusCode() == 200 || r.statusCode() == 429);
      assertThat(limited.get(0).headers().firstValue("Retry-After")).hasValue("1");
      assertThat(limited.get(0).body()).contains("rate limit of API key");
      assertThat(http.get(other, "/v1/total?entity=a&type=b").statusCode())
          .as("another key has its own bucket")
          .isEqualTo(200);
    }
  }

  @Test
  void requestsOverAnAddressRateLimitGet429EvenWithoutKeys() {
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve("data"))
            .with(SERVER_PORT, 0)
            .with(SECURITY_RATE_LIMIT_PER_KEY, 0)
            .with(SECURITY_RATE_LIMIT_PER_ADDRESS, 5)
            .server();
    try (EmbeddedTally tally = EmbeddedTally.start(config)) {
      GatewayClient http = new GatewayClient(tally.url());
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        statuses.add(http.get(null, "/v1/total?entity=a&type=b").statusCode());
      }
      assertThat(statuses).contains(429).containsOnly(200, 429);
    }
  }
}
