package io.tally.core.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

class DedupWindowTest {
  private static final long T0 = 1_769_860_800_000L; // 2026-01-31T12:00:00Z
  private static final String E = "video:42";

  // --- examples -------------------------------------------------------------------------------

  @Example
  void theSameIdOnAnotherEntityIsAnotherEvent() {
    // issue 20 item 7: an id sent for rid:base and for rid:other1..16 is 17 events; before, the
    // one other entity that hashed to rid:base's partition was dropped as a duplicate
    DedupWindow w = new DedupWindow(1_000, 100);
    assertThat(w.firstSighting("rid:base", "r-1", T0)).isTrue();
    for (int i = 1; i <= 16; i++) {
      assertThat(w.firstSighting("rid:other" + i, "r-1", T0)).as("rid:other%d", i).isTrue();
    }
    assertThat(w.firstSighting("rid:base", "r-1", T0 + 1)).isFalse();
    assertThat(w.firstSighting("rid:other7", "r-1", T0 + 1)).isFalse();
    assertThat(w.size()).isEqualTo(17);
    assertThat(w.duplicates()).isEqualTo(2);
  }

  @Example
  void entityAndIdAreNotConcatenated() {
    DedupWindow w = new DedupWindow(1_000, 100);
    assertThat(w.firstSighting("a:b", "c", T0)).isTrue();
    assertThat(w.firstSighting("a:", "bc", T0)).isTrue();
    assertThat(w.firstSighting("a:bc", "", T0)).isTrue();
    assertThat(w.firstSighting("a:b", "c", T0)).isFalse();
  }

  @Example
  void longAndNonAsciiNamesAreDistinctAndRecognized() {
    DedupWindow w = new DedupWindow(1_000, 100);
    String longEntity = "e:" + "x".repeat(1_022);
    String longId = "i".repeat(128);
    assertThat(w.firstSighting(longEntity, longId, T0)).isTrue();
    assertThat(w.firstSighting(longEntity, longId, T0)).isFalse();
    assertThat(w.firstSighting("\u0141", "x", T0)).isTrue(); // U+0141's low byte is 'A'
    assertThat(w.firstSighting("A", "x", T0)).isTrue();
    assertThat(w.firstSighting("\u0141", "x", T0)).isFalse();
    assertThat(w.firstSighting("a", "\u00e9", T0)).isTrue();
    assertThat(w.firstSighting("a", "\u00e9", T0)).isFalse();
  }

  @Example
  void dropsAnIdSeenAgainInsideTheWindow() {
    DedupWindow w = new DedupWindow(1_000, 100);
    assertThat(w.firstSighting(E, "a", T0)).isTrue();
    assertThat(w.firstSighting(E, "a", T0)).isFalse();
    assertThat(w.firstSighting(E, "a", T0 + 500)).isFalse();
    assertThat(w.firstSighting(E, "b", T0 + 500)).isTrue();
    assertThat(w.duplicates()).isEqualTo(2);
    assertThat(w.size()).isEqualTo(2);
  }

  @Example
  void countsAnIdAgainWhenSeenMoreThanTheWindowAfterItsLatestSighting() {
    DedupWindow w = new DedupWindow(1_000, 100);
    assertThat(w.firstSighting(E, "a", T0)).isTrue();
    assertThat(w.firstSighting(E, "a", T0 + 1_001)).isTrue();
    assertThat(w.duplicates()).isZero();
  }

  @Example
  void anIdSeenExactlyTheWindowLaterIsStillADuplicate() {
    DedupWindow w = new DedupWindow(100, 100);
    assertThat(w.firstSighting(E, "a", T0)).isTrue();
    assertThat(w.firstSighting(E, "a", T0 + 100)).isFalse(); // seenAt >= now - window is kept
    assertThat(w.firstSighting(E, "a", T0 + 201)).isTrue(); // 101 ms after the latest sighting
    assertThat(w.firstSighting(E, "a", T0 + 301)).isFalse();
    assertThat(w.firstSighting(E, "a", T0 + 402)).isTrue();
  }

  @Example
  void everySightingRenewsTheWindowSoRepeatedRetriesStayDeduplicated() {
    DedupWindow w = new DedupWindow(100, 100);
    assertThat(w.firstSighting(E, "a", T0)).isTrue();
    assertThat(w.firstSighting(E, "a", T0 + 90)).isFalse();
    assertThat(w.firstSighting(E, "a", T0 + 150)).isFalse(); // within 100 of the sighting at 90
    assertThat(w.firstSighting(E, "a", T0 + 251)).isTrue();
  }

  @Example
  void aZeroWindowOnlyDropsRepeatsAtTheSameAppendTime() {
    DedupWindow w = new DedupWindow(0, 100);
    assertThat(w.firstSighting(E, "a", T0)).isTrue();
    assertThat(w.firstSighting(E, "a", T0)).isFalse();
    assertThat(w.firstSighting(E, "a", T0 + 1)).isTrue();
  }

  @Example
  void forgetsTheOldestIdWhenFullAndCountsTheEviction() {
    DedupWindow w = new DedupWindow(Long.MAX_VALUE / 4, 3);
    assertThat(w.firstSighting(E, "a", T0)).isTrue();
    assertThat(w.firstSighting(E, "b", T0 + 1)).isTrue();
    assertThat(w.firstSighting(E, "c", T0 + 2)).isTrue();
    assertThat(w.capacityEvictions()).isZero();

    assertThat(w.firstSighting(E, "d", T0 + 3)).isTrue(); // a is forgotten early
    assertThat(w.size()).isEqualTo(3);
    assertThat(w.capacityEvictions()).isEqualTo(1);

    assertThat(w.firstSighting(E, "a", T0 + 4)).isTrue(); // counted again; b is forgotten
    assertThat(w.capacityEvictions()).isEqualTo(2);
    // Every sighting takes a slot: re-seeing c drops the oldest sighting, c's own, then renews c.
    assertThat(w.firstSighting(E, "c", T0 + 5)).isFalse();
    assertThat(w.firstSighting(E, "d", T0 + 5)).isFalse();
    assertThat(w.firstSighting(E, "b", T0 + 5)).isTrue(); // forgets a
    assertThat(w.capacityEvictions()).isEqualTo(3);
    assertThat(w.size()).isEqualTo(3);
    assertThat(w.firstSighting(E, "c", T0 + 6)).isFalse();
  }

  @Example
  void expiryIsNotACapacityEviction() {
    DedupWindow w = new DedupWindow(10, 2);
    w.firstSighting(E, "a", T0);
    w.firstSighting(E, "b", T0);
    assertThat(w.firstSighting(E, "c", T0 + 11)).isTrue(); // a and b expired first
    assertThat(w.capacityEvictions()).isZero();
    assertThat(w.size()).isEqualTo(1);
  }

  @Example
  void remembersEveryIdThroughGrowthWithAWrappedRing() {
    // 800 ids fill the start of the initial 1024-slot ring and then expire, so the next 1100 ids
    // wrap around the ring's end before it has to grow past 1024 slots.
    DedupWindow w = new DedupWindow(1_000, 5_000);
    ReferenceWindow ref = new ReferenceWindow(1_000, 5_000);
    List<String> ids = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < 800; i++) {
      ids.add("old-" + i);
      times.add(T0);
    }
    for (int i = 0; i < 1_100; i++) {
      ids.add("new-" + i);
      times.add(T0 + 1_001);
    }
    for (int i = 0; i < 1_100; i++) {
      ids.add("new-" + i);
      times.add(T0 + 2_001);
    }
    for (int i = 0; i < 800; i++) {
      ids.add("old-" + i);
      times.add(T0 + 2_001);
    }
    assertMatchesReference(w, ref, ids, times);
    assertThat(w.duplicates()).isEqualTo(1_100);
    assertThat(w.size()).isEqualTo(1_900);
  }

  @Example
  void decidesLikeTheReferenceModelThroughManyDoublingsOfAWrappedRing() {
    // the rate doubles every 200 ms of append time and the window is 100 ms, so the ring grows
    // from 1,024 slots to 131,072 while old sightings expire: every growth finds a wrapped ring
    DedupWindow w = new DedupWindow(100, 1 << 20);
    ReferenceWindow ref = new ReferenceWindow(100, 1 << 20);
    java.util.Random random = new java.util.Random(17);
    List<String> ids = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    for (int phase = 0; phase < 7; phase++) {
      for (int ms = 0; ms < 200; ms++) {
        for (int k = 0; k < 20 << phase; k++) {
          ids.add("id-" + random.nextInt(50_000));
          times.add(T0 + phase * 200L + ms);
        }
      }
    }
    assertMatchesReference(w, ref, ids, times);
    assertThat(w.duplicates()).isPositive();
  }

  @Example
  void aCapacityAboveTheInitialArraysEvictsInOrderOnceFull() {
    DedupWindow w = new DedupWindow(Long.MAX_VALUE / 4, 2_000);
    for (int i = 0; i < 2_500; i++) {
      assertThat(w.firstSighting(E, "id-" + i, T0 + i)).isTrue();
    }
    assertThat(w.size()).isEqualTo(2_000);
    assertThat(w.capacityEvictions()).isEqualTo(500);
    for (int i = 500; i < 2_500; i++) {
      assertThat(w.firstSighting(E, "id-" + i, T0 + 2_500)).as("id-%d", i).isFalse();
    }
    assertThat(w.firstSighting(E, "id-499", T0 + 2_500)).isTrue();
    assertThat(w.firstSighting(E, "id-500", T0 + 2_500)).isTrue(); // evicted by id-499
  }

  @Example
  void rejectsANegativeWindowAndCapacitiesOutsideOneTo2Pow28() {
    assertThatThrownBy(() -> new DedupWindow(-1, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DedupWindow(10, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DedupWindow(10, (1 << 28) + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new DedupWindow(0, 1).capacity()).isEqualTo(1);
  }

  // --- reference model ------------------------------------------------------------------------

  /**
   * The documented semantics, written the obvious way: a FIFO of sightings (id, time, sequence
   * number) and each id's latest sighting. Before each sighting, sightings older than {@code t -
   * window} leave the FIFO (an id whose latest sighting leaves is forgotten); the id is a duplicate
   * if it is remembered; then, when the FIFO is full, its oldest sighting leaves (a capacity
   * eviction if that forgets an id); then the new sighting is appended and becomes the id's latest.
   */
  static final class ReferenceWindow {
    private record Sighting(String id, long time, long seq) {}

    private final long window;
    private final int capacity;
    private final ArrayDeque<Sighting> fifo = new ArrayDeque<>();
    private final Map<String, Long> latest = new HashMap<>();
    private long seq;
    long duplicates;
    long capacityEvictions;

    ReferenceWindow(long window, int capacity) {
      this.window = window;
      this.capacity = capacity;
    }

    private boolean dropOldest() {
      Sighting s = fifo.removeFirst();
      if (latest.get(s.id()) == s.seq()) {
        latest.remove(s.id());
        return true;
      }
      return false;
    }

    boolean firstSighting(String id, long t) {
      while (!fifo.isEmpty() && fifo.peekFirst().time() < t - window) {
        dropOldest();
      }
      boolean duplicate = latest.containsKey(id);
      if (fifo.size() == capacity) {
        String oldest = fifo.peekFirst().id();
        if (dropOldest() && !oldest.equals(id)) {
          capacityEvictions++; // forgotten early; re-seeing the id itself renews it instead
        }
      }
      Sighting s = new Sighting(id, t, seq++);
      fifo.addLast(s);
      latest.put(id, s.seq());
      if (duplicate) {
        duplicates++;
      }
      return !duplicate;
    }

    int size() {
      return latest.size();
    }
  }

  private static void assertMatchesReference(
      DedupWindow w, ReferenceWindow ref, List<String> ids, List<Long> times) {
    for (int i = 0; i < ids.size(); i++) {
      boolean expected = ref.firstSighting(ids.get(i), times.get(i));
      boolean actual = w.firstSighting(E, ids.get(i), times.get(i));
      if (actual != expected) {
        fail(
            "step %d (%s at %d): expected firstSighting=%s, was %s",
            i, ids.get(i), times.get(i), expected, actual);
      }
      if (w.size() != ref.size() || w.size() > w.capacity()) {
        fail("step %d: size %d, reference %d, capacity %d", i, w.size(), ref.size(), w.capacity());
      }
    }
    assertThat(w.duplicates()).isEqualTo(ref.duplicates);
    assertThat(w.capacityEvictions()).isEqualTo(ref.capacityEvictions);
  }

  // --- generated scenarios --------------------------------------------------------------------

  /** One record: an id from the alphabet, the append-time step since the previous record. */
  record Step(int id, long gap, boolean oldNamespace) {}

  /** A window configuration and a record sequence with non-decreasing append times. */
  record Scenario(int capacity, long window, List<Step> steps) {
    List<String> ids() {
      List<String> ids = new ArrayList<>(steps.size());
      steps.forEach(s -> ids.add("id-" + s.id()));
      return ids;
    }

    List<Long> times() {
      List<Long> times = new ArrayList<>(steps.size());
      long t = T0;
      for (Step s : steps) {
        t += s.gap();
        times.add(t);
      }
      return times;
    }
  }

  private static Arbitrary<List<Step>> steps(int alphabet, long maxGap, int minSize, int maxSize) {
    Arbitrary<Long> gap =
        Arbitraries.frequencyOf(
            Tuple.of(2, Arbitraries.just(0L)), Tuple.of(3, Arbitraries.longs().between(1, maxGap)));
    return Combinators.combine(
            Arbitraries.integers().between(0, alphabet - 1), gap, Arbitraries.of(true, false))
        .as(Step::new)
        .list()
        .ofMinSize(minSize)
        .ofMaxSize(maxSize);
  }

  /** Small capacities, windows and alphabets: duplicates, expiry and eviction are all frequent. */
  @Provide
  Arbitrary<Scenario> smallScenarios() {
    return Combinators.combine(
            Arbitraries.integers().between(1, 64),
            Arbitraries.longs().between(0, 60),
            Arbitraries.integers().between(1, 40))
        .as(Tuple::of)
        .flatMap(t -> steps(t.get3(), 6, 0, 400).map(s -> new Scenario(t.get1(), t.get2(), s)));
  }

  /** Capacities above the initial 1024 slots, so the ring and the index grow while in use. */
  @Provide
  Arbitrary<Scenario> growingScenarios() {
    return Combinators.combine(
            Arbitraries.integers().between(1_025, 2_600),
            Arbitraries.longs().between(300, 3_000),
            Arbitraries.integers().between(1_200, 6_000))
        .as(Tuple::of)
        .flatMap(
            t -> steps(t.get3(), 2, 2_000, 3_000).map(s -> new Scenario(t.get1(), t.get2(), s)));
  }

  @Property
  void decidesLikeTheReferenceModel(@ForAll("smallScenarios") Scenario s) {
    assertMatchesReference(
        new DedupWindow(s.window(), s.capacity()),
        new ReferenceWindow(s.window(), s.capacity()),
        s.ids(),
        s.times());
  }

  /**
   * Looking ahead is only a hint: with identities expected in chunks of any size (beyond {@link
   * DedupWindow#LOOK_AHEAD} too), some skipped, some out of order and some equal but other String
   * instances, every decision is still the reference model's, through expiry, eviction and growth.
   */
  @Property
  void decidesLikeTheReferenceModelWhateverWasExpected(
      @ForAll("smallScenarios") Scenario s, @ForAll long seed) {
    assertMatchesReferenceLookingAhead(s, seed);
  }

  @Property(tries = 10)
  void decidesLikeTheReferenceModelWhateverWasExpectedWhileGrowing(
      @ForAll("growingScenarios") Scenario s, @ForAll long seed) {
    assertMatchesReferenceLookingAhead(s, seed);
  }

  private static void assertMatchesReferenceLookingAhead(Scenario s, long seed) {
    java.util.Random random = new java.util.Random(seed);
    DedupWindow w = new DedupWindow(s.window(), s.capacity());
    ReferenceWindow ref = new ReferenceWindow(s.window(), s.capacity());
    List<String> ids = s.ids();
    List<Long> times = s.times();
    for (int from = 0; from < ids.size(); ) {
      int to = Math.min(ids.size(), from + 1 + random.nextInt(DedupWindow.LOOK_AHEAD + 8));
      for (int i = from; i < to; i++) {
        switch (random.nextInt(8)) {
          case 0 -> {} // not expected
          case 1 -> w.expect(E, ids.get(random.nextInt(ids.size()))); // another identity
          case 2 -> w.expect(E, new String(ids.get(i))); // equal, another instance
          default -> w.expect(E, ids.get(i));
        }
      }
      w.warm(times.get(to - 1));
      for (int i = from; i < to; i++) {
        boolean expected = ref.firstSighting(ids.get(i), times.get(i));
        if (w.firstSighting(E, ids.get(i), times.get(i)) != expected) {
          fail(
              "step %d (%s at %d): expected firstSighting=%s",
              i, ids.get(i), times.get(i), expected);
        }
        assertThat(w.size()).isEqualTo(ref.size());
      }
      from = to;
    }
    assertThat(w.duplicates()).isEqualTo(ref.duplicates);
    assertThat(w.capacityEvictions()).isEqualTo(ref.capacityEvictions);
  }

  @Example
  void anExpectedIdentityIsRecognizedLikeAnUnexpectedOne() {
    DedupWindow w = new DedupWindow(1_000, 100);
    String id = "r-1";
    w.expect(E, id);
    w.warm(T0);
    assertThat(w.firstSighting(E, id, T0)).isTrue();
    w.expect(E, id);
    w.expect(E, "r-2");
    w.warm(T0);
    assertThat(w.firstSighting(E, id, T0)).isFalse();
    assertThat(w.firstSighting(E, "r-2", T0)).isTrue();
    w.expect(E, "r-3"); // expected, then another identity comes first
    assertThat(w.firstSighting(E, "r-2", T0)).isFalse();
    assertThat(w.firstSighting(E, "r-3", T0)).isTrue();
    assertThat(w.duplicates()).isEqualTo(2);
  }

  /** Events drawn from a few entities and a few ids, so ids recur across entities. */
  record KeyedStep(int entity, int id, long gap) {}

  @Provide
  Arbitrary<List<KeyedStep>> keyedSteps() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 4),
            Arbitraries.integers().between(0, 6),
            Arbitraries.longs().between(0, 4))
        .as(KeyedStep::new)
        .list()
        .ofMaxSize(400);
  }

  /**
   * With identity (entity, id): the window decides like the reference model keyed on the pair, for
   * any window and capacity.
   */
  @Property
  void decidesOnTheEntityAndIdPair(
      @ForAll("keyedSteps") List<KeyedStep> steps,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 40) int capacity,
      @ForAll @net.jqwik.api.constraints.LongRange(min = 0, max = 30) long window) {
    DedupWindow w = new DedupWindow(window, capacity);
    ReferenceWindow ref = new ReferenceWindow(window, capacity);
    long t = T0;
    for (KeyedStep s : steps) {
      t += s.gap();
      String entity = "e:" + s.entity();
      String id = "id-" + s.id();
      assertThat(w.firstSighting(entity, id, t)).isEqualTo(ref.firstSighting(entity + " " + id, t));
      assertThat(w.size()).isEqualTo(ref.size());
    }
    assertThat(w.duplicates()).isEqualTo(ref.duplicates);
    assertThat(w.capacityEvictions()).isEqualTo(ref.capacityEvictions);
  }

  /**
   * Entities and ids that concatenate alike, share low bytes, or are not ASCII (surrogates
   * included): each (entity, id) pair is its own identity, as in the reference model keyed on the
   * pair, with or without the look-ahead.
   */
  @Property
  void decidesOnThePairForNonAsciiAndLookAlikeStrings(
      @ForAll("keyedSteps") List<KeyedStep> steps,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 40) int capacity,
      @ForAll boolean lookAhead) {
    String[] entities = {"a", "ab", "\u0141", "A", "\ud83d\ude00"};
    String[] ids = {"", "c", "bc", "\u00e9", "e\u0301", "\ud800", "?"};
    DedupWindow w = new DedupWindow(3, capacity);
    ReferenceWindow ref = new ReferenceWindow(3, capacity);
    long t = T0;
    for (KeyedStep s : steps) {
      t += s.gap();
      String entity = entities[s.entity()];
      String id = ids[s.id()];
      if (lookAhead) {
        w.expect(entity, id);
        w.warm(t);
      }
      boolean expected = ref.firstSighting(entity.length() + ":" + entity + id, t);
      assertThat(w.firstSighting(entity, id, t)).as("(%s, %s)", entity, id).isEqualTo(expected);
      assertThat(w.size()).isEqualTo(ref.size());
    }
    assertThat(w.duplicates()).isEqualTo(ref.duplicates);
    assertThat(w.capacityEvictions()).isEqualTo(ref.capacityEvictions);
  }

  @Property(tries = 15)
  void decidesLikeTheReferenceModelWhileGrowing(@ForAll("growingScenarios") Scenario s) {
    assertMatchesReference(
        new DedupWindow(s.window(), s.capacity()),
        new ReferenceWindow(s.window(), s.capacity()),
        s.ids(),
        s.times());
  }

  @Property
  void neverRemembersMoreThanItsCapacity(@ForAll("smallScenarios") Scenario s) {
    DedupWindow w = new DedupWindow(Long.MAX_VALUE / 4, s.capacity()); // nothing ever expires
    List<String> ids = s.ids();
    List<Long> times = s.times();
    long firstSightings = 0;
    for (int i = 0; i < ids.size(); i++) {
      if (w.firstSighting(E, ids.get(i), times.get(i))) {
        firstSightings++;
      }
      assertThat(w.size()).isLessThanOrEqualTo(s.capacity());
    }
    // Every remembered id came from a first sighting; the rest were forgotten for capacity.
    assertThat(w.capacityEvictions()).isEqualTo(firstSightings - w.size());
  }

  @Property
  void sameSequenceGivesSameDecisions(@ForAll("smallScenarios") Scenario s) {
    DedupWindow a = new DedupWindow(s.window(), s.capacity());
    DedupWindow b = new DedupWindow(s.window(), s.capacity());
    List<String> ids = s.ids();
    List<Long> times = s.times();
    assertThat(feed(b, ids, times, 0, ids.size())).isEqualTo(feed(a, ids, times, 0, ids.size()));
    assertThat(b.size()).isEqualTo(a.size());
    assertThat(b.duplicates()).isEqualTo(a.duplicates());
    assertThat(b.capacityEvictions()).isEqualTo(a.capacityEvictions());
  }

  private static List<Boolean> feed(
      DedupWindow w, List<String> ids, List<Long> times, int from, int to) {
    List<Boolean> decisions = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      decisions.add(w.firstSighting(E, ids.get(i), times.get(i)));
    }
    return decisions;
  }

  // --- rebuild after restart ------------------------------------------------------------------

  /** A sequence and a split point: the prefix was processed before a restart. */
  record Split(long window, List<Step> steps, int k) {}

  @Provide
  Arbitrary<Split> splits() {
    return Combinators.combine(
            Arbitraries.longs().between(0, 40), Arbitraries.integers().between(1, 30))
        .as(Tuple::of)
        .flatMap(
            t ->
                steps(t.get2(), 6, 2, 300)
                    .flatMap(
                        s ->
                            Arbitraries.integers()
                                .between(1, s.size() - 1)
                                .map(k -> new Split(t.get1(), s, k))));
  }

  /**
   * The suffix decisions of a window fed the whole sequence, and of a fresh window rebuilt as
   * {@code ProcessorLoop.recover} does: fed the prefix records with append time at or after {@code
   * lastPrefixTime - window}, then the suffix.
   *
   * <p>Both windows keep the last {@code capacity} sightings of the replayed span, so the rebuild
   * is exact with capacity evictions too.
   */
  private static List<List<Boolean>> uninterruptedAndRebuilt(
      long window, List<String> ids, List<Long> times, int k) {
    return uninterruptedAndRebuilt(window, ids.size(), ids, times, k);
  }

  private static List<List<Boolean>> uninterruptedAndRebuilt(
      long window, int capacity, List<String> ids, List<Long> times, int k) {
    int n = ids.size();
    DedupWindow uninterrupted = new DedupWindow(window, capacity);
    feed(uninterrupted, ids, times, 0, k);
    List<Boolean> expected = feed(uninterrupted, ids, times, k, n);

    long replayFrom = times.get(k - 1) - window;
    DedupWindow rebuilt = new DedupWindow(window, capacity);
    for (int i = 0; i < k; i++) {
      if (times.get(i) >= replayFrom) {
        rebuilt.firstSighting(E, ids.get(i), times.get(i));
      }
    }
    List<Boolean> actual = feed(rebuilt, ids, times, k, n);
    return List.of(expected, actual);
  }

  /**
   * The rebuild is exact when no id of the prefix occurs both before the replay start and inside
   * the replayed span: ids first seen before {@code lastPrefixTime - window} have expired in the
   * uninterrupted window and are absent from the rebuilt one, and every other decision depends only
   * on records both windows saw. The suffix may repeat ids from either part.
   */
  @Property
  void rebuildFromTheWindowSpanGivesTheSameDecisionsWhenNoIdSpansTheReplayStart(
      @ForAll("splits") Split split) {
    List<Long> times = new Scenario(1, split.window(), split.steps()).times();
    long replayFrom = times.get(split.k() - 1) - split.window();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < split.steps().size(); i++) {
      Step s = split.steps().get(i);
      boolean old = i < split.k() ? times.get(i) < replayFrom : s.oldNamespace();
      ids.add((old ? "old-" : "new-") + s.id());
    }
    List<List<Boolean>> decisions = uninterruptedAndRebuilt(split.window(), ids, times, split.k());
    assertThat(decisions.get(1)).isEqualTo(decisions.get(0));
  }

  /**
   * The property the recovery protocol relies on (ProcessorLoop.recover, DedupWindow's Javadoc,
   * DESIGN.md invariant 3), for arbitrary sequences: replaying the window's span before a
   * checkpoint reproduces every later decision.
   */
  @Property
  void rebuildFromTheWindowSpanGivesTheSameDecisionsAsTheUninterruptedWindow(
      @ForAll("splits") Split split) {
    Scenario s = new Scenario(1, split.window(), split.steps());
    List<List<Boolean>> decisions =
        uninterruptedAndRebuilt(split.window(), s.ids(), s.times(), split.k());
    assertThat(decisions.get(1)).isEqualTo(decisions.get(0));
  }

  /** The same with a window so small that it is always full and evicts by capacity. */
  @Property
  void rebuildIsExactEvenWhenTheWindowEvictsByCapacity(
      @ForAll("splits") Split split,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 8) int capacity) {
    Scenario s = new Scenario(1, split.window(), split.steps());
    List<List<Boolean>> decisions =
        uninterruptedAndRebuilt(split.window(), capacity, s.ids(), s.times(), split.k());
    assertThat(decisions.get(1)).isEqualTo(decisions.get(0));
  }

  /**
   * Window 10: a@0 (counted), a@5 (duplicate, renews a), b@12; checkpoint at 12, recovery replays
   * from 2: a@5 and b@12. Then a@14, 9 ms after a's latest sighting: dropped, with or without the
   * restart. (Under a first-sighting rule the uninterrupted window would have counted it while the
   * rebuilt one dropped it: the bug this rule fixes.)
   */
  @Example
  void aReplayedDuplicateRenewsItsIdInBothWindows() {
    List<List<Boolean>> decisions =
        uninterruptedAndRebuilt(10, List.of("a", "a", "b", "a"), List.of(0L, 5L, 12L, 14L), 3);
    assertThat(decisions.get(0)).containsExactly(false);
    assertThat(decisions.get(1)).isEqualTo(decisions.get(0));
  }

  /**
   * Window 10: a@0, a@6, a@12 (each renews a); checkpoint at 12, recovery replays a@6 and a@12. A
   * client retry a@18 is dropped with or without the restart.
   */
  @Example
  void aRetryAfterARestartIsDroppedAsItWouldBeWithout() {
    List<List<Boolean>> decisions =
        uninterruptedAndRebuilt(10, List.of("a", "a", "a", "a"), List.of(0L, 6L, 12L, 18L), 3);
    assertThat(decisions.get(0)).containsExactly(false);
    assertThat(decisions.get(1)).isEqualTo(decisions.get(0));
  }

  @Example
  void anAutomaticCapacityFitsThirtyPercentOfTheHeapAndAnExplicitOneMustFitHalf() {
    long mb = 1 << 20;
    // 8 partitions on a 512 MB heap: 1,000,000 ids each would take 448 MB when full
    int auto = DedupWindow.autoCapacity(512 * mb, 8, 1);
    assertThat(auto).isEqualTo((int) (512 * mb * 3 / 10 / (8 * DedupWindow.MAX_BYTES_PER_ID)));
    assertThat(DedupWindow.autoCapacity(64L << 30, 8, 1)).isEqualTo(DedupWindow.MAX_AUTO_CAPACITY);
    assertThat(DedupWindow.autoCapacity(16 * mb, 256, 1)).isEqualTo(10_000);
    DedupWindow.checkFits(auto, 8, 1, 512 * mb);
    assertThatThrownBy(() -> DedupWindow.checkFits(1_000_000, 8, 1, 512 * mb))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1,000,000 ids per partition × 8 partitions take up to 427 MB")
        .hasMessageContaining("this JVM's 512 MB");
  }

  @Example
  void theRawExportsSecondSetOfWindowsIsInTheBudget() {
    // the defect: a cluster node at -Xmx2g sized its processors' windows to 30 % of the heap
    // (8 x 1,000,000 ids, 448 MB full), and its raw export held as much again: after 7 minutes at
    // 27,000 events/s, 900 MB of the heap stayed live and G1 marked the old generation non-stop
    long gb = 1 << 30;
    int one = DedupWindow.autoCapacity(2 * gb, 8, 1);
    int two = DedupWindow.autoCapacity(2 * gb, 8, 2);
    assertThat(one).isEqualTo(DedupWindow.MAX_AUTO_CAPACITY);
    assertThat(2.0 * two * 8 * DedupWindow.MAX_BYTES_PER_ID)
        .isLessThanOrEqualTo(2 * gb * DedupWindow.AUTO_HEAP_SHARE);
    DedupWindow.checkFits(two, 8, 2, 2 * gb);
    assertThatThrownBy(() -> DedupWindow.checkFits(1_000_000, 16, 2, 2 * gb))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("× 16 partitions × 2 (the processors' windows and the raw export's)")
        .hasMessageContaining("take up to 1,708 MB");
  }
}
