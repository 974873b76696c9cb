package io.tally.it;

import io.tally.client.ClientListener;
import io.tally.client.TallyClient;
import io.tally.model.Consistency;
import io.tally.model.Total;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Queries through the Java SDK, given every node's URL, while a cluster is hurt: one thread asks
 * for a total every {@value #PAUSE_MILLIS} ms and records how each call and each of its attempts
 * ended, and which consistency each answer states. Thread-safe counters.
 */
final class SdkQueries implements AutoCloseable {
  private static final long PAUSE_MILLIS = 200;

  private final TallyClient client;
  final AtomicLong calls = new AtomicLong();
  final AtomicLong quorum = new AtomicLong();
  final AtomicLong one = new AtomicLong();
  final AtomicLong unstated = new AtomicLong();
  final AtomicLong unanswered = new AtomicLong();
  final List<String> failedCalls = new CopyOnWriteArrayList<>();
  final List<String> errorAnswers = new CopyOnWriteArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  SdkQueries(List<String> nodes) {
    client =
        TallyClient.builder()
            .baseUrls(nodes.toArray(String[]::new))
            .connectTimeout(Duration.ofSeconds(1))
            .requestTimeout(Duration.ofSeconds(10))
            .retry(10, Duration.ofMillis(50), Duration.ofSeconds(1))
            .listener(
                new ClientListener() {
                  @Override
                  public void onAttempt(URI node, String path, int status, Duration elapsed) {
                    if (status == 0) {
                      unanswered.incrementAndGet(); // a node that is down: the SDK goes on
                    } else if (status != 200) {
                      errorAnswers.add(node + path + " → " + status);
                    }
                  }
                })
            .build();
    thread = new Thread(this::run, "sdk-queries");
  }

  SdkQueries start() {
    thread.start();
    return this;
  }

  private void run() {
    for (int i = 0; running.get(); i++) {
      calls.incrementAndGet();
      try {
        Total t = client.total("video:" + (i % 7), SdkLoad.TYPE).get(60, TimeUnit.SECONDS);
        (t.consistency() == Consistency.ONE ? one : t.consistency() == null ? unstated : quorum)
            .incrementAndGet();
      } catch (Exception e) {
        failedCalls.add(e.toString());
      }
      try {
        Thread.sleep(PAUSE_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  String summary() {
    return String.format(
        "%,d queries: %,d quorum, %,d from one replica, %,d unstated, %,d failed; %,d attempts"
            + " unanswered (a node down), %,d answered with an error%s",
        calls.get(),
        quorum.get(),
        one.get(),
        unstated.get(),
        failedCalls.size(),
        unanswered.get(),
        errorAnswers.size(),
        errorAnswers.isEmpty() ? "" : " (first: " + errorAnswers.get(0) + ")");
  }

  /** Stops querying once the call under way ends. */
  void stop() throws InterruptedException {
    running.set(false);
    thread.join(70_000);
  }

  @Override
  public void close() {
    running.set(false);
    client.close();
  }
}
