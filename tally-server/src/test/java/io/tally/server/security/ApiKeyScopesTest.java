package io.tally.server.security;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Scopes against a real embedded server: the first admin key is made from loopback while no key
 * exists, and from then on every {@code /v1/} route needs a key with the right scope.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiKeyScopesTest {
  @TempDir static Path dir;
  private EmbeddedTally tally;
  private GatewayClient http;
  private String admin;
  private final ListAppender<ILoggingEvent> audit = new ListAppender<>();

  @BeforeAll
  void start() {
    audit.start();
    ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).addAppender(audit);
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .server());
    http = new GatewayClient(tally.url());
    assertThat(http.get(null, "/v1/total?entity=video:1&type=view").statusCode())
        .as("auth is off before any key")
        .isEqualTo(200);
    admin = create(null, "{\"name\":\"root\",\"scopes\":[\"admin\"]}");
  }

  @AfterAll
  void stop() {
    ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).detachAppender(audit);
    tally.close();
  }

  private String create(String byKey, String body) {
    HttpResponse<String> r = http.post(byKey, "/v1/admin/keys", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new JsonObject(r.body()).getString("key");
  }

  private static String id(String token) {
    return token.substring(7, 19);
  }

  @Test
  void withoutAKeyEveryV1RouteIs401ButHealthIsOpen() {
    assertThat(http.get(null, "/v1/total?entity=video:1&type=view").statusCode()).isEqualTo(401);
    assertThat(
            http.post(null, "/v1/events", "{\"entity\":\"video:1\",\"type\":\"view\"}")
                .statusCode())
        .isEqualTo(401);
    assertThat(http.get(null, "/v1/admin/keys").statusCode()).isEqualTo(401);
    assertThat(
            http.get("tly_sk_000000000000_" + "A".repeat(43), "/v1/total?entity=video:1&type=view")
                .statusCode())
        .isEqualTo(401);
    assertThat(http.get("garbage-not-a-key", "/v1/total?entity=video:1&type=view").statusCode())
        .isEqualTo(401);
    assertThat(http.get(null, "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void anIngestKeyCannotQueryOrAdminister() {
    String ingest = create(admin, "{\"name\":\"producer\",\"scopes\":[\"ingest\"]}");
    assertThat(
            http.post(ingest, "/v1/events", "{\"entity\":\"scoped:1\",\"type\":\"view\"}")
                .statusCode())
        .isEqualTo(202);
    HttpResponse<String> query = http.get(ingest, "/v1/total?entity=scoped:1&type=view");
    assertThat(query.statusCode()).isEqualTo(403);
    assertThat(query.body()).contains("lacks the query scope");
    assertThat(http.get(ingest, "/v1/top?type=view&window=1h").statusCode()).isEqualTo(403);
    assertThat(http.get(ingest, "/v1/overview").statusCode())
        .as("the dashboard's numbers are a query")
        .isEqualTo(403);
    assertThat(
            http.post(
                    ingest, "/v1/stats/batch", "{\"queries\":[{\"entity\":\"a\",\"type\":\"b\"}]}")
                .statusCode())
        .isEqualTo(403);
    assertThat(http.get(ingest, "/v1/admin/keys").statusCode()).isEqualTo(403);
    assertThat(
            http.post(ingest, "/v1/admin/keys", "{\"name\":\"x\",\"scopes\":[\"admin\"]}")
                .statusCode())
        .isEqualTo(403);
    assertThat(
            http.put(ingest, "/v1/entities/video:1/attributes", "{\"channel\":\"c1\"}")
                .statusCode())
        .isEqualTo(403);
    assertThat(http.delete(ingest, "/v1/admin/keys/" + id(admin)).statusCode()).isEqualTo(403);
  }

  @Test
  void aQueryKeyCannotIngest() {
    String query = create(admin, "{\"name\":\"dashboard\",\"scopes\":[\"query\"]}");
    HttpResponse<String> r =
        http.post(query, "/v1/events", "{\"entity\":\"scoped:2\",\"type\":\"view\"}");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("lacks the ingest scope");
    assertThat(http.get(query, "/v1/total?entity=scoped:2&type=view").statusCode()).isEqualTo(200);
    assertThat(http.get(query, "/v1/overview").statusCode()).isEqualTo(200);
    assertThat(http.get(query, "/v1/entities/video:1/attributes").statusCode()).isEqualTo(403);
  }

  @Test
  void aRevokedKeyFailsEverywhereAtOnce() {
    String all =
        create(admin, "{\"name\":\"everything\",\"scopes\":[\"ingest\",\"query\",\"admin\"]}");
    assertThat(http.get(all, "/v1/total?entity=video:1&type=view").statusCode()).isEqualTo(200);
    HttpResponse<String> revoke = http.delete(admin, "/v1/admin/keys/" + id(all));
    assertThat(revoke.statusCode()).as(revoke.body()).isEqualTo(200);
    assertThat(new JsonObject(revoke.body()).getBoolean("revoked")).isTrue();
    assertThat(http.get(all, "/v1/total?entity=video:1&type=view").statusCode()).isEqualTo(401);
    assertThat(
            http.post(all, "/v1/events", "{\"entity\":\"video:1\",\"type\":\"view\"}").statusCode())
        .isEqualTo(401);
    assertThat(http.get(all, "/v1/admin/keys").statusCode()).isEqualTo(401);
    assertThat(http.get(all, "/v1/admin/keys").body()).contains("revoked");
    assertThat(http.delete(admin, "/v1/admin/keys/ffffffffffff").statusCode()).isEqualTo(404);
  }

  @Test
  void publishableKeysWorkOnlyFromTheirOriginsAndForTheirEntityPrefixes() {
    String pk =
        create(
            admin,
            "{\"name\":\"beacon\",\"kind\":\"publishable\",\"origins\":[\"https://shop.example\"],"
                + "\"entityPrefixes\":[\"page:\",\"video:\"]}");
    assertThat(pk).startsWith("tly_pk_");
    String good =
        "[{\"entity\":\"page:home\",\"type\":\"view\"},{\"entity\":\"video:9\",\"type\":\"play\"}]";
    assertThat(http.post(null, "https://shop.example", "/v1/events?key=" + pk, good).statusCode())
        .isEqualTo(202);
    assertThat(http.post(pk, "https://shop.example", "/v1/events", good).statusCode())
        .isEqualTo(202);

    HttpResponse<String> wrongOrigin =
        http.post(null, "https://evil.example", "/v1/events?key=" + pk, good);
    assertThat(wrongOrigin.statusCode()).isEqualTo(403);
    assertThat(wrongOrigin.body()).contains("not allowed from origin 'https://evil.example'");
    assertThat(http.post(pk, null, "/v1/events", good).statusCode())
        .as("no Origin header")
        .isEqualTo(403);

    HttpResponse<String> wrongEntity =
        http.post(
            pk,
            "https://shop.example",
            "/v1/events",
            "[{\"entity\":\"page:home\",\"type\":\"view\"},{\"entity\":\"user:1\",\"type\":\"view\"}]");
    assertThat(wrongEntity.statusCode()).isEqualTo(403);
    assertThat(wrongEntity.body())
        .contains("event 1: entity 'user:1' is outside the entity prefixes");

    assertThat(http.get(pk, "/v1/total?entity=page:home&type=view").statusCode())
        .as("ingest only")
        .isEqualTo(403);

    String secret = create(admin, "{\"name\":\"server\",\"scopes\":[\"ingest\"]}");
    HttpResponse<String> secretInUrl = http.post(null, null, "/v1/events?key=" + secret, good);
    assertThat(secretInUrl.statusCode()).isEqualTo(401);
    assertThat(secretInUrl.body()).contains("only publishable keys");

    String query = create(admin, "{\"name\":\"reader\",\"scopes\":[\"query\"]}");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        new JsonObject(
                                http.get(query, "/v1/total?entity=page:home&type=view").body())
                            .getLong("count"))
                    .isEqualTo(2));
    assertThat(
            new JsonObject(http.get(query, "/v1/total?entity=user:1&type=view").body())
                .getLong("count"))
        .isZero();
  }

  @Test
  void aPublishableKeyMustNameOriginsAndPrefixesAndCanOnlyIngest() {
    assertThat(
            http.post(
                    admin,
                    "/v1/admin/keys",
                    "{\"name\":\"b\",\"kind\":\"publishable\",\"origins\":[\"https://a.example\"]}")
                .statusCode())
        .isEqualTo(400);
    HttpResponse<String> r =
        http.post(
            admin,
            "/v1/admin/keys",
            "{\"name\":\"b\",\"kind\":\"publishable\",\"scopes\":[\"query\"],"
                + "\"origins\":[\"https://a.example\"],\"entityPrefixes\":[\"a:\"]}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("only have the ingest scope");
    assertThat(
            http.post(
                    admin,
                    "/v1/admin/keys",
                    "{\"name\":\"b\",\"kind\":\"publishable\",\"origins\":[\"https://a.example/path\"],"
                        + "\"entityPrefixes\":[\"a:\"]}")
                .statusCode())
        .isEqualTo(400);
  }

  @Test
  void adminActionsAreAuditedWithoutSecrets() {
    String token = create(admin, "{\"name\":\"audited\",\"scopes\":[\"query\"]}");
    http.get(token, "/v1/admin/keys"); // refused: audited too
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              String lines =
                  String.join(
                      "\n", audit.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
              assertThat(lines)
                  .contains(
                      "who=" + id(admin) + "(root)",
                      "action=\"POST /v1/admin/keys\" status=201",
                      "created key " + id(token) + " (audited)",
                      "who=" + id(token) + "(audited)",
                      "status=403");
              assertThat(lines).doesNotContain(token).doesNotContain(admin);
            });
  }

  @Test
  void pathTricksDoNotReachRoutesAKeyLacksTheScopeFor() throws Exception {
    String ingest = create(admin, "{\"name\":\"sneaky\",\"scopes\":[\"ingest\"]}");
    for (String path :
        new String[] {
          "/v1/x/../admin/keys",
          "//v1/admin/keys",
          "/v1/./admin/keys",
          "/v1//admin/keys",
          "/v1/%61dmin/keys",
          "/./v1/admin/keys",
          "/v1/events/../admin/keys",
          "/x/../v1/admin/keys",
          "/v1/total/../admin/keys"
        }) {
      for (String key : new String[] {null, ingest}) {
        RawHttp.Answer a =
            RawHttp.exchange(
                tally.port(),
                RawHttp.request(
                    "GET", path, null, key == null ? null : "Bearer " + key, new byte[0]));
        assertThat(a.status())
            .as(path + " with " + (key == null ? "no key" : "an ingest key") + ": " + a.body())
            .isIn(400, 401, 403, 404);
      }
    }
  }

  @Test
  void listingShowsRecordsButNeverKeys() {
    HttpResponse<String> r = http.get(admin, "/v1/admin/keys");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getJsonArray("keys").getJsonObject(0).getString("name"))
        .isEqualTo("root");
    assertThat(r.body()).doesNotContain(admin).doesNotContain("\"key\"");
  }
}
