package io.tally.core.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class PartitionerTest {

  @Example
  void hashMatchesThePublishedMurmur3X86_32VectorsWithSeedZero() {
    assertThat(Partitioner.hash("")).isEqualTo(0);
    assertThat(Partitioner.hash("hello")).isEqualTo(0x248bfa47);
    assertThat(Partitioner.hash("The quick brown fox jumps over the lazy dog"))
        .isEqualTo(0x2e4ff723);
  }

  @Example
  void hashesTheUtf8BytesOfTheEntity() {
    // "é" is C3 A9 in UTF-8; hashing ISO-8859-1 (E9) or UTF-16 would give another value.
    assertThat(Partitioner.hash("é")).isEqualTo(0x10110787);
  }

  /**
   * Pinned mapping for P = 8. Entity → partition is a durable contract (data dirs and topics are
   * laid out by it), so any change to the hash, the byte encoding or the reduction to a partition
   * must fail here. Several of these hashes are negative, which pins the floorMod reduction too.
   */
  @Example
  void mapsKnownEntitiesToTheirPinnedPartitionsWithEightPartitions() {
    Partitioner p = new Partitioner(8);
    assertThat(p.partition("video:42")).isEqualTo(1);
    assertThat(p.partition("video:1")).isEqualTo(2); // hash 0x86bab64a is negative
    assertThat(p.partition("video:0")).isEqualTo(5); // hash 0xf53252a5 is negative
    assertThat(p.partition("user:alice")).isEqualTo(6);
    assertThat(p.partition("page:/home")).isEqualTo(0);
    assertThat(p.partition("campaign#2026-03")).isEqualTo(2); // hash 0xfff1329a is negative
    assertThat(p.partition("é")).isEqualTo(7);
  }

  @Property
  void partitionIsWithinRange(
      @ForAll String entity, @ForAll @IntRange(min = 1, max = Partitioner.MAX_PARTITIONS) int n) {
    int partition = new Partitioner(n).partition(entity);
    assertThat(partition).isBetween(0, n - 1);
  }

  @Property
  void partitionIsDeterministic(
      @ForAll String entity, @ForAll @IntRange(min = 1, max = Partitioner.MAX_PARTITIONS) int n) {
    assertThat(new Partitioner(n).partition(entity))
        .isEqualTo(new Partitioner(n).partition(new String(entity.toCharArray())));
  }

  @Property
  void partitionIsTheFloorModOfTheHash(
      @ForAll String entity, @ForAll @IntRange(min = 1, max = Partitioner.MAX_PARTITIONS) int n) {
    assertThat(new Partitioner(n).partition(entity))
        .isEqualTo(Math.floorMod(Partitioner.hash(entity), n));
  }

  @Property
  void onePartitionHoldsEverything(@ForAll String entity) {
    assertThat(new Partitioner(1).partition(entity)).isZero();
  }

  @Example
  void spreadsSequentialEntitiesRoughlyUniformlyOverEightPartitions() {
    Partitioner p = new Partitioner(8);
    int n = 100_000;
    int[] counts = new int[8];
    for (int i = 0; i < n; i++) {
      counts[p.partition("video:" + i)]++;
    }
    for (int c : counts) {
      assertThat(c).isBetween(n * 11 / 100, n * 14 / 100);
    }
  }

  @Example
  void rejectsPartitionCountsOutsideOneTo4096() {
    assertThatThrownBy(() -> new Partitioner(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4096");
    assertThatThrownBy(() -> new Partitioner(4097)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Partitioner(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(new Partitioner(1).partitions()).isEqualTo(1);
    assertThat(new Partitioner(4096).partitions()).isEqualTo(4096);
  }
}
