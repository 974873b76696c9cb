package io.tally.core.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.TallyException;
import io.tally.testkit.ManualClock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The worker runner's contract: retriable failures are counted and turn the health failing until
 * the next success, anything else stops the worker for good, and a stop drains, then closes.
 */
class WorkerRunnerTest {
  private static final WorkerRunner.Policy FAST = new WorkerRunner.Policy(0, 1, 2, 2_500);
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final ManualClock clock = new ManualClock(1_000);

  /** A worker whose behaviour the test scripts per call; records what the runner did to it. */
  private abstract static class Scripted implements Worker {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger drains = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public String name() {
      return "test-worker";
    }

    @Override
    public int doWork() throws Exception {
      return work(calls.incrementAndGet());
    }

    abstract int work(int call) throws Exception;

    @Override
    public void onClose() {
      closes.incrementAndGet();
    }
  }

  @Test
  void countsRetriableFailuresAndIsHealthyAgainOnceWorkSucceeds() throws Exception {
    AtomicReference<ProcessorHealth> whileFailing = new AtomicReference<>();
    AtomicReference<ProcessorHealth> whileIdle = new AtomicReference<>();
    CountDownLatch succeeded = new CountDownLatch(1);
    AtomicReference<WorkerRunner> self = new AtomicReference<>();
    Scripted worker =
        new Scripted() {
          @Override
          int work(int call) {
            if (call <= 3) {
              if (call == 3) {
                whileFailing.set(self.get().health());
              }
              clock.advance(100);
              throw new TallyException("store down " + call);
            }
            if (call == 4) {
              return 0;
            }
            if (call == 5) {
              whileIdle.set(self.get().health());
            }
            succeeded.countDown();
            return 1;
          }
        };
    WorkerRunner runner = new WorkerRunner(worker, FAST, clock);
    self.set(runner);
    runner.start();
    assertThat(succeeded.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(whileFailing.get().ok()).isFalse();
    assertThat(whileFailing.get().consecutiveFailures()).isEqualTo(2);
    assertThat(whileFailing.get().failingSinceMillis()).isEqualTo(1_100);
    assertThat(whileFailing.get().reason()).isEqualTo("store down 2");
    assertThat(runner.stopAndAwait(WAIT)).isTrue();
    assertThat(whileIdle.get().consecutiveFailures())
        .as("a call that found nothing to do does not end the run of failures")
        .isEqualTo(3);
    assertThat(runner.failures()).isEqualTo(3);
    assertThat(runner.health()).isEqualTo(ProcessorHealth.OK);
    assertThat(worker.closes.get()).isEqualTo(1);
  }

  @Test
  void aFailureThatIsNotRetriableStopsTheWorkerForGood() throws Exception {
    Scripted worker =
        new Scripted() {
          @Override
          int work(int call) {
            throw new IllegalStateException("a bug");
          }
        };
    WorkerRunner runner = new WorkerRunner(worker, FAST, clock);
    runner.start();
    assertThat(runner.awaitStopped(WAIT)).isTrue();
    assertThat(runner.ended()).isTrue();
    assertThat(worker.calls.get()).isEqualTo(1);
    assertThat(worker.closes.get()).isEqualTo(1);
    ProcessorHealth h = runner.health();
    assertThat(h.ok()).isFalse();
    assertThat(h.consecutiveFailures()).isEqualTo(Long.MAX_VALUE);
    assertThat(h.reason()).contains("test-worker stopped").contains("a bug");
  }

  @Test
  void aStopDrainsUntilTheWorkerIsDoneThenClosesIt() throws Exception {
    CountDownLatch working = new CountDownLatch(1);
    Scripted worker =
        new Scripted() {
          @Override
          int work(int call) {
            working.countDown();
            return 1;
          }

          @Override
          public boolean drain() {
            assertThat(closes.get()).isZero();
            return drains.incrementAndGet() == 3;
          }
        };
    WorkerRunner runner = new WorkerRunner(worker, FAST, clock);
    runner.start();
    assertThat(working.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(runner.stopAndAwait(WAIT)).isTrue();
    assertThat(worker.drains.get()).isEqualTo(3);
    assertThat(worker.closes.get()).isEqualTo(1);
    assertThat(runner.health().ok()).isTrue();
  }

  @Test
  void aDrainThatKeepsFailingIsGivenUpAfterTheDrainTimeOfTheClock() throws Exception {
    Scripted worker =
        new Scripted() {
          @Override
          int work(int call) {
            return 0;
          }

          @Override
          public boolean drain() {
            drains.incrementAndGet();
            clock.advance(1_000);
            throw new TallyException("store still down");
          }
        };
    WorkerRunner runner = new WorkerRunner(worker, FAST, clock);
    runner.start();
    assertThat(runner.stopAndAwait(WAIT)).isTrue();
    // drain time 2,500 ms of the manual clock: attempts at 0, 1,000 and 2,000 ms
    assertThat(worker.drains.get()).isEqualTo(3);
    assertThat(runner.failures()).isEqualTo(3);
    assertThat(worker.closes.get()).isEqualTo(1);
    assertThat(runner.health().reason()).isEqualTo("store still down");
  }

  @Test
  void aRunnerNeverStartedStopsAtOnce() {
    WorkerRunner runner =
        new WorkerRunner(
            new Scripted() {
              @Override
              int work(int call) {
                return 0;
              }
            },
            FAST,
            clock);
    assertThat(runner.stopAndAwait(WAIT)).isTrue();
  }
}
