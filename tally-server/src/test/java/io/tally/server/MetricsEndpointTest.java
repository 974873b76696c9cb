package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes {@code GET /metrics} of a real embedded server before and after real traffic (good
 * events, duplicates, bad events, refused requests, queries) and checks that the key series exist
 * and moved by what the traffic implies.
 */
class MetricsEndpointTest {
  private static final int PARTITIONS = 4;
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
                .with(STORAGE_PARTITIONS, PARTITIONS)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 100)
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  private PrometheusText scrape() {
    HttpResponse<String> r = http.get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
    return new PrometheusText(r.body());
  }

  private static String events(String idPrefix, int n) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      b.append(i > 0 ? "," : "")
          .append("{\"id\":\"")
          .append(idPrefix)
          .append(i)
          .append("\",\"entity\":\"video:")
          .append(i % 7)
          .append("\",\"type\":\"view\"}");
    }
    return b.append(']').toString();
  }

  @Test
  void keySeriesExistAndMoveWithTraffic() {
    PrometheusText before = scrape();
    assertThat(before.value("tally_ingest_events_total")).isEqualTo(0.0);
    assertThat(before.value("tally_dedup_duplicates_total")).isEqualTo(0.0);
    for (int p = 0; p < PARTITIONS; p++) {
      assertThat(before.value("tally_processor_lag_events", "partition", Integer.toString(p)))
          .isNotNull();
      assertThat(before.value("tally_processor_lag_seconds", "partition", Integer.toString(p)))
          .isNotNull();
    }

    String first = events("a-", 100);
    String retry = events("a-", 100); // the same ids: counted once
    String tooOld = Instant.now().minus(Duration.ofDays(30)).toString();
    String mixed =
        "[{\"id\":\"b-1\",\"entity\":\"video:1\",\"type\":\"view\"},"
            + "{\"entity\":\"video:1\",\"type\":\"VIEW!\"},"
            + "{\"type\":\"view\"},"
            + "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":\""
            + tooOld
            + "\"},"
            + "42]";
    assertThat(http.postJson(first).statusCode()).isEqualTo(202);
    assertThat(http.postJson(retry).statusCode()).isEqualTo(202);
    assertThat(http.postJson(mixed).statusCode()).isEqualTo(202);
    assertThat(http.postJson("{\"entity\": ").statusCode()).isEqualTo(400);
    assertThat(http.post("/v1/events", "application/json", new byte[0]).statusCode())
        .isEqualTo(400);
    long bodyBytes = (first + retry + mixed).getBytes(StandardCharsets.UTF_8).length;

    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                new JsonObject(http.get("/healthz").body())
                        .getJsonObject("checks")
                        .getLong("backlogEvents")
                    == 0);
    assertThat(http.get("/v1/total?entity=video:1&type=view").statusCode()).isEqualTo(200);
    assertThat(http.get("/v1/total?entity=video:1&type=view").statusCode()).isEqualTo(200);
    // The second answer comes from the cache unless a flush of the partition landed between the
    // two (its as-of time changed, so the cached answer is not served): ask again until one does.
    int totals = 2;
    while (scrape().valueOrZero("tally_query_cache_requests_total", "result", "hit") == 0
        && totals < 50) {
      assertThat(http.get("/v1/total?entity=video:1&type=view").statusCode()).isEqualTo(200);
      totals++;
    }
    assertThat(http.get("/v1/stats?entity=video:1&type=view&nope=1").statusCode()).isEqualTo(400);
    assertThat(
            http.put("/v1/entities/video:1/attributes", "{\"a\":\"" + "x".repeat(100_000) + "\"}")
                .statusCode())
        .isEqualTo(413); // answered by the failure handler, still tagged with its route template
    assertThat(http.get("/no/such/route/1").statusCode()).isEqualTo(404);

    // the processors write a flush of their own after the backlog reached 0; wait for its meters
    // too
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> scrape().valueOrZero("tally_dedup_duplicates_total") == 100);
    PrometheusText after = scrape();

    assertThat(after.value("tally_ingest_events_total")).isEqualTo(201.0);
    assertThat(after.value("tally_ingest_bytes_total")).isGreaterThanOrEqualTo((double) bodyBytes);
    assertThat(after.value("tally_ingest_rejected_events_total", "reason", "invalid_field"))
        .isEqualTo(2.0);
    assertThat(after.value("tally_ingest_rejected_events_total", "reason", "too_old"))
        .isEqualTo(1.0);
    assertThat(after.value("tally_ingest_rejected_events_total", "reason", "malformed"))
        .isEqualTo(1.0);
    assertThat(after.value("tally_ingest_rejected_events_total", "reason", "too_far_future"))
        .isEqualTo(0.0);
    assertThat(after.value("tally_ingest_rejected_requests_total", "reason", "malformed_body"))
        .isEqualTo(1.0);
    assertThat(after.value("tally_ingest_rejected_requests_total", "reason", "empty_body"))
        .isEqualTo(1.0);
    assertThat(after.value("tally_ingest_rejected_requests_total", "reason", "overloaded"))
        .isEqualTo(0.0);

    assertThat(
            after.value(
                "tally_http_server_requests_seconds_count",
                "method",
                "POST",
                "route",
                "/v1/events",
                "status",
                "202"))
        .isEqualTo(3.0);
    assertThat(
            after.value(
                "tally_http_server_requests_seconds_count",
                "method",
                "POST",
                "route",
                "/v1/events",
                "status",
                "400"))
        .isEqualTo(2.0);
    assertThat(
            after.value(
                "tally_http_server_requests_seconds_count",
                "method",
                "GET",
                "route",
                "/v1/total",
                "status",
                "200"))
        .isEqualTo(totals);
    assertThat(
            after.value(
                "tally_http_server_requests_seconds_count",
                "method",
                "GET",
                "route",
                "/v1/stats",
                "status",
                "400"))
        .isEqualTo(1.0);
    assertThat(
            after.value(
                "tally_http_server_requests_seconds_sum",
                "method",
                "GET",
                "route",
                "/v1/total",
                "status",
                "200"))
        .isPositive();
    assertThat(
            after.value(
                "tally_http_server_requests_seconds_count",
                "method",
                "PUT",
                "route",
                "/v1/entities/:entity/attributes",
                "status",
                "413"))
        .isEqualTo(1.0);
    assertThat(
            after.value(
                "tally_http_server_requests_seconds_count",
                "method",
                "GET",
                "route",
                "unmatched",
                "status",
                "404"))
        .isEqualTo(1.0);
    assertThat(after.hasSeriesStartingWith("tally_http_server_requests_seconds_bucket{le="))
        .isTrue();

    assertThat(after.value("tally_log_append_seconds_count")).isEqualTo(3.0);
    assertThat(after.value("tally_log_append_seconds_sum")).isPositive();
    assertThat(after.value("tally_log_group_commits_total")).isBetween(1.0, 3.0);
    assertThat(after.value("tally_log_group_commit_events_total")).isEqualTo(201.0);

    assertThat(after.value("tally_flush_seconds_count")).isGreaterThanOrEqualTo(1.0);
    assertThat(after.value("tally_flush_rows_sum")).isGreaterThanOrEqualTo(7.0);
    assertThat(after.value("tally_flush_failures_total")).isEqualTo(0.0);
    assertThat(after.value("tally_dedup_duplicates_total")).isEqualTo(100.0);
    assertThat(after.value("tally_dedup_forgotten_early_total")).isEqualTo(0.0);
    assertThat(after.value("tally_raw_export_lag_seconds")).isEqualTo(0.0);
    assertThat(after.value("tally_processor_backlog_events")).isEqualTo(0.0);
    for (int p = 0; p < PARTITIONS; p++) {
      assertThat(after.value("tally_processor_lag_events", "partition", Integer.toString(p)))
          .isEqualTo(0.0);
      assertThat(after.value("tally_processor_lag_seconds", "partition", Integer.toString(p)))
          .isBetween(0.0, 60.0);
    }

    assertThat(after.value("tally_query_cache_requests_total", "result", "miss"))
        .isGreaterThanOrEqualTo(1.0);
    assertThat(after.value("tally_query_cache_requests_total", "result", "hit"))
        .isGreaterThanOrEqualTo(1.0);
    assertThat(after.value("tally_query_cache_entries")).isGreaterThanOrEqualTo(1.0);

    assertThat(after.value("tally_rocksdb_estimated_keys")).isPositive();
    assertThat(after.value("tally_rocksdb_memtables_size_bytes")).isPositive();
    for (String documented :
        new String[] {
          "tally_ingest_inflight_events",
          "tally_query_cache_evictions_total",
          "tally_rocksdb_sst_files_size_bytes",
          "tally_rocksdb_blob_files_size_bytes",
          "tally_rocksdb_live_data_size_bytes",
          "tally_rocksdb_block_cache_usage_bytes",
          "tally_rocksdb_pending_compaction_bytes",
          "tally_rocksdb_running_compactions",
          "tally_flush_rows_bucket",
          "tally_log_append_seconds_bucket",
          "tally_flush_seconds_max",
          "jvm_threads_live_threads",
          "jvm_classes_loaded_classes",
          "process_files_open_files",
          "process_cpu_usage"
        }) {
      assertThat(after.hasSeriesStartingWith(documented)).as(documented).isTrue();
    }
    assertThat(after.hasSeriesStartingWith("jvm_memory_used_bytes{")).isTrue();
    assertThat(after.hasSeriesStartingWith("jvm_gc_")).isTrue();
    assertThat(after.value("process_uptime_seconds")).isPositive();
    assertThat(after.value("system_cpu_count")).isPositive();
  }
}
