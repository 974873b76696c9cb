package io.tally.core.enrich;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.partition.Partitioner;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class DerivedEntitiesTest {
  private final DerivedEntities channelAndCategory =
      DerivedEntities.of(List.of("channel", "category"));

  @Test
  void derivesOneEntityPerConfiguredAttributeInConfiguredOrder() {
    Map<String, String> attributes = Map.of("category", "music", "channel", "c1", "language", "en");
    assertThat(channelAndCategory.derive("video:42", attributes))
        .containsExactly("channel:c1", "category:music");
  }

  @Test
  void derivesOnlyFromTheConfiguredAttributesAnEntityHas() {
    assertThat(channelAndCategory.derive("video:42", Map.of("language", "en"))).isEmpty();
    assertThat(channelAndCategory.derive("video:42", Map.of())).isEmpty();
    assertThat(channelAndCategory.derive("video:42", Map.of("category", "news")))
        .containsExactly("category:news");
    assertThat(DerivedEntities.NONE.derive("video:42", Map.of("channel", "c1"))).isEmpty();
  }

  @Test
  void anEntityNeverDerivesItself() {
    assertThat(
            channelAndCategory.derive("channel:c1", Map.of("channel", "c1", "category", "music")))
        .containsExactly("category:music");
  }

  @Test
  void refusesEventsSentDirectlyToADerivedEntityWithAReason() {
    assertThat(channelAndCategory.directEventProblem("channel:c1"))
        .isEqualTo(
            "entity prefix 'channel:' is derived by this server (--derive channel,category);"
                + " send events for its members");
    assertThat(channelAndCategory.directEventProblem("category:music")).contains("'category:'");
    assertThat(channelAndCategory.directEventProblem("channels:c1")).isNull();
    assertThat(channelAndCategory.directEventProblem("video:42")).isNull();
    assertThat(DerivedEntities.NONE.directEventProblem("channel:c1")).isNull();
  }

  @Test
  void knowsDerivedEntitiesByTheirConfiguredPrefix() {
    assertThat(channelAndCategory.isDerived("channel:c1")).isTrue();
    assertThat(channelAndCategory.isDerived("category:music")).isTrue();
    assertThat(channelAndCategory.isDerived("channels:c1")).isFalse();
    assertThat(channelAndCategory.isDerived("video:42")).isFalse();
    assertThat(DerivedEntities.NONE.isDerived("channel:c1")).isFalse();
  }

  @Test
  void configurationDropsDuplicatesAndRejectsBadNames() {
    assertThat(DerivedEntities.of(List.of("channel", "channel")).attributeNames())
        .containsExactly("channel");
    assertThat(DerivedEntities.of(List.of())).isSameAs(DerivedEntities.NONE);
    assertThatThrownBy(() -> DerivedEntities.of(List.of("Channel")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot derive from 'Channel'");
    assertThatThrownBy(() -> DerivedEntities.of(List.of("")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be empty");
  }

  @Test
  void shardRowsNameTheirSourcePartition() {
    assertThat(DerivedEntities.shardName("channel:c1", 3)).isEqualTo("channel:c1~3");
    assertThat(DerivedEntities.baseName("channel:c1~3")).isEqualTo("channel:c1");
    assertThat(DerivedEntities.shardPartition("channel:c1~3")).isEqualTo(3);
    assertThat(DerivedEntities.baseName("video:42")).isEqualTo("video:42");
    assertThat(DerivedEntities.shardPartition("video:42")).isEqualTo(-1);
    assertThat(DerivedEntities.shardPartition("channel:c1~")).isEqualTo(-1);
    assertThat(DerivedEntities.shardPartition("channel:c1~x")).isEqualTo(-1);
  }

  @Test
  void aShardIsWrittenByItsSourcePartitionAndAnEntityByItsOwn() {
    Partitioner partitioner = new Partitioner(16);
    assertThat(DerivedEntities.writerPartition("channel:c1~11", partitioner)).isEqualTo(11);
    assertThat(DerivedEntities.writerPartition("video:42", partitioner))
        .isEqualTo(partitioner.partition("video:42"));
    assertThat(DerivedEntities.writerPartition("channel:c1", partitioner))
        .isEqualTo(partitioner.partition("channel:c1"));
  }

  @Property
  void shardNamesRoundTrip(
      @ForAll
          @StringLength(min = 1, max = 200)
          @CharRange(from = 'a', to = 'z')
          @Chars({':', '_', '.', '-', '/', '@', '#', '0', '9', 'A', 'Z'})
          String entity,
      @ForAll @IntRange(min = 0, max = Partitioner.MAX_PARTITIONS - 1) int partition) {
    String row = DerivedEntities.shardName(entity, partition);
    assertThat(DerivedEntities.baseName(row)).isEqualTo(entity);
    assertThat(DerivedEntities.shardPartition(row)).isEqualTo(partition);
    assertThat(DerivedEntities.shardPartition(entity)).isEqualTo(-1);
  }
}
