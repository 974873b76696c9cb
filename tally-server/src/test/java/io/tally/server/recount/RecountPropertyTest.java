package io.tally.server.recount;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.recount.RecountRange;
import io.tally.core.recount.RecountReport;
import io.tally.model.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A recount of a range nothing damaged changes nothing: over random workloads with re-sent ids
 * (inside and past the dedup window), late events (event time up to 3 hours before the append),
 * derived entities, flushes at random points, and events counted after the last export (the recount
 * reads them from the log), the report says every row and every Top-K slot is unchanged, and every
 * served row — minute, hour, day, total — and every Top-K slot reads the same after the recount as
 * before.
 */
class RecountPropertyTest {
  private static final long T0 = 1_764_900_000_000L; // 2025-12-05T02:00Z, an hour start
  private static final long HOUR = 3_600_000L;

  /** One step of a workload: wait, then append an event (and maybe flush). */
  record Step(
      int advanceSeconds,
      int entity,
      boolean view,
      int id,
      int value,
      int lateMinutes,
      boolean flush) {
    Event event(long appendMillis) {
      return new Event(
          id < 0 ? null : "e" + id,
          "video:" + entity,
          view ? "view" : "like",
          appendMillis - lateMinutes * 60_000L,
          value);
    }
  }

  @Provide
  Arbitrary<List<Step>> workloads() {
    Arbitrary<Step> step =
        Combinators.combine(
                Arbitraries.integers().between(0, 120),
                Arbitraries.integers().between(0, 5),
                Arbitraries.of(true, false),
                Arbitraries.integers().between(-3, 25),
                Arbitraries.integers().between(0, 4),
                Arbitraries.frequencyOf(
                    net.jqwik.api.Tuple.of(4, Arbitraries.just(0)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 180))),
                Arbitraries.of(true, false, false, false))
            .as(Step::new);
    return step.list().ofMinSize(20).ofMaxSize(80);
  }

  @Property(tries = 30, afterFailure = AfterFailureMode.RANDOM_SEED)
  void recountOfAnUntouchedRangeChangesNothing(
      @ForAll("workloads") List<Step> before, @ForAll("workloads") List<Step> after)
      throws Exception {
    Path dir = Files.createTempDirectory("recount-property");
    try (RecountFixture f = new RecountFixture(dir, T0 + 3 * HOUR, List.of("channel"))) {
      f.attributes.put("video:1", Map.of("channel", "c1"));
      f.attributes.put("video:2", Map.of("channel", "c1"));
      f.attributes.put("video:3", Map.of("channel", "c2"));
      run(f, before);
      // every minute up to the next hour is closed, counted and exported
      f.clock.set(Math.max(f.clock.millis(), T0 + 5 * HOUR + 120_000));
      f.count();
      f.export.run();
      // then more events, late ones into the range among them: counted, not exported
      run(f, after);
      f.count();
      Map<String, String> served = f.rows(T0);
      Map<String, Map<String, Long>> slots = f.slots();
      assertThat(slots).isNotEmpty();

      RecountRange range = new RecountRange(T0, T0 + 5 * HOUR, "", Set.of());
      RecountReport audit = f.recount.run(range, false);
      RecountReport recount = f.recount.run(range, true);

      assertThat(audit.unchanged()).isPositive();
      assertThat(audit.mismatched()).as(audit.differences().toString()).isZero();
      assertThat(recount.mismatched()).as(recount.differences().toString()).isZero();
      assertThat(recount.unchanged()).isEqualTo(audit.unchanged());
      assertThat(f.rows(T0)).isEqualTo(served);
      assertThat(audit.topKSlotsChanged()).as("top-K slots that differ").isZero();
      assertThat(audit.topKSlotsSkipped()).isZero();
      assertThat(recount.topKSlotsChanged()).isZero();
      assertThat(f.slots()).isEqualTo(slots);
    } finally {
      delete(dir);
    }
  }

  static void delete(Path dir) throws java.io.IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static void run(RecountFixture f, List<Step> steps) {
    for (Step s : steps) {
      f.clock.advance(s.advanceSeconds() * 1_000L);
      f.append(s.event(f.clock.millis()));
      if (s.flush()) {
        f.count();
      }
      if (s.flush() && s.entity() == 0) {
        f.export.run();
      }
    }
  }
}
