package io.tally.rocksdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Upgrades a data dir from format 2 to 3: the high sum lane ({@link CounterKeyDescriptor}).
 *
 * <p>A format-2 row kept its whole sum in the excess lane, mod 2^64, and a sum of 2^63 or more read
 * as negative. Format 3 reads such a lane the same way, so rows whose sum stayed below 2^63 need
 * nothing; a row whose stored sum is 2^63 or more gets a high lane of 2^62, which makes it read as
 * {@link io.tally.model.Sums#OVERFLOW} for good, instead of turning back into a small, wrong number
 * once new deltas wrap it. (A format-2 sum that had already passed 2^64 wrapped before this upgrade
 * and cannot be told apart; it needed 18.4 million events of the largest value on one row.)
 *
 * <p>One pass over the counters; the marks and the new format record go in one synced WriteBatch,
 * so a crash leaves the dir in format 2, to be upgraded again. Runs once, on the opening thread,
 * before anything else uses the dir.
 */
final class SumLanesUpgrade {
  static final long OVERFLOW_MARK = 1L << 62;

  private SumLanesUpgrade() {}

  /**
   * Marks the rows whose sum reached 2^63 and writes {@code formatValue} under {@code formatKey}.
   *
   * @return how many rows were marked
   */
  static int run(
      RocksDB db,
      ColumnFamilyHandle counters,
      ColumnFamilyHandle meta,
      byte[] formatKey,
      byte[] formatValue)
      throws RocksDBException {
    List<byte[]> overflowed = new ArrayList<>();
    try (RocksIterator it = db.newIterator(counters)) {
      byte[] row = null;
      long count = 0;
      long excess = 0;
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        byte[] rowOf = Arrays.copyOf(key, key.length - 1);
        if (row != null && !Arrays.equals(row, rowOf)) {
          mark(row, count, excess, overflowed);
          count = 0;
          excess = 0;
        }
        row = rowOf;
        long v = CounterKeyDescriptor.decodeValue(it.value());
        if (CounterKeyDescriptor.field(key) == CounterKeyDescriptor.COUNT) {
          count = v;
        } else if (CounterKeyDescriptor.field(key) == CounterKeyDescriptor.EXCESS) {
          excess = v;
        }
      }
      if (row != null) {
        mark(row, count, excess, overflowed);
      }
    }
    try (WriteBatch wb = new WriteBatch();
        WriteOptions sync = new WriteOptions().setSync(true)) {
      for (byte[] row : overflowed) {
        byte[] key = Arrays.copyOf(row, row.length + 1);
        key[row.length] = CounterKeyDescriptor.HIGH;
        wb.merge(counters, key, CounterKeyDescriptor.encodeValue(OVERFLOW_MARK));
      }
      wb.put(meta, formatKey, formatValue);
      db.write(sync, wb);
    }
    return overflowed.size();
  }

  private static void mark(byte[] row, long count, long excess, List<byte[]> overflowed) {
    if (count + excess < 0) { // the format-2 sum, read as u64, is 2^63 or more
      overflowed.add(row);
    }
  }
}
