package io.tally.core.topk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.query.BadQueryException;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Window and slot arithmetic, the window sliding under an injected clock, and query checking. */
class TopKWindowTest {
  private static final long MINUTE = 60_000;
  private static final long T0 = Instant.parse("2026-03-01T12:00:00Z").toEpochMilli();

  @Test
  void windowsAreKeptInTwelveSlotsOfWholeMinutes() {
    assertThat(TopKWindow.parse("5m").slotMillis()).isEqualTo(MINUTE);
    assertThat(TopKWindow.parse("1h").slotMillis()).isEqualTo(5 * MINUTE);
    assertThat(TopKWindow.parse("24h").slotMillis()).isEqualTo(120 * MINUTE);
    assertThat(TopKWindow.parse("25m").slotMillis()).isEqualTo(2 * MINUTE);
    assertThat(TopKWindow.parse("1d").wireName()).isEqualTo("24h");
    assertThat(TopKWindow.parse("90m").wireName()).isEqualTo("90m");
    assertThat(TopKWindow.parse("60m")).isEqualTo(TopKWindow.parse("1h"));
    for (String bad : List.of("", "h", "0m", "30s", "8d", "1.5h", "-5m", "5 m", "99999999999d")) {
      assertThatThrownBy(() -> TopKWindow.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aQueryCoversTheWindowPlusLessThanOneSlot() {
    TopKWindow hour = TopKWindow.parse("1h");
    assertThat(hour.firstSlotStart(T0)).isEqualTo(T0 - 60 * MINUTE);
    assertThat(hour.firstSlotStart(T0 + 4 * MINUTE)).isEqualTo(T0 - 60 * MINUTE);
    assertThat(hour.firstSlotStart(T0 + 5 * MINUTE)).isEqualTo(T0 - 55 * MINUTE);
    assertThat(hour.expired(T0 - 60 * MINUTE, T0 + 5 * MINUTE - 1)).isFalse();
    assertThat(hour.expired(T0 - 60 * MINUTE, T0 + 5 * MINUTE)).isTrue();
    assertThat(hour.expiresAtMillis(T0 - 60 * MINUTE)).isEqualTo(T0 + 5 * MINUTE);
  }

  @Test
  void eventsInOldSlotsFallOutOfTheWindowAsTheClockMoves() {
    TopKFixture f = new TopKFixture(TopKConfig.DEFAULTS, 4, T0);
    f.feed(
        List.of(
            TopKFixture.minute(
                "video:old", "view", T0 - 62 * MINUTE, 50), // slot 10:55: outside 1h at 12:00
            TopKFixture.minute("video:early", "view", T0 - 58 * MINUTE, 30), // slot 11:00
            TopKFixture.minute("video:late", "view", T0 - 2 * MINUTE, 20), // slot 11:55
            TopKFixture.minute("video:late", "view", T0 - 1 * MINUTE, 5)));

    assertThat(names(f.service.top("view", "1h", "10")))
        .containsExactly("video:early", "video:late");
    assertThat(names(f.service.top("view", "5m", "10"))).containsExactly("video:late");
    assertThat(names(f.service.top("view", "24h", "10")))
        .containsExactly("video:old", "video:early", "video:late");

    f.now.set(T0 + 4 * MINUTE + 59_999); // slot 11:00 still holds 11:04:59.999 − 1h
    assertThat(names(f.service.top("view", "1h", "10")))
        .containsExactly("video:early", "video:late");
    assertThat(f.service.top("view", "1h", "10").fromMillis()).isEqualTo(T0 - 60 * MINUTE);
    assertThat(names(f.service.top("view", "5m", "10"))).containsExactly("video:late");

    f.now.set(T0 + 5 * MINUTE);
    assertThat(names(f.service.top("view", "1h", "10"))).containsExactly("video:late");
    assertThat(names(f.service.top("view", "5m", "10"))).isEmpty();

    f.now.set(T0 + 60 * MINUTE);
    assertThat(names(f.service.top("view", "1h", "10"))).isEmpty();
    assertThat(names(f.service.top("view", "24h", "10")))
        .containsExactly("video:old", "video:early", "video:late");
  }

  @Test
  void slotsPastTheirWindowAreDroppedAndLateDeltasForThemIgnored() {
    TopKFixture f = new TopKFixture(new TopKConfig(List.of(TopKWindow.parse("1h")), 64), 1, T0);
    f.feed(
        List.of(
            TopKFixture.minute("video:1", "view", T0 - 30 * MINUTE, 1),
            TopKFixture.minute("video:1", "view", T0 - 10 * MINUTE, 1)));
    assertThat(f.slots[0].size()).isEqualTo(2);

    f.now.set(T0 + 35 * MINUTE); // the slot of 11:30 now ends before 11:35
    TopKSlots.Update u = f.slots[0].update(f.now.millis());
    u.add(
        TopKFixture.minute("video:2", "view", T0 - 30 * MINUTE, 9),
        TopKSlots.UNPOSITIONED); // late, and too old
    assertThat(u.changed()).isEmpty();
    assertThat(u.expired())
        .containsExactly(new SlotKey("view", TopKWindow.parse("1h"), T0 - 30 * MINUTE));
    u.commit();
    assertThat(f.slots[0].size()).isEqualTo(1);
  }

  @Test
  void aStagedUpdateChangesNothingUntilCommitted() {
    TopKFixture f = new TopKFixture(TopKConfig.DEFAULTS, 1, T0);
    f.feed(List.of(TopKFixture.minute("video:1", "view", T0 - MINUTE, 3)));
    TopKSlots.Update failed = f.slots[0].update(T0);
    failed.add(TopKFixture.minute("video:1", "view", T0 - MINUTE, 4), TopKSlots.UNPOSITIONED);
    assertThat(failed.changed()).hasSize(3); // one slot per window
    // the store write failed: not committed, so the retry counts the delta once
    TopKSlots.Update retry = f.slots[0].update(T0);
    retry.add(TopKFixture.minute("video:1", "view", T0 - MINUTE, 4), TopKSlots.UNPOSITIONED);
    retry.commit();
    assertThat(f.service.top("view", "5m", null).items())
        .containsExactly(new TopKItem("video:1", 7, 7, 7));
  }

  @Test
  void positionedDeltasAtOrBelowASlotsPositionAreReplaysAndSkipped() {
    TopKSlots slots = new TopKSlots(0, new TopKConfig(List.of(TopKWindow.parse("1h")), 64));
    CounterDelta a = TopKFixture.minute("video:1", "view", T0 - MINUTE, 2);
    CounterDelta b = TopKFixture.minute("video:2", "view", T0 - MINUTE, 3);
    TopKSlots.Update first = slots.update(T0);
    first.add(a, 100);
    first.add(b, 100); // a second delta of the same record
    first.add(a, 101);
    first.commit();
    SlotKey key =
        new SlotKey("view", TopKWindow.parse("1h"), TopKWindow.parse("1h").slotStart(T0 - MINUTE));
    assertThat(slots.slot(key).position()).isEqualTo(101);

    TopKSlots.Update replay = slots.update(T0);
    replay.add(a, 100);
    replay.add(b, 101);
    replay.add(b, 102);
    replay.commit();
    assertThat(slots.slot(key).sketch().getEstimate("video:1")).isEqualTo(4);
    assertThat(slots.slot(key).sketch().getEstimate("video:2")).isEqualTo(6);
    assertThat(slots.slot(key).position()).isEqualTo(102);
  }

  /**
   * One update whose deltas alternate between two types and two slots of each of two windows: each
   * delta lands in its own type's slot of every window (the update remembers the last slot per
   * window, and must not carry it over to another type or slot).
   */
  @Test
  void deltasAlternatingTypesAndSlotsEachLandInTheirOwnSlot() {
    TopKWindow hour = TopKWindow.parse("1h");
    TopKWindow day = TopKWindow.parse("1d");
    TopKSlots slots = new TopKSlots(0, new TopKConfig(List.of(hour, day), 64));
    long older = hour.slotStart(T0 - MINUTE) - MINUTE; // in the hour's slot before that minute's
    TopKSlots.Update u = slots.update(T0);
    u.add(TopKFixture.minute("video:1", "view", T0 - MINUTE, 1), TopKSlots.UNPOSITIONED);
    u.add(TopKFixture.minute("video:1", "like", T0 - MINUTE, 10), TopKSlots.UNPOSITIONED);
    u.add(TopKFixture.minute("video:1", "view", older, 100), TopKSlots.UNPOSITIONED);
    u.add(TopKFixture.minute("video:2", "view", T0 - MINUTE, 1000), TopKSlots.UNPOSITIONED);
    u.add(TopKFixture.minute("video:2", "like", older, 10000), TopKSlots.UNPOSITIONED);
    u.commit();

    java.util.function.BiFunction<SlotKey, String, Long> estimate =
        (k, entity) -> slots.slot(k) == null ? 0 : slots.slot(k).sketch().getEstimate(entity);
    SlotKey viewNow = new SlotKey("view", hour, hour.slotStart(T0 - MINUTE));
    SlotKey viewOlder = new SlotKey("view", hour, hour.slotStart(older));
    SlotKey likeNow = new SlotKey("like", hour, hour.slotStart(T0 - MINUTE));
    SlotKey likeOlder = new SlotKey("like", hour, hour.slotStart(older));
    assertThat(estimate.apply(viewNow, "video:1")).isEqualTo(1);
    assertThat(estimate.apply(viewOlder, "video:1")).isEqualTo(100);
    assertThat(estimate.apply(viewNow, "video:2")).isEqualTo(1000);
    assertThat(estimate.apply(likeNow, "video:1")).isEqualTo(10);
    assertThat(estimate.apply(likeOlder, "video:2")).isEqualTo(10000);
    assertThat(estimate.apply(likeNow, "video:2")).isZero();
    assertThat(estimate.apply(viewOlder, "video:2")).isZero();
    assertThat(viewOlder).isNotEqualTo(viewNow);
    // the day's slot of each type holds both minutes (T0 is noon: the same day's slot)
    SlotKey viewDay = new SlotKey("view", day, day.slotStart(T0 - MINUTE));
    SlotKey likeDay = new SlotKey("like", day, day.slotStart(T0 - MINUTE));
    assertThat(day.slotStart(older)).isEqualTo(viewDay.slotStartMillis());
    assertThat(estimate.apply(viewDay, "video:1")).isEqualTo(101);
    assertThat(estimate.apply(viewDay, "video:2")).isEqualTo(1000);
    assertThat(estimate.apply(likeDay, "video:1")).isEqualTo(10);
    assertThat(estimate.apply(likeDay, "video:2")).isEqualTo(10000);
  }

  @Test
  void badQueriesNameTheParameterAndTheAllowedValues() {
    TopKFixture f = new TopKFixture(TopKConfig.DEFAULTS, 2, T0);
    assertThatThrownBy(() -> f.service.top(null, "1h", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("type is required");
    assertThatThrownBy(() -> f.service.top("View!", "1h", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("type");
    assertThatThrownBy(() -> f.service.top("view", null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("window is required; one of 5m, 1h, 24h");
    assertThatThrownBy(() -> f.service.top("view", "2h", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("window must be one of 5m, 1h, 24h; got '2h'");
    for (String k : List.of("0", "1001", "ten", "-1", "")) {
      assertThatThrownBy(() -> f.service.top("view", "1h", k))
          .isInstanceOf(BadQueryException.class)
          .hasMessageStartingWith("k must be an integer from 1 to 1000");
    }
    assertThat(f.service.top("view", "60m", null).k()).isEqualTo(10);
    assertThat(f.service.top("view", "60m", null).window()).isEqualTo("1h");
  }

  @Test
  void mergeSketchHoldsEveryPartitionsSketch() {
    assertThat(TopKService.mergeSize(1024, 8)).isEqualTo(8192);
    assertThat(TopKService.mergeSize(1024, 6)).isEqualTo(8192);
    assertThat(TopKService.mergeSize(1024, 1)).isEqualTo(1024);
    assertThat(TopKService.mergeSize(65_536, 256)).isEqualTo(1 << 18);
  }

  private static List<String> names(TopK top) {
    return top.items().stream().map(TopKItem::entity).toList();
  }
}
