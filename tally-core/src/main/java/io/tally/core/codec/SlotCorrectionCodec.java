package io.tally.core.codec;

import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.TopKWindow;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Top-K slot corrections part of a {@link DeltaCodec} record (flag bit 2), whose layout {@link
 * DeltaCodec} documents and owns. Stateless and thread-safe.
 */
final class SlotCorrectionCodec {
  /**
   * Smallest encoded slot: type (2), window (4), start (8), e (4), one entity (2) and count (8).
   */
  private static final int MIN_SLOT_BYTES = 2 + 4 + 8 + 4 + 2 + 8;

  private SlotCorrectionCodec() {}

  /** The bytes of {@code slots}; none when there are none (the flag bit stays clear). */
  static byte[] encode(List<SlotCorrection> slots) {
    if (slots.isEmpty()) {
      return new byte[0];
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(ByteBuffer.allocate(4).putInt(slots.size()).array());
    for (SlotCorrection c : slots) {
      byte[] type = DeltaCodec.utf8(c.slot().type());
      List<Map.Entry<String, Long>> counts = List.copyOf(c.counts().entrySet());
      List<byte[]> entities = new ArrayList<>(counts.size());
      int size = 2 + type.length + 4 + 8 + 4;
      for (Map.Entry<String, Long> e : counts) {
        byte[] b = DeltaCodec.utf8(e.getKey());
        entities.add(b);
        size += 2 + b.length + 8;
      }
      ByteBuffer out = ByteBuffer.allocate(size);
      DeltaCodec.putString(out, type);
      out.putInt((int) (c.slot().window().millis() / 60_000));
      out.putLong(c.slot().slotStartMillis());
      out.putInt(entities.size());
      for (int i = 0; i < counts.size(); i++) {
        DeltaCodec.putString(out, entities.get(i));
        out.putLong(counts.get(i).getValue());
      }
      bytes.writeBytes(out.array());
    }
    return bytes.toByteArray();
  }

  /**
   * Reads the slot corrections at {@code in}'s position.
   *
   * @throws CorruptRecordException if they are malformed
   * @throws java.nio.BufferUnderflowException if they are truncated
   */
  static List<SlotCorrection> decode(ByteBuffer in) {
    int k = in.getInt();
    if (k < 1 || k > in.remaining() / MIN_SLOT_BYTES) {
      throw new CorruptRecordException(
          "slot correction count " + k + " does not fit in " + in.remaining() + " bytes");
    }
    List<SlotCorrection> out = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      String type = DeltaCodec.getString(in);
      TopKWindow window = new TopKWindow(in.getInt() * 60_000L);
      SlotKey slot = new SlotKey(type, window, in.getLong());
      int e = in.getInt();
      if (e < 1 || e > in.remaining() / (2 + 8)) {
        throw new CorruptRecordException(
            "slot correction entity count " + e + " does not fit in " + in.remaining() + " bytes");
      }
      Map<String, Long> counts = new HashMap<>();
      for (int j = 0; j < e; j++) {
        counts.put(DeltaCodec.getString(in), in.getLong());
      }
      out.add(new SlotCorrection(slot, counts));
    }
    return out;
  }
}
