package io.tally.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.RowCorrection;
import io.tally.core.store.Checkpoint;
import io.tally.model.Granularity;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Delta records with a recount's signed corrections (flag bit 1): round trips, damage refused. */
class DeltaCodecCorrectionsTest {
  private static final long MINUTE = 1_769_860_800_000L;

  @Test
  void signedCorrectionsRoundTripAndARecordWithoutThemKeepsItsBytes() {
    List<RowCorrection> corrections =
        List.of(
            new RowCorrection(
                new CounterKey("video:1", "view", Granularity.MINUTE, MINUTE), -3, -30),
            new RowCorrection(CounterKey.total("video:1", "view"), 2, 7));
    DeltaRecord record = new DeltaRecord(List.of(), new Checkpoint(1, 10, 5, 6), corrections);
    byte[] encoded = DeltaCodec.encode(record);
    assertThat(encoded[1]).as("flags: checkpoint and corrections").isEqualTo((byte) 3);
    assertThat(DeltaCodec.decode(encoded)).isEqualTo(record);

    CounterDelta d =
        new CounterDelta(new CounterKey("video:1", "view", Granularity.MINUTE, MINUTE), 1, 1);
    byte[] plain = DeltaCodec.encode(new DeltaRecord(List.of(d), null));
    assertThat(plain[1]).isZero();
    assertThat(DeltaCodec.decode(plain).corrections()).isEmpty();
  }

  @Test
  void aTruncatedCorrectionIsACorruptRecord() {
    RowCorrection c = new RowCorrection(CounterKey.total("video:1", "view"), -1, -1);
    byte[] encoded = DeltaCodec.encode(new DeltaRecord(List.of(), null, List.of(c)));
    assertThatThrownBy(() -> DeltaCodec.decode(Arrays.copyOf(encoded, encoded.length - 3)))
        .isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void topKSlotCorrectionsRoundTripBesideRowCorrections() {
    io.tally.core.topk.TopKWindow day = io.tally.core.topk.TopKWindow.parse("24h");
    List<io.tally.core.topk.SlotCorrection> slots =
        List.of(
            new io.tally.core.topk.SlotCorrection(
                new io.tally.core.topk.SlotKey("view", day, day.slotStart(MINUTE)),
                java.util.Map.of("video:1", -3L, "channel:c1", 60L)),
            new io.tally.core.topk.SlotCorrection(
                new io.tally.core.topk.SlotKey("like", day, day.slotStart(MINUTE)),
                java.util.Map.of("video:ü", 1L)));
    RowCorrection row = new RowCorrection(CounterKey.total("video:1", "view"), 2, 7);
    DeltaRecord record = new DeltaRecord(List.of(), null, List.of(row), slots);
    byte[] encoded = DeltaCodec.encode(record);
    assertThat(encoded[1]).as("flags: corrections and slot corrections").isEqualTo((byte) 6);
    assertThat(DeltaCodec.decode(encoded)).isEqualTo(record);

    DeltaRecord slotsOnly = new DeltaRecord(List.of(), null, List.of(), slots);
    assertThat(DeltaCodec.decode(DeltaCodec.encode(slotsOnly))).isEqualTo(slotsOnly);
    byte[] cut = DeltaCodec.encode(slotsOnly);
    assertThatThrownBy(() -> DeltaCodec.decode(Arrays.copyOf(cut, cut.length - 5)))
        .isInstanceOf(CorruptRecordException.class);
  }
}
