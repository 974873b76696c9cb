package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Enrichment in cluster mode on real engines: attributes PUT on a gateway node (ingest + query)
 * travel through the compacted attributes topic to a worker node's replica; the worker's processor
 * counts events under the derived entities; every derived count, in total and per minute bucket,
 * equals the sum of its members' counts; and a change made on the worker applies to the events
 * processed after it.
 */
@ExtendWith(RealEngines.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ClusterEnrichmentTest {
  private static final int PARTITIONS = 4;
  private static final int VIDEOS = 40;
  private final LocalEngines engines;
  private final List<ServerProcess> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  ClusterEnrichmentTest(LocalEngines engines) {
    this.engines = engines;
  }

  @AfterEach
  void stopNodes() {
    nodes.forEach(ServerProcess::close);
  }

  private ServerProcess node(String name, Path dir, String run, String... args) throws Exception {
    ServerProcess n = new ServerProcess(name, dir, engines, run, PARTITIONS, args);
    nodes.add(n);
    n.start();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> send("GET", n.url() + "/healthz", null).statusCode() == 200);
    return n;
  }

  private HttpResponse<String> send(String method, String url, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String attributes(String entity) {
    return "/v1/entities/" + URLEncoder.encode(entity, StandardCharsets.UTF_8) + "/attributes";
  }

  private long count(ServerProcess n, String entity) throws Exception {
    HttpResponse<String> r =
        send(
            "GET",
            n.url()
                + "/v1/total?type=view&entity="
                + URLEncoder.encode(entity, StandardCharsets.UTF_8),
            null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getLong("count");
  }

  private Map<Long, Long> minutes(ServerProcess n, String entity, long from, long to)
      throws Exception {
    HttpResponse<String> r =
        send(
            "GET",
            n.url()
                + "/v1/stats?type=view&granularity=minute&from="
                + from
                + "&to="
                + to
                + "&entity="
                + URLEncoder.encode(entity, StandardCharsets.UTF_8),
            null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Map<Long, Long> out = new HashMap<>();
    JsonArray buckets = new JsonObject(r.body()).getJsonArray("buckets");
    for (int i = 0; i < buckets.size(); i++) {
      out.put(
          Instant.parse(buckets.getJsonObject(i).getString("start")).toEpochMilli(),
          buckets.getJsonObject(i).getLong("value"));
    }
    return out;
  }

  /**
   * Posts events (each batch also re-sends a few earlier ones) and returns the distinct count per
   * video.
   */
  private Map<String, Long> post(
      ServerProcess gateway, String run, String idPrefix, int events, long now) throws Exception {
    Random random = new Random(idPrefix.hashCode());
    Map<String, Long> distinct = new HashMap<>();
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < events; i += 500) {
      StringBuilder batch = new StringBuilder("[");
      for (int k = i; k < i + 500; k++) {
        String video = "video:" + random.nextInt(VIDEOS);
        String event =
            "{\"id\":\""
                + run
                + idPrefix
                + k
                + "\",\"entity\":\""
                + video
                + "\",\"type\":\"view\",\"time\":"
                + (now - random.nextInt(20 * 60_000))
                + "}";
        distinct.merge(video, 1L, Long::sum);
        batch.append(k == i ? "" : ",").append(event);
        sent.add(event);
      }
      for (int k = 0; k < 20; k++) {
        batch.append(',').append(sent.get(random.nextInt(sent.size()))); // client retries
      }
      HttpResponse<String> r =
          send("POST", gateway.url() + "/v1/events", batch.append(']').toString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }
    return distinct;
  }

  @Test
  void derivedCountsOfAClusterEqualTheSumOfTheirMembers() throws Exception {
    String run = "en" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    ServerProcess gateway =
        node("gateway", dir, run, "--roles", "ingest,query", "--derive", "channel");
    ServerProcess worker =
        node("worker", dir, run, "--roles", "processor,materializer,query", "--derive", "channel");

    Map<String, List<String>> members = new HashMap<>();
    for (int v = 0; v < VIDEOS; v++) {
      String channel = "channel:c" + v % 4;
      HttpResponse<String> r =
          send("PUT", gateway.url() + attributes("video:" + v), "{\"channel\":\"c" + v % 4 + "\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      members.computeIfAbsent(channel, k -> new ArrayList<>()).add("video:" + v);
    }
    assertThat(send("GET", gateway.url() + attributes("video:3"), null).body())
        .isEqualTo("{\"channel\":\"c3\"}");
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                send("GET", worker.url() + attributes("video:" + (VIDEOS - 1)), null).statusCode()
                    == 200);

    long now = System.currentTimeMillis();
    Map<String, Long> distinct = post(gateway, run, "a", 10_000, now);
    Map<String, Long> expected = new HashMap<>();
    members.forEach(
        (channel, videos) ->
            expected.put(
                channel, videos.stream().mapToLong(v -> distinct.getOrDefault(v, 0L)).sum()));
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              for (Map.Entry<String, Long> e : expected.entrySet()) {
                if (count(gateway, e.getKey()) != e.getValue()) {
                  return false;
                }
              }
              return true;
            });
    long from = now - 30 * 60_000;
    long to = now + 60_000;
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              for (Map.Entry<String, List<String>> c : members.entrySet()) {
                long sum = 0;
                Map<Long, Long> want = new HashMap<>();
                for (String m : c.getValue()) {
                  assertThat(count(worker, m)).as(m).isEqualTo(distinct.getOrDefault(m, 0L));
                  sum += count(gateway, m);
                  minutes(gateway, m, from, to)
                      .forEach((start, n) -> want.merge(start, n, Long::sum));
                }
                assertThat(count(gateway, c.getKey())).as("total of %s", c.getKey()).isEqualTo(sum);
                assertThat(count(worker, c.getKey()))
                    .as("total of %s on the worker", c.getKey())
                    .isEqualTo(sum);
                assertThat(minutes(gateway, c.getKey(), from, to))
                    .as("minutes of %s", c.getKey())
                    .isEqualTo(want);
              }
            });

    // a change made on the worker: its own replica has it when the PUT returns
    HttpResponse<String> moved =
        send("PUT", worker.url() + attributes("video:0"), "{\"channel\":\"c9\"}");
    assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                send("GET", gateway.url() + attributes("video:0"), null)
                    .body()
                    .equals("{\"channel\":\"c9\"}"));
    long before = count(gateway, "channel:c0");
    long video0 = count(gateway, "video:0");
    StringBuilder batch = new StringBuilder("[");
    for (int i = 0; i < 50; i++) {
      batch
          .append(i == 0 ? "" : ",")
          .append("{\"id\":\"")
          .append(run)
          .append("moved")
          .append(i)
          .append("\",\"entity\":\"video:0\",\"type\":\"view\"}");
    }
    assertThat(
            send("POST", gateway.url() + "/v1/events", batch.append(']').toString()).statusCode())
        .isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> count(gateway, "video:0") == video0 + 50 && count(gateway, "channel:c9") == 50);
    assertThat(count(gateway, "channel:c0"))
        .as("events before the change stay where they were counted")
        .isEqualTo(before);
  }
}
