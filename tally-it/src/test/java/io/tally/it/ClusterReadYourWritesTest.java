package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Position;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 19, read-your-writes across a cluster (real Kafka and Cassandra, two Tally nodes from the
 * built jar): an event sent to one node, read on the other with the ingest answer's position, is
 * counted — on every partition, every time; a position no node reaches gets a 504 saying how far
 * behind.
 */
@ExtendWith(RealEngines.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ClusterReadYourWritesTest {
  private static final int PARTITIONS = 8;
  private final LocalEngines engines;
  private final List<ServerProcess> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  ClusterReadYourWritesTest(LocalEngines engines) {
    this.engines = engines;
  }

  @AfterEach
  void stopNodes() throws Exception {
    for (ServerProcess n : nodes) {
      n.close();
    }
  }

  private ServerProcess node(String name, String run, Path dir) throws Exception {
    ServerProcess n = new ServerProcess(name, dir, engines, run, PARTITIONS);
    nodes.add(n);
    n.start();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> get(n.url() + "/healthz").statusCode() == 200);
    return n;
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String send(ServerProcess n, String id, String entity) throws Exception {
    return n.sendOne(http, id, entity);
  }

  @Test
  void anEventSentToOneNodeIsCountedInAReadOnTheOtherGivenItsPosition() throws Exception {
    String run = "ryw" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    ServerProcess a = node("a", run, dir);
    ServerProcess b = node("b", run, dir);

    for (int i = 0; i < 16; i++) {
      ServerProcess to = i % 2 == 0 ? a : b;
      ServerProcess from = i % 2 == 0 ? b : a;
      String entity = "video:" + i;
      String position = send(to, "e" + i, entity);
      HttpResponse<String> r =
          get(
              from.url()
                  + "/v1/total?entity="
                  + entity
                  + "&type=view&wait=20000&after="
                  + position);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getLong("count")).as(entity).isEqualTo(1);
    }

    String unreachable = Position.of(3, 1_000_000_000L).token();
    HttpResponse<String> late =
        get(a.url() + "/v1/total?entity=video:1&type=view&wait=300&after=" + unreachable);
    assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
    assertThat(new JsonObject(late.body()).getString("error"))
        .startsWith("the position was not counted within 300 ms: ")
        .contains("partition 3 counted up to offset ");
  }
}
