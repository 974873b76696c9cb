package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 1-3 of the design, end to end, through {@code kill -9}: the built jar runs as a child
 * JVM; careful clients send a seeded random stream of uniquely identified events (with deliberate
 * re-sends of acknowledged events, and retries of every request that did not get a 202, with the
 * same body) while a killer thread SIGKILLs the server at random moments, also while it is
 * recovering, and restarts it on the same data dir. At the end every (entity, type) must have
 * exactly the driver's count and sum, in total and in every minute, hour and day bucket: nothing
 * acknowledged is lost, nothing is counted twice.
 *
 * <p>Replay a failure with {@code -Dtally.crash.seed=<seed>} (printed at the start). The seed fixes
 * the events, batches, re-sends, number of senders and the kill plan; only timing varies.
 */
class CrashRecoveryTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path JAR = ROOT.resolve("tally-cli/target/tally.jar");

  /** Unique events; {@code -Dtally.chaos.events=5000000} for the long mode (docs/testing.md). */
  private static final int UNIQUE_EVENTS = Integer.getInteger("tally.chaos.events", 200_000);

  /** Planned kills at points of the stream; {@code -Dtally.chaos.kills=50} for the long mode. */
  private static final int PLANNED_KILLS = Integer.getInteger("tally.chaos.kills", 5);

  private static final int ENTITIES = 2_000;
  private static final String[] TYPES = {"view", "like", "share"};
  private static final int SERIES = ENTITIES * TYPES.length;
  private static final long MINUTE = 60_000;
  private static final long HOUR = 60 * MINUTE;
  private static final long DAY = 24 * HOUR;
  private static final long SPAN = 5 * HOUR;
  private static final String[] GRANULARITIES = {"minute", "hour", "day"};
  private static final long[] GRANULARITY_MILLIS = {MINUTE, HOUR, DAY};
  private static final double DUPLICATE_SHARE = 0.05;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ACK_DEADLINE = Duration.ofMinutes(3);
  private static final int MAX_REPORTED_MISMATCHES = 20;

  @TempDir Path dir;

  private volatile Process server;
  private volatile long startedAtNanos;
  private int port;
  private Path dataDir;
  private Path serverLog;
  private Path jar;
  private volatile long serverLogStartOffset;
  private int starts;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  // driver state shared by the senders and the killer
  private final AtomicLong ackedNewEvents = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong ioFailures = new AtomicLong();
  private final AtomicLong timeouts = new AtomicLong();
  private final AtomicLong status503 = new AtomicLong();
  private final AtomicLong otherStatus5xx = new AtomicLong();
  private final AtomicReference<String> first5xx = new AtomicReference<>();
  private final AtomicReference<Batch> lastAcked = new AtomicReference<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean sendersDone;
  private final List<String> timeline = Collections.synchronizedList(new ArrayList<>());
  private long t0;
  private int kills;
  private int earlyKills;
  private int recoveryKills;
  private int killsWithRequestsInFlight;
  private boolean dedupAcrossRestartChecked;

  /** One request body: {@code size} events, {@code newEvents} of them never sent before. */
  record Batch(int sender, int seq, String body, int size, int newEvents) {
    String name() {
      return "sender " + sender + " batch " + seq;
    }
  }

  /** The driver's exact expectation: per series, total count and sum, and per-bucket ones. */
  static final class Expected {
    final long[] count = new long[SERIES];
    final long[] sum = new long[SERIES];

    /** [granularity][series] → bucket start → {count, sum}. */
    final List<List<Map<Long, long[]>>> buckets = new ArrayList<>();

    Expected() {
      for (int g = 0; g < GRANULARITIES.length; g++) {
        List<Map<Long, long[]>> perSeries = new ArrayList<>(SERIES);
        for (int s = 0; s < SERIES; s++) {
          perSeries.add(new HashMap<>());
        }
        buckets.add(perSeries);
      }
    }

    void add(int series, long time, long value) {
      count[series]++;
      sum[series] += value;
      for (int g = 0; g < GRANULARITIES.length; g++) {
        long start = Math.floorDiv(time, GRANULARITY_MILLIS[g]) * GRANULARITY_MILLIS[g];
        long[] cs = buckets.get(g).get(series).computeIfAbsent(start, k -> new long[2]);
        cs[0]++;
        cs[1] += value;
      }
    }
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    sendersDone = true;
    Process p = server;
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(
      value = 10,
      unit = TimeUnit.MINUTES) // long mode: -Djunit.jupiter.execution.timeout.mode=disabled
  void everyAcknowledgedEventIsCountedExactlyOnceThroughKill9() throws Throwable {
    String property = System.getProperty("tally.crash.seed");
    long seed =
        property != null && !property.isBlank()
            ? Long.parseLong(property.trim())
            : new Random().nextLong();
    System.out.println(
        "CrashRecoveryTest seed=" + seed + "  (replay: -Dtally.crash.seed=" + seed + ")");
    assertThat(JAR)
        .as("the runnable jar, which mvn verify builds before this module")
        .isRegularFile();
    port = freePort();
    dataDir = dir.resolve("data");
    serverLog = dir.resolve("server.log");
    // One build for the whole run, even if tally-cli/target is rebuilt meanwhile.
    jar = Files.copy(JAR, dir.resolve("tally.jar"));
    try {
      run(seed);
    } catch (Throwable t) {
      System.out.println("CrashRecoveryTest FAILED, seed=" + seed);
      dumpDiagnostics(seed);
      throw t;
    }
  }

  private void run(long seed) throws Exception {
    t0 = System.nanoTime();
    Random master = new Random(seed);
    int senders = 2 + master.nextInt(3);
    long now = System.currentTimeMillis();
    long end = Math.floorDiv(now, MINUTE) * MINUTE; // event times in [end - 5 h, end)
    Expected expected = new Expected();
    List<List<Batch>> plan = plan(seed, senders, end, expected);
    int batches = plan.stream().mapToInt(List::size).sum();
    long sentEvents = plan.stream().flatMap(List::stream).mapToLong(Batch::size).sum();
    note(
        "plan: "
            + senders
            + " senders, "
            + batches
            + " batches, "
            + UNIQUE_EVENTS
            + " unique events, "
            + (sentEvents - UNIQUE_EVENTS)
            + " re-sends of acknowledged events, times in ["
            + Instant.ofEpochMilli(end - SPAN)
            + ", "
            + Instant.ofEpochMilli(end)
            + ")");

    startServer();
    awaitHealthy(Duration.ofMinutes(2));

    List<Thread> threads = new ArrayList<>();
    AtomicInteger running = new AtomicInteger(senders);
    for (int s = 0; s < senders; s++) {
      List<Batch> mine = plan.get(s);
      threads.add(
          thread(
              "sender-" + s,
              () -> {
                try {
                  for (Batch b : mine) {
                    postUntilAccepted(b.body(), b.size(), b.name());
                    lastAcked.set(b);
                    ackedNewEvents.addAndGet(b.newEvents());
                  }
                } finally {
                  if (running.decrementAndGet() == 0) {
                    sendersDone = true;
                  }
                }
              }));
    }
    Random killerRandom = new Random(seed ^ 0x6b696c6c6572L);
    threads.add(thread("killer", () -> killer(killerRandom)));
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(TimeUnit.MINUTES.toMillis(6));
      if (t.isAlive()) {
        failure.compareAndSet(
            null, new AssertionError(t.getName() + " did not finish within 6 minutes"));
        sendersDone = true;
      }
    }
    if (failure.get() != null) {
      throw new AssertionError("the driver failed: " + failure.get(), failure.get());
    }
    long sendMillis = elapsedMillis();
    note(
        "all "
            + UNIQUE_EVENTS
            + " events acknowledged; "
            + requests.get()
            + " requests, "
            + ioFailures.get()
            + " connection failures, "
            + timeouts.get()
            + " timeouts, "
            + status503.get()
            + " 503s, "
            + otherStatus5xx.get()
            + " other 5xx");
    // The dedup window is 10 minutes of log append time: re-sends older than that may rightly count
    // again.
    assertThat(sendMillis)
        .as("sending must stay inside the dedup window for the expectation to hold")
        .isLessThan(TimeUnit.MINUTES.toMillis(9));

    JsonObject health = awaitBacklogDrained(Duration.ofMinutes(2));
    note("backlog drained: " + health.encode());
    Thread.sleep(3_000); // flush interval is 1 s: everything processed is written by now
    verify(expected, end);
    verifyTopK(expected);
    assertThat(kills).as("SIGKILLs during the run").isGreaterThanOrEqualTo(5);
    assertThat(earlyKills).as("SIGKILLs within 300 ms of a start").isGreaterThanOrEqualTo(1);
    assertThat(dedupAcrossRestartChecked)
        .as("an acknowledged batch was re-sent after a restart")
        .isTrue();
    assertThat(otherStatus5xx.get())
        .as("5xx answers other than 503 (first: %s)", first5xx.get())
        .isZero();
    if (recoveryKills == 0) {
      System.out.println(
          "CrashRecoveryTest: note: the kill meant for recovery came too late (no recovery logged)");
    }
    System.out.println(
        "CrashRecoveryTest passed: seed="
            + seed
            + ", "
            + kills
            + " kills ("
            + earlyKills
            + " within 300 ms of a start, "
            + recoveryKills
            + " during logged recovery, "
            + killsWithRequestsInFlight
            + " with requests in flight), "
            + UNIQUE_EVENTS
            + " unique events, "
            + sentEvents
            + " sent in "
            + batches
            + " batches by "
            + senders
            + " senders, "
            + requests.get()
            + " requests, "
            + elapsedMillis()
            + " ms");
  }

  // ---------------------------------------------------------------- the seeded stream

  /**
   * The senders' batches, fixed by the seed. About 5% of each batch (after a sender's first)
   * re-sends events of that sender's earlier batches, which it has had acknowledged before it sends
   * this one (each sender waits for a 202 before its next batch).
   */
  private static List<List<Batch>> plan(long seed, int senders, long end, Expected expected) {
    List<List<Batch>> plan = new ArrayList<>();
    int perSender = UNIQUE_EVENTS / senders;
    for (int s = 0; s < senders; s++) {
      Random r = new Random(seed * 1_000_003L + s + 1);
      int quota = s == 0 ? UNIQUE_EVENTS - perSender * (senders - 1) : perSender;
      List<String> sent = new ArrayList<>(quota);
      List<Batch> batches = new ArrayList<>();
      int made = 0;
      while (made < quota) {
        int size = 500 + r.nextInt(1501);
        int dupes = sent.isEmpty() ? 0 : (int) Math.round(size * DUPLICATE_SHARE);
        int fresh = Math.min(size - dupes, quota - made);
        if (quota - made - fresh < 500 && quota - made <= 2000 - dupes) {
          fresh = quota - made; // no tiny last batch
        }
        List<String> events = new ArrayList<>(fresh + dupes);
        for (int i = 0; i < fresh; i++) {
          int entity = r.nextInt(ENTITIES);
          int type = r.nextInt(TYPES.length);
          long time = end - 1 - (long) (r.nextDouble() * (SPAN - 1));
          int value = 1 + r.nextInt(5);
          String id = "e" + s + "-" + (made + i);
          events.add(
              "{\"id\":\""
                  + id
                  + "\",\"entity\":\"video:"
                  + entity
                  + "\",\"type\":\""
                  + TYPES[type]
                  + "\",\"time\":"
                  + time
                  + ",\"value\":"
                  + value
                  + "}");
          expected.add(entity * TYPES.length + type, time, value);
        }
        List<String> resends = new ArrayList<>(dupes);
        for (int i = 0; i < dupes; i++) {
          resends.add(sent.get(r.nextInt(sent.size())));
        }
        sent.addAll(events);
        for (String d : resends) {
          events.add(r.nextInt(events.size() + 1), d);
        }
        made += fresh;
        batches.add(
            new Batch(
                s, batches.size(), "[" + String.join(",", events) + "]", events.size(), fresh));
      }
      plan.add(batches);
    }
    return plan;
  }

  // ---------------------------------------------------------------- the careful client

  /** Posts the same body until it gets a 202 in which every event is accepted. */
  private void postUntilAccepted(String body, int size, String what) throws Exception {
    long deadline = System.nanoTime() + ACK_DEADLINE.toNanos();
    HttpRequest request =
        HttpRequest.newBuilder(uri("/v1/events"))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    for (int attempt = 1; ; attempt++) {
      if (failure.get() != null) {
        throw new IllegalStateException("stopping: another driver thread failed");
      }
      requests.incrementAndGet();
      inFlight.incrementAndGet();
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = r.statusCode();
        if (status == 202) {
          JsonObject ack = new JsonObject(r.body());
          if (ack.getInteger("accepted") != size || !ack.getJsonArray("rejected").isEmpty()) {
            throw new AssertionError(
                what + ": a 202 must accept all " + size + " events, got " + r.body());
          }
          return;
        } else if (status == 503) {
          status503.incrementAndGet();
        } else if (status >= 500) {
          otherStatus5xx.incrementAndGet();
          first5xx.compareAndSet(null, what + ": " + status + " " + r.body());
          note(what + ": unexpected " + status + " " + r.body() + " (retrying)");
        } else {
          throw new AssertionError(
              what + ": unexpected answer " + status + " " + abbreviate(r.body()));
        }
      } catch (java.net.http.HttpTimeoutException e) {
        timeouts.incrementAndGet();
      } catch (IOException e) {
        ioFailures.incrementAndGet(); // refused, reset, closed: the server is down or was killed
        // mid-request
      } finally {
        inFlight.decrementAndGet();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            what + " not acknowledged after " + attempt + " attempts in " + ACK_DEADLINE);
      }
      long backoff = Math.min(400, 20L << Math.min(attempt, 5));
      Thread.sleep(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
    }
  }

  // ---------------------------------------------------------------- the killer

  /**
   * Kills the server at seeded points of the acknowledged progress (a random few ms after the
   * point, so requests are in flight), restarts it each time on the same port and data dir. After
   * one kill it kills the restarted process again within 300 ms of its start (recovery), after
   * another as soon as /healthz first answers 200; before a third it remembers an acknowledged
   * batch and re-sends it once the server is back.
   */
  private void killer(Random r) throws Exception {
    int planned = Math.max(4, PLANNED_KILLS) + r.nextInt(2);
    List<Long> points =
        new ArrayList<>(); // one in each of `planned` equal slots of 5%..85% of the stream
    for (int k = 0; k < planned; k++) {
      points.add((long) (UNIQUE_EVENTS * (0.05 + 0.80 * (k + r.nextDouble()) / planned)));
    }
    List<Integer> order = new ArrayList<>(); // the special kills come after one of the first four
    for (int i = 0; i < 4; i++) {
      order.add(i);
    }
    Collections.shuffle(order, r);
    int early = order.get(0);
    int inRecovery = order.get(1);
    int atHealthy = order.get(2);
    int dedup = r.nextInt(4);
    long[] delays = new long[planned];
    long[] earlyDelays = new long[planned];
    for (int i = 0; i < planned; i++) {
      delays[i] = r.nextInt(150);
      earlyDelays[i] = r.nextInt(301);
    }
    note(
        "kill plan: at acknowledged new events "
            + points
            + "; after kill #"
            + (early + 1)
            + " the restarted server is killed again within 300 ms, after #"
            + (inRecovery + 1)
            + " when it logs its first recovered partition, after #"
            + (atHealthy + 1)
            + " at its first healthz 200; an acknowledged batch is re-sent after #"
            + (dedup + 1));
    int i = 0;
    long ackedAtRestart = -1;
    for (long point : points) {
      // kill only once the restarted server has acknowledged something, so each run of it counts
      while ((ackedNewEvents.get() < point || ackedNewEvents.get() == ackedAtRestart)
          && !sendersDone
          && failure.get() == null) {
        Thread.sleep(2);
      }
      if (sendersDone || failure.get() != null) {
        note("senders finished before kill point " + point);
        return;
      }
      String backlog = backlog();
      Thread.sleep(delays[i]);
      Batch remembered = i == dedup ? lastAcked.get() : null;
      kill("at ~" + point + " acknowledged, backlog " + backlog + " " + delays[i] + " ms before");
      startServer();
      if (i == early) {
        Thread.sleep(earlyDelays[i]);
        kill("early, " + earlyDelays[i] + " ms planned after start");
        earlyKills++;
        startServer();
      }
      if (i == inRecovery) {
        String line = awaitServerLogLine("dedup window rebuilt", Duration.ofMinutes(2));
        if (line != null) {
          kill("in recovery, right after the server logged: " + line.trim());
          recoveryKills++;
        } else {
          kill("meant for recovery, but /healthz answered before recovery logged anything");
        }
        startServer();
      }
      if (i == atHealthy) {
        JsonObject h = awaitHealthy(Duration.ofMinutes(2));
        kill(
            "at first healthz 200, recovery "
                + h.getJsonObject("checks").getString("recovery")
                + ", backlog "
                + h.getJsonObject("checks").getLong("backlogEvents"));
        startServer();
      }
      JsonObject h = awaitHealthy(Duration.ofMinutes(2));
      note("server up again, start #" + starts + ", healthz " + h.encode());
      ackedAtRestart = ackedNewEvents.get();
      if (remembered != null) {
        postUntilAccepted(
            remembered.body(), remembered.size(), "re-send after restart of " + remembered.name());
        dedupAcrossRestartChecked = true;
        note(
            "re-sent acknowledged "
                + remembered.name()
                + " ("
                + remembered.size()
                + " events) after the restart: 202");
      }
      i++;
    }
  }

  /** The server's backlog right now, for the timeline ("?" if it does not answer quickly). */
  private String backlog() {
    try {
      HttpResponse<String> r = get("/healthz", Duration.ofMillis(500));
      return Long.toString(
          new JsonObject(r.body()).getJsonObject("checks").getLong("backlogEvents"));
    } catch (Exception e) {
      return "?";
    }
  }

  /**
   * Waits until the current server process writes a line containing {@code text} to its log and
   * returns the line, or null if /healthz answers 200 first (recovery had nothing to log).
   */
  private String awaitServerLogLine(String text, Duration max) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    long from = serverLogStartOffset;
    long nextHealthCheck = 0;
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new AssertionError(
            "the server (start #"
                + starts
                + ") exited with "
                + server.exitValue()
                + " while starting");
      }
      byte[] all = Files.readAllBytes(serverLog);
      String fresh =
          new String(
              all,
              (int) Math.min(from, all.length),
              (int) Math.max(0, all.length - from),
              StandardCharsets.UTF_8);
      int at = fresh.indexOf(text);
      if (at >= 0) {
        int lineStart = fresh.lastIndexOf('\n', at) + 1;
        int lineEnd = fresh.indexOf('\n', at);
        return fresh.substring(lineStart, lineEnd < 0 ? fresh.length() : lineEnd);
      }
      if (System.nanoTime() > nextHealthCheck) {
        nextHealthCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        try {
          if (get("/healthz", Duration.ofMillis(200)).statusCode() == 200) {
            return null;
          }
        } catch (IOException e) {
          // not up yet
        }
      }
      Thread.sleep(1);
    }
    throw new AssertionError("the server did not log '" + text + "' within " + max);
  }

  private void kill(String why) throws InterruptedException, IOException {
    Process p = server;
    long sinceStart = (System.nanoTime() - startedAtNanos) / 1_000_000;
    int flying = inFlight.get();
    p.destroyForcibly(); // SIGKILL on Linux
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("killed server exits").isTrue();
    kills++;
    if (flying > 0) {
      killsWithRequestsInFlight++;
    }
    String line =
        "SIGKILL #"
            + kills
            + " ("
            + why
            + "): pid "
            + p.pid()
            + ", "
            + sinceStart
            + " ms after its start, "
            + flying
            + " requests in flight, "
            + ackedNewEvents.get()
            + " new events acknowledged, exit "
            + p.exitValue();
    note(line);
    appendToServerLog("==== test: " + line + " ====");
  }

  // ---------------------------------------------------------------- the child process

  private void startServer() throws IOException {
    starts++;
    appendToServerLog("==== test: start #" + starts + " at " + Instant.now() + " ====");
    serverLogStartOffset = Files.size(serverLog);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx1g",
                "-jar",
                jar.toString(),
                "serve",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dataDir.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(serverLog.toFile()))
            .start();
    startedAtNanos = System.nanoTime();
    server = p;
  }

  private JsonObject awaitHealthy(Duration max) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    while (true) {
      Process p = server;
      if (!p.isAlive()) {
        throw new AssertionError(
            "the server (start #" + starts + ") exited with " + p.exitValue() + " while starting");
      }
      try {
        HttpResponse<String> r = get("/healthz", Duration.ofSeconds(2));
        if (r.statusCode() == 200) {
          note(
              "healthz 200 "
                  + (System.nanoTime() - startedAtNanos) / 1_000_000
                  + " ms after start #"
                  + starts);
          return new JsonObject(r.body());
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "/healthz did not answer 200 within " + max + " after start #" + starts);
      }
      Thread.sleep(20);
    }
  }

  private JsonObject awaitBacklogDrained(Duration max) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = get("/healthz", Duration.ofSeconds(5));
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() == 200) {
          JsonObject h = new JsonObject(r.body());
          if (h.getJsonObject("checks").getLong("backlogEvents") == 0) {
            return h;
          }
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "backlogEvents did not reach 0 within " + max + "; last /healthz: " + last);
  }

  // ---------------------------------------------------------------- the exact comparison

  private void verify(Expected expected, long end) throws Exception {
    long from = Math.floorDiv(end - SPAN, DAY) * DAY;
    long to = Math.floorDiv(end - 1, DAY) * DAY + DAY;
    long verifyStart = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<String> mismatches = Collections.synchronizedList(new ArrayList<>());
    AtomicLong mismatchCount = new AtomicLong();
    AtomicLong actualCount = new AtomicLong();
    AtomicLong actualSum = new AtomicLong();
    AtomicLong queries = new AtomicLong();
    try {
      List<Future<?>> futures = new ArrayList<>();
      int chunk = 100;
      for (int first = 0; first < SERIES; first += chunk) {
        int lo = first;
        int hi = Math.min(SERIES, first + chunk);
        futures.add(
            pool.submit(
                () -> {
                  for (int s = lo; s < hi; s++) {
                    String entity = "video:" + s / TYPES.length;
                    String type = TYPES[s % TYPES.length];
                    String series = entity + "/" + type;
                    JsonObject total = query("/v1/total?entity=" + entity + "&type=" + type);
                    queries.incrementAndGet();
                    long count = total.getLong("count");
                    long sum = total.getLong("sum");
                    actualCount.addAndGet(count);
                    actualSum.addAndGet(sum);
                    mismatch(
                        mismatches,
                        mismatchCount,
                        series + " total count",
                        expected.count[s],
                        count);
                    mismatch(
                        mismatches, mismatchCount, series + " total sum", expected.sum[s], sum);
                    for (int g = 0; g < GRANULARITIES.length; g++) {
                      for (int f = 0; f < 2; f++) {
                        String fn = f == 0 ? "count" : "sum";
                        JsonObject stats =
                            query(
                                "/v1/stats?entity="
                                    + entity
                                    + "&type="
                                    + type
                                    + "&fn="
                                    + fn
                                    + "&granularity="
                                    + GRANULARITIES[g]
                                    + "&from="
                                    + from
                                    + "&to="
                                    + to);
                        queries.incrementAndGet();
                        Map<Long, Long> actual = new HashMap<>();
                        JsonArray buckets = stats.getJsonArray("buckets");
                        for (int b = 0; b < buckets.size(); b++) {
                          JsonObject bucket = buckets.getJsonObject(b);
                          actual.put(
                              Instant.parse(bucket.getString("start")).toEpochMilli(),
                              bucket.getLong("value"));
                        }
                        Map<Long, long[]> want = expected.buckets.get(g).get(s);
                        TreeSet<Long> starts = new TreeSet<>(want.keySet());
                        starts.addAll(actual.keySet());
                        for (long start : starts) {
                          long[] cs = want.get(start);
                          mismatch(
                              mismatches,
                              mismatchCount,
                              series
                                  + " "
                                  + GRANULARITIES[g]
                                  + " "
                                  + Instant.ofEpochMilli(start)
                                  + " "
                                  + fn,
                              cs == null ? 0 : cs[f],
                              actual.getOrDefault(start, 0L));
                        }
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    long wantCount = 0;
    long wantSum = 0;
    for (int s = 0; s < SERIES; s++) {
      wantCount += expected.count[s];
      wantSum += expected.sum[s];
    }
    note(
        "verified "
            + SERIES
            + " series with "
            + queries.get()
            + " queries in "
            + (System.nanoTime() - verifyStart) / 1_000_000
            + " ms: all-series total count "
            + actualCount.get()
            + " (expected "
            + wantCount
            + "), sum "
            + actualSum.get()
            + " (expected "
            + wantSum
            + ")");
    if (mismatchCount.get() > 0) {
      List<String> shown;
      synchronized (mismatches) {
        shown = new ArrayList<>(mismatches);
      }
      Collections.sort(shown);
      throw new AssertionError(
          mismatchCount.get()
              + " mismatches (all-series total count "
              + actualCount.get()
              + ", expected "
              + wantCount
              + "; sum "
              + actualSum.get()
              + ", expected "
              + wantSum
              + "); first "
              + shown.size()
              + ":\n  "
              + String.join("\n  ", shown));
    }
  }

  /**
   * Top-K is derived from the same deltas and written in the same WriteBatch as their checkpoint,
   * so it is exact through the kills too: the 24h window holds every event (they span 5 h), and
   * each type's top 1,000 of 2,000 entities must be exactly the driver's.
   */
  private void verifyTopK(Expected expected) throws Exception {
    for (int t = 0; t < TYPES.length; t++) {
      int type = t;
      List<String> want =
          IntStream.range(0, ENTITIES)
              .mapToObj(
                  e ->
                      new AbstractMap.SimpleEntry<>(
                          "video:" + e, expected.count[e * TYPES.length + type]))
              .filter(e -> e.getValue() > 0)
              .sorted(
                  Map.Entry.<String, Long>comparingByValue()
                      .reversed()
                      .thenComparing(Map.Entry.comparingByKey()))
              .limit(1000)
              .map(e -> e.getKey() + "=" + e.getValue())
              .toList();
      JsonObject top = query("/v1/top?type=" + TYPES[t] + "&window=24h&k=1000");
      List<String> actual = new ArrayList<>();
      JsonArray items = top.getJsonArray("items");
      for (int i = 0; i < items.size(); i++) {
        actual.add(
            items.getJsonObject(i).getString("entity")
                + "="
                + items.getJsonObject(i).getLong("estimate"));
      }
      assertThat(top.getBoolean("exact")).as("top-K of %s is exact", TYPES[t]).isTrue();
      assertThat(actual).as("top 1000 %s in 24h", TYPES[t]).containsExactlyElementsOf(want);
    }
    note("verified the exact top 1000 of each type in the 24h window");
  }

  private static void mismatch(
      List<String> out, AtomicLong n, String what, long expected, long actual) {
    if (expected != actual) {
      n.incrementAndGet();
      synchronized (out) {
        if (out.size() < MAX_REPORTED_MISMATCHES) {
          out.add(
              what
                  + ": expected "
                  + expected
                  + ", actual "
                  + actual
                  + " ("
                  + (actual > expected ? "+" : "")
                  + (actual - expected)
                  + ")");
        }
      }
    }
  }

  private JsonObject query(String pathAndQuery) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<String> r = get(pathAndQuery, REQUEST_TIMEOUT);
        if (r.statusCode() == 200) {
          return new JsonObject(r.body());
        }
        if (attempt >= 3 || r.statusCode() < 500) {
          throw new AssertionError(
              "GET " + pathAndQuery + ": " + r.statusCode() + " " + abbreviate(r.body()));
        }
      } catch (IOException e) {
        if (attempt >= 3) {
          throw e;
        }
      }
      Thread.sleep(200);
    }
  }

  // ---------------------------------------------------------------- helpers

  private HttpResponse<String> get(String pathAndQuery, Duration timeout)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(pathAndQuery)).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  interface Body {
    void run() throws Exception;
  }

  private Thread thread(String name, Body body) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (Throwable e) {
                if (failure.compareAndSet(null, e)) {
                  note(name + " failed: " + e);
                }
                sendersDone = true;
              }
            },
            name);
    t.setDaemon(true);
    return t;
  }

  private long elapsedMillis() {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private void note(String line) {
    String s = String.format("[crash %6d ms] %s", elapsedMillis(), line);
    timeline.add(s);
    System.out.println(s);
  }

  private synchronized void appendToServerLog(String line) throws IOException {
    Files.writeString(
        serverLog,
        line + System.lineSeparator(),
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  private static String abbreviate(String s) {
    return s.length() <= 500 ? s : s.substring(0, 500) + "…";
  }

  /**
   * Prints the server log's tail and keeps a copy of it under target/ (the temp dir is deleted).
   */
  private void dumpDiagnostics(long seed) {
    try {
      if (serverLog == null || !Files.exists(serverLog)) {
        System.out.println("(no server log)");
        return;
      }
      List<String> lines = Files.readAllLines(serverLog, StandardCharsets.UTF_8);
      System.out.println(
          "---- last 150 of " + lines.size() + " lines of the server log (" + serverLog + ") ----");
      lines.subList(Math.max(0, lines.size() - 150), lines.size()).forEach(System.out::println);
      System.out.println("---- end of server log ----");
      Path keep = Path.of("target", "crash-recovery-" + seed + ".log").toAbsolutePath();
      Files.createDirectories(keep.getParent());
      Files.copy(serverLog, keep, StandardCopyOption.REPLACE_EXISTING);
      System.out.println("full server log kept at " + keep);
    } catch (IOException | RuntimeException e) {
      System.out.println("cannot read the server log: " + e);
    }
  }
}
