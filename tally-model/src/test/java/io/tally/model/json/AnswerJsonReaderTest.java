package io.tally.model.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.Bucket;
import io.tally.model.Consistency;
import io.tally.model.Granularity;
import io.tally.model.IngestResult;
import io.tally.model.Rejection;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.Sums;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import io.tally.model.Total;
import io.tally.model.Uniques;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** What {@link TallyJson} writes, {@link AnswerJsonReader} reads back unchanged. */
class AnswerJsonReaderTest {
  private static final long T = 1_795_000_000_000L;

  @Property
  void readsBackEveryIngestResult(
      @ForAll @IntRange(min = 0, max = 50_000) int accepted,
      @ForAll List<@StringLength(max = 40) String> reasons) {
    List<Rejection> rejected = new ArrayList<>();
    for (int i = 0; i < reasons.size(); i++) {
      rejected.add(new Rejection(i * 3, reasons.get(i)));
    }
    IngestResult result = new IngestResult(accepted, rejected);
    assertThat(AnswerJsonReader.ingestResult(TallyJson.ingestResult(result))).isEqualTo(result);
  }

  @Property
  void readsBackEveryTotal(
      @ForAll @LongRange(min = 0) long count,
      @ForAll @LongRange(min = 0) long sum,
      @ForAll @LongRange(min = 0, max = 4_000_000_000_000L) long asOf) {
    Total total = new Total("video:42", "view", count, sum, asOf);
    assertThat(AnswerJsonReader.total(TallyJson.total(total))).isEqualTo(total);
  }

  @Test
  void writesAnOverflowedSumAsNullWithAFlagAndReadsItBack() {
    Total total = new Total("acct:1", "bytes", 9_300_000, Sums.OVERFLOW, T);
    String json = new String(TallyJson.total(total), StandardCharsets.UTF_8);
    assertThat(json).contains("\"count\":9300000,\"sum\":null,\"sumOverflow\":true");
    assertThat(AnswerJsonReader.total(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(total);
    assertThat(new String(TallyJson.total(new Total("a", "b", 1, 5, T)), StandardCharsets.UTF_8))
        .doesNotContain("sumOverflow");

    Stats sums =
        new Stats(
            "acct:1",
            "bytes",
            Statistic.SUM,
            Granularity.DAY,
            T,
            T + 2 * 86_400_000L,
            List.of(new Bucket(T, 0, Sums.OVERFLOW), new Bucket(T + 86_400_000L, 0, 7)),
            T + 1);
    String stats = new String(TallyJson.stats(sums), StandardCharsets.UTF_8);
    assertThat(stats).contains("\"sumOverflow\":true").contains("\"value\":null");
    assertThat(AnswerJsonReader.stats(stats.getBytes(StandardCharsets.UTF_8))).isEqualTo(sums);
    Stats counts =
        new Stats(
            "acct:1",
            "bytes",
            Statistic.COUNT,
            Granularity.DAY,
            T,
            T + 86_400_000L,
            List.of(new Bucket(T, 9_300_000, 0)),
            T + 1);
    assertThat(new String(TallyJson.stats(counts), StandardCharsets.UTF_8))
        .doesNotContain("sumOverflow")
        .contains("\"value\":9300000");
  }

  @Test
  void writesTheConsistencyBesideAsOfAndReadsItBack() {
    for (Consistency c : Consistency.values()) {
      Total total = new Total("video:42", "view", 3, 7, T, c);
      String json = new String(TallyJson.total(total), StandardCharsets.UTF_8);
      assertThat(json)
          .endsWith("\"asOf\":\"2026-11-18T11:06:40Z\",\"consistency\":\"" + c.wireName() + "\"}");
      assertThat(AnswerJsonReader.total(TallyJson.total(total))).isEqualTo(total);
      TopK top = new TopK("view", "1h", 10, true, 0, T, T, List.of(), c);
      assertThat(AnswerJsonReader.topK(TallyJson.topK(top))).isEqualTo(top);
    }
    assertThat(
            new String(
                TallyJson.total(new Total("video:42", "view", 3, 7, T)), StandardCharsets.UTF_8))
        .as("an answer that states none (embedded mode)")
        .doesNotContain("consistency");
  }

  @Test
  void readsBackStatsOfEitherFunction() {
    Stats counts =
        new Stats(
            "video:1",
            "view",
            Statistic.COUNT,
            Granularity.MINUTE,
            T,
            T + 180_000,
            List.of(new Bucket(T, 3, 0), new Bucket(T + 120_000, 1, 0)),
            T + 1);
    Stats sums =
        new Stats(
            "video:1",
            "view",
            Statistic.SUM,
            Granularity.HOUR,
            T,
            T + 7_200_000,
            List.of(new Bucket(T, 0, 70)),
            T + 1);
    assertThat(AnswerJsonReader.stats(TallyJson.stats(counts))).isEqualTo(counts);
    assertThat(AnswerJsonReader.stats(TallyJson.stats(sums))).isEqualTo(sums);
  }

  @Test
  void readsBackAveragesAndDistinctActors() {
    Stats avg =
        new Stats(
            "video:1",
            "view",
            Statistic.AVG,
            Granularity.MINUTE,
            T,
            T + 180_000,
            List.of(new Bucket(T, 4, 10), new Bucket(T + 60_000, 3, Sums.OVERFLOW)),
            T + 1);
    Stats read = AnswerJsonReader.stats(TallyJson.stats(avg));
    assertThat(read).isEqualTo(avg);
    assertThat(read.buckets().get(0).avg()).isEqualTo(2.5);
    assertThat(read.buckets().get(1).avg()).isNaN();
    Stats uniques =
        new Stats(
            "video:1",
            "view",
            Statistic.UNIQUES,
            Granularity.HOUR,
            T,
            T + 7_200_000,
            List.of(
                new Bucket(T, 0, 0, new Uniques(3, 3, 3, true)),
                new Bucket(T + 3_600_000, 0, 0, new Uniques(5012, 4850, 5180, false))),
            T + 1,
            null,
            new Uniques(5013, 4851, 5181, false));
    assertThat(AnswerJsonReader.stats(TallyJson.stats(uniques))).isEqualTo(uniques);
    Total total = new Total("video:1", "view", 9, 27, T, null, new Uniques(4, 4, 4, true));
    Total back = AnswerJsonReader.total(TallyJson.total(total));
    assertThat(back).isEqualTo(total);
    assertThat(back.avg()).isEqualTo(3.0);
    assertThat(new String(TallyJson.total(total), StandardCharsets.UTF_8))
        .contains("\"avg\":3.0,\"estimate\":4,\"lowerBound\":4,\"upperBound\":4,\"exact\":true");
  }

  @Test
  void readsBackTopK() {
    TopK top =
        new TopK(
            "view",
            "1h",
            2,
            false,
            4,
            T,
            T + 5,
            List.of(new TopKItem("video:1", 40, 36, 40), new TopKItem("video:2", 9, 5, 9)));
    assertThat(AnswerJsonReader.topK(TallyJson.topK(top))).isEqualTo(top);
  }

  @Test
  void readsTheReasonOfAnErrorBodyAndNothingFromOtherBodies() {
    assertThat(AnswerJsonReader.errorReason(TallyJson.error("window must be one of 5m, 1h")))
        .isEqualTo("window must be one of 5m, 1h");
    assertThat(AnswerJsonReader.errorReason("<html>502</html>".getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThat(AnswerJsonReader.errorReason(new byte[0])).isNull();
  }

  @Test
  void refusesABodyOfTheWrongShape() {
    assertThatThrownBy(
            () -> AnswerJsonReader.total("{\"entity\":\"a\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBodyException.class)
        .hasMessageContaining("type");
    assertThatThrownBy(
            () -> AnswerJsonReader.ingestResult("[1,2]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBodyException.class);
    assertThatThrownBy(
            () -> AnswerJsonReader.ingestResult("{\"accepted\":".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBodyException.class);
  }
}
