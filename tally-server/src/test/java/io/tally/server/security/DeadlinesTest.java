package io.tally.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Deadlines}: what is due expires in start order, what was cancelled never does. */
class DeadlinesTest {
  private static final long MS = 1_000_000;
  private final Deadlines deadlines = new Deadlines(100);
  private final List<String> expired = new ArrayList<>();

  @Test
  void dueDeadlinesExpireInTheOrderStartedAndCancelledOnesNever() {
    deadlines.start(0, () -> expired.add("a"));
    Deadlines.Deadline b = deadlines.start(10 * MS, () -> expired.add("b"));
    deadlines.start(20 * MS, () -> expired.add("c"));
    deadlines.start(50 * MS, () -> expired.add("d"));
    b.cancel();
    deadlines.expire(99 * MS);
    assertThat(expired).isEmpty();
    deadlines.expire(120 * MS);
    assertThat(expired).containsExactly("a", "c");
    deadlines.expire(150 * MS);
    assertThat(expired).containsExactly("a", "c", "d");
    deadlines.expire(10_000 * MS);
    assertThat(expired).containsExactly("a", "c", "d");
  }

  @Test
  void cancellingTheFirstTheLastOrAnExpiredDeadlineKeepsTheRestIntact() {
    Deadlines.Deadline first = deadlines.start(0, () -> expired.add("first"));
    deadlines.start(1 * MS, () -> expired.add("middle"));
    Deadlines.Deadline last = deadlines.start(2 * MS, () -> expired.add("last"));
    first.cancel();
    last.cancel();
    last.cancel(); // twice: a no-op
    deadlines.expire(200 * MS);
    assertThat(expired).containsExactly("middle");
    Deadlines.Deadline late = deadlines.start(300 * MS, () -> expired.add("late"));
    deadlines.expire(400 * MS);
    late.cancel(); // after it expired: a no-op
    Deadlines.Deadline next = deadlines.start(500 * MS, () -> expired.add("next"));
    deadlines.expire(600 * MS);
    assertThat(expired).containsExactly("middle", "late", "next");
    next.cancel();
  }

  @Test
  void anExpiryMayStartTheNextDeadline() {
    deadlines.start(0, () -> deadlines.start(100 * MS, () -> expired.add("re-armed")));
    deadlines.expire(100 * MS);
    assertThat(expired).isEmpty();
    deadlines.expire(200 * MS);
    assertThat(expired).containsExactly("re-armed");
  }
}
