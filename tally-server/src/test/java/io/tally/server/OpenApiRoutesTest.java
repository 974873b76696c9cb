package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI description served at {@code /openapi.yaml} and the routes the server serves agree
 * both ways. The served routes come from the Vert.x router itself, so a route added later fails
 * here until it is described. Also checks Swagger UI is served at {@code /docs} from its WebJar.
 */
class OpenApiRoutesTest {
  private static final Set<String> HTTP_METHODS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  @TempDir Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;

  @BeforeEach
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  private JsonNode openApi() throws Exception {
    HttpResponse<String> r = http.get("/openapi.yaml");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/yaml");
    return new ObjectMapper(new YAMLFactory()).readTree(r.body());
  }

  /** "METHOD /path" of every operation described, paths in OpenAPI form. */
  private static Set<String> described(JsonNode doc) {
    Set<String> operations = new TreeSet<>();
    Iterator<java.util.Map.Entry<String, JsonNode>> paths = doc.get("paths").fields();
    while (paths.hasNext()) {
      var path = paths.next();
      path.getValue()
          .fieldNames()
          .forEachRemaining(
              field -> {
                if (HTTP_METHODS.contains(field)) {
                  operations.add(field.toUpperCase(Locale.ROOT) + " " + path.getKey());
                }
              });
    }
    return operations;
  }

  /**
   * A Vert.x route path in OpenAPI form: {@code :name} → {@code {name}}; a prefix route ({@code
   * /docs/*}) → {@code /docs/{asset}}, its one path parameter.
   */
  private static String openApiPath(Route route) {
    String path = route.getPath().replaceAll(":(\\w+)", "{$1}");
    if (!route.isExactPath()) {
      path = (path.endsWith("/") ? path : path + "/") + "{asset}";
    }
    return path;
  }

  /**
   * "METHOD /path" of every route the router serves (a route without methods serves all of them).
   */
  private Set<String> served() {
    Set<String> operations = new TreeSet<>();
    for (Route route : tally.routes()) {
      if (route.getPath() == null) {
        continue; // the metrics handler and the failure handler: every request, no route of its own
      }
      Set<HttpMethod> methods = route.methods();
      List<String> names = new ArrayList<>();
      if (methods == null || methods.isEmpty()) {
        names.add("ANY");
      } else {
        methods.forEach(m -> names.add(m.name()));
      }
      for (String m : names) {
        operations.add(m + " " + openApiPath(route));
      }
    }
    return operations;
  }

  @Test
  void everyServedRouteIsDescribedAndEveryDescribedRouteIsServed() throws Exception {
    Set<String> described = described(openApi());
    Set<String> served = served();
    assertThat(served)
        .as("routes the router serves")
        .isNotEmpty()
        .allSatisfy(op -> assertThat(op).doesNotStartWith("ANY "));
    assertThat(described).as("operations in openapi.yaml").containsAll(served);
    assertThat(served).as("routes the router serves").containsAll(described);
  }

  @Test
  void everyOperationDocumentsItsAnswers() throws Exception {
    JsonNode doc = openApi();
    assertThat(doc.get("openapi").asText()).startsWith("3.");
    doc.get("paths")
        .fields()
        .forEachRemaining(
            path ->
                path.getValue()
                    .fields()
                    .forEachRemaining(
                        op -> {
                          if (HTTP_METHODS.contains(op.getKey())) {
                            assertThat(op.getValue().get("responses"))
                                .as(op.getKey() + " " + path.getKey() + " responses")
                                .isNotNull();
                            assertThat(op.getValue().get("summary"))
                                .as(op.getKey() + " " + path.getKey() + " summary")
                                .isNotNull();
                          }
                        }));
  }

  @Test
  void describedQueryParametersAreTheOnesTheServerAccepts() throws Exception {
    JsonNode doc = openApi();
    // a parameter the description does not name is refused by the server, and vice versa
    assertThat(
            http.get(
                    "/v1/stats?entity=video:1&type=view&fn=sum&from=0&to=60000&granularity=minute&fill=zero")
                .statusCode())
        .isEqualTo(200);
    assertThat(parameterNames(doc, "/v1/stats"))
        .containsExactlyInAnyOrder(
            "entity", "type", "fn", "from", "to", "granularity", "fill", "after", "wait");
    assertThat(http.get("/v1/total?entity=video:1&type=view&fn=uniques").statusCode())
        .isEqualTo(200);
    assertThat(parameterNames(doc, "/v1/total"))
        .containsExactlyInAnyOrder("entity", "type", "fn", "after", "wait");
    assertThat(parameterNames(doc, "/v1/top"))
        .containsExactlyInAnyOrder("type", "window", "k", "prefix", "after", "wait");
  }

  private static List<String> parameterNames(JsonNode doc, String path) {
    List<String> names = new ArrayList<>();
    for (JsonNode p : doc.get("paths").get(path).get("get").get("parameters")) {
      JsonNode resolved =
          p.has("$ref")
              ? doc.at(
                  "/components/parameters/"
                      + p.get("$ref").asText().substring("#/components/parameters/".length()))
              : p;
      names.add(resolved.get("name").asText());
    }
    return names;
  }

  @Test
  void swaggerUiIsServedFromItsWebJarAndReadsTheDescription() {
    HttpResponse<String> redirect = http.get("/docs");
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.headers().firstValue("location")).hasValue("/docs/");
    HttpResponse<String> page = http.get("/docs/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("swagger-ui-bundle.js").contains("swagger-initializer.js");
    HttpResponse<String> bundle = http.get("/docs/swagger-ui-bundle.js");
    assertThat(bundle.statusCode()).isEqualTo(200);
    assertThat(bundle.body().length()).isGreaterThan(100_000);
    HttpResponse<String> init = http.get("/docs/swagger-initializer.js");
    assertThat(init.statusCode()).isEqualTo(200);
    assertThat(init.body()).contains("url: \"/openapi.yaml\"").doesNotContain("petstore");
    assertThat(http.get("/docs/no-such-file.js").statusCode()).isEqualTo(404);
  }
}
