package io.tally.core.uniques;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.Uniques;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ActorSketchTest {
  private static ActorSketch of(String prefix, int from, int to, int lgK) {
    ActorSketchBuilder b = new ActorSketchBuilder(new UniquesConfig(lgK));
    for (int i = from; i < to; i++) {
      b.add(prefix + i);
    }
    return b.build();
  }

  /** Applying a delta twice (a replay) gives the sketch applying it once gave. */
  @Property(tries = 60)
  void mergingADeltaAgainChangesNothing(
      @ForAll @IntRange(min = 0, max = 20_000) int stored,
      @ForAll @IntRange(min = 1, max = 20_000) int delta,
      @ForAll @IntRange(min = 8, max = 14) int lgK) {
    ActorSketch a = stored == 0 ? null : of("a", 0, stored, lgK);
    ActorSketch d = of("a", stored / 2, stored / 2 + delta, lgK);
    ActorSketch once = ActorSketch.merge(a, d);
    ActorSketch twice = ActorSketch.merge(once, d);
    assertThat(twice.estimate()).isEqualTo(once.estimate());
    assertThat(ActorSketch.merge(twice, once).estimate()).isEqualTo(once.estimate());
  }

  @Example
  void fewActorsAreCountedExactly() {
    ActorSketch s = ActorSketch.merge(of("u", 0, 100, 12), of("u", 50, 150, 12));
    assertThat(s.exact()).isTrue();
    assertThat(s.estimate()).isEqualTo(new Uniques(150, 150, 150, true));
    ActorSketch many = of("u", 0, 100_000, 12);
    assertThat(many.exact()).isFalse();
    Uniques u = many.estimate();
    assertThat(u.lowerBound()).isLessThan(u.estimate());
    assertThat(u.upperBound()).isGreaterThan(u.estimate());
    assertThat(many.sizeBytes()).isLessThanOrEqualTo(2 * 1024 + 64);
  }

  @Example
  void aUnionOfShardsCountsAnActorOfTwoShardsOnce() {
    Uniques u =
        new ActorUnion().add(of("u", 0, 200, 12)).add(null).add(of("u", 100, 300, 12)).estimate();
    assertThat(u).isEqualTo(new Uniques(300, 300, 300, true));
    assertThat(new ActorUnion().estimate()).isEqualTo(Uniques.NONE);
  }

  /**
   * The union of a range's bucket sketches must not depend on how the buckets' deltas were split (a
   * kill -9 replay flushes at other points) or on merge order: UniquesKillTest saw a range's
   * estimate differ by 1 between a killed and an uninterrupted run before unions were canonical.
   */
  @Example
  void aUnionsEstimateDoesNotDependOnHowItsInputsWereSplitOrOrdered() {
    ActorUnion forward = new ActorUnion();
    for (int i = 0; i < 60; i++) {
      forward.add(of("u", i * 50, i * 50 + 50, 12));
    }
    ActorUnion backward = new ActorUnion();
    for (int i = 59; i >= 0; i--) {
      backward.add(of("u", i * 50, i * 50 + 50, 12));
    }
    ActorUnion coarser = new ActorUnion();
    for (int i = 0; i < 30; i++) {
      coarser.add(
          ActorSketch.merge(
              of("u", i * 100 + 50, i * 100 + 100, 12), of("u", i * 100, i * 100 + 50, 12)));
    }
    assertThat(forward.estimate().exact()).isFalse();
    assertThat(backward.estimate()).isEqualTo(forward.estimate());
    assertThat(coarser.estimate()).isEqualTo(forward.estimate());
  }
}
