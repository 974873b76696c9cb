package io.tally.cli;

import io.tally.model.Event;
import io.tally.model.json.TallyJson;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally bench}: a first load generator against a running server. Batched ingest from
 * several concurrent clients plus one thread querying totals; reports accepted events/s and
 * latency percentiles. (The full benchmark — Zipf entities, freshness, HdrHistogram, JSON output —
 * is tracked separately.)
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure ingest throughput and query latency against a running Tally.")
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "Default: ${DEFAULT-VALUE}.") String url;
  @Option(names = "--clients", defaultValue = "4", description = "Concurrent ingest clients. Default: ${DEFAULT-VALUE}.") int clients;
  @Option(names = "--batch", defaultValue = "1000", description = "Events per request. Default: ${DEFAULT-VALUE}.") int batch;
  @Option(names = "--seconds", defaultValue = "20", description = "Duration. Default: ${DEFAULT-VALUE}.") int seconds;
  @Option(names = "--entities", defaultValue = "100000", description = "Distinct entities. Default: ${DEFAULT-VALUE}.") int entities;
  @Option(names = "--zipf", defaultValue = "1.0",
      description = "Zipf exponent of entity popularity (0: uniform; ~1: like video views). Default: ${DEFAULT-VALUE}.") double zipf;

  /** Cumulative popularity of entities 0..n-1 under Zipf(s); sampled by binary search. */
  private static double[] zipfCdf(int n, double s) {
    double[] cdf = new double[n];
    double total = 0;
    for (int k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, s);
      cdf[k] = total;
    }
    for (int k = 0; k < n; k++) {
      cdf[k] /= total;
    }
    return cdf;
  }

  private static int sample(double[] cdf, ThreadLocalRandom r) {
    int i = Arrays.binarySearch(cdf, r.nextDouble());
    return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
  }

  @Override
  public Integer call() throws Exception {
    double[] cdf = zipfCdf(entities, zipf);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong accepted = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    List<long[]> ackLatencies = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    long[] queryLatencies = new long[1_000_000];
    int[] queries = new int[1];
    for (int c = 0; c < clients; c++) {
      long[] lat = new long[100_000];
      ackLatencies.add(lat);
      int client = c;
      threads.add(new Thread(() -> {
        int n = 0;
        long seq = 0;
        while (running.get()) {
          List<Event> events = new ArrayList<>(batch);
          long now = System.currentTimeMillis();
          ThreadLocalRandom r = ThreadLocalRandom.current();
          for (int i = 0; i < batch; i++) {
            events.add(new Event("b" + client + "-" + now + "-" + seq++, "video:" + sample(cdf, r), "view", now, 1));
          }
          byte[] body = TallyJson.events(events);
          long t0 = System.nanoTime();
          try {
            HttpResponse<String> resp = HttpCalls.postJson(url, "/v1/events", body);
            if (resp.statusCode() == 202) {
              accepted.addAndGet(batch);
              if (n < lat.length) {
                lat[n++] = System.nanoTime() - t0;
              }
            } else {
              errors.incrementAndGet();
            }
          } catch (Exception e) {
            errors.incrementAndGet();
          }
        }
        lat[lat.length - 1] = n;
      }));
    }
    Thread querier = new Thread(() -> {
      while (running.get()) {
        long t0 = System.nanoTime();
        try {
          HttpCalls.get(url, "/v1/total", Map.of("entity", "video:" + sample(cdf, ThreadLocalRandom.current()), "type", "view"));
          if (queries[0] < queryLatencies.length) {
            queryLatencies[queries[0]++] = System.nanoTime() - t0;
          }
        } catch (Exception e) {
          errors.incrementAndGet();
        }
      }
    });
    long start = System.nanoTime();
    threads.forEach(Thread::start);
    querier.start();
    Thread.sleep(seconds * 1000L);
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    querier.join();
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] acks = ackLatencies.stream().flatMapToLong(l -> Arrays.stream(l, 0, (int) l[l.length - 1])).sorted().toArray();
    long[] q = Arrays.copyOf(queryLatencies, queries[0]);
    Arrays.sort(q);
    System.out.printf("accepted %,d events in %.1f s: %,.0f events/s (%d clients, %d events/request, %,d entities, zipf %.2f), errors %d%n",
        accepted.get(), elapsed, accepted.get() / elapsed, clients, batch, entities, zipf, errors.get());
    System.out.printf("ack latency per request: p50 %.1f ms, p99 %.1f ms (%d requests)%n", pct(acks, 50), pct(acks, 99), acks.length);
    System.out.printf("GET /v1/total while ingesting: p50 %.2f ms, p99 %.2f ms (%d queries)%n", pct(q, 50), pct(q, 99), q.length);
    return 0;
  }

  private static double pct(long[] sorted, double p) {
    return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] / 1e6;
  }
}
