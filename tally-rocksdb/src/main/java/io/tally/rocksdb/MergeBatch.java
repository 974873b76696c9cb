package io.tally.rocksdb;

import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.WriteBatch;

/**
 * A run of merges into one column family, encoded in Java as RocksDB's own {@code WriteBatch}
 * representation and handed over in one call ({@link #toWriteBatch}) instead of one JNI call per
 * merge. A processor's flush merges tens of thousands of counter rows: the JNI call per merge (two
 * array copies, a native allocation, RocksDB's thread-local lookups) took ~9 % of a processor's CPU
 * at 300,000 events/s (perf).
 *
 * <p>The representation (RocksDB's {@code db/write_batch.cc}, stable since its first release, and
 * what {@link WriteBatch#data()} returns): a 12-byte header, the sequence number (fixed64, 0 until
 * written) and the record count (fixed32), both little-endian; then per merge the tag {@code
 * kTypeColumnFamilyMerge} (6) and the column family's id as a varint32, or the tag {@code
 * kTypeMerge} (2) alone for the default family (id 0); the key and the value, each as a varint32
 * length and its bytes. {@code MergeBatchTest} checks it byte for byte against the batch RocksDB
 * builds from the same merges.
 *
 * <p>A batch sized with {@link #bytesOf} for its merges allocates its representation once, at its
 * exact length, which {@link WriteBatch#WriteBatch(byte[])} needs: a flush's batch is often over
 * 512 KB, a G1 "humongous" object on a 2 GB heap, and each such allocation may start a concurrent
 * marking cycle with a young pause. Growing it by doubling and copying it to its length took three
 * of them per flush (docs/benchmarks.md, seventeenth sitting).
 *
 * <p>Not thread-safe; one batch per write.
 */
final class MergeBatch {
  private static final int HEADER_BYTES = 12;
  private static final byte TYPE_MERGE = 0x2;
  private static final byte TYPE_COLUMN_FAMILY_MERGE = 0x6;

  private final int columnFamily;
  private byte[] buf;
  private int size = HEADER_BYTES;
  private int count;

  /**
   * An empty batch of merges into {@code cf}, sized for merges of {@code mergeBytes} (the sum of
   * {@link #bytesOf} over them): with exactly those, it allocates nothing more. It grows if more
   * come.
   */
  MergeBatch(ColumnFamilyHandle cf, int mergeBytes) {
    this.columnFamily = cf.getID();
    this.buf = new byte[HEADER_BYTES + Math.max(0, mergeBytes)];
  }

  /**
   * The bytes a merge of a {@code keyLength}-byte key takes in a batch into the column family of id
   * {@code columnFamilyId} (its {@link ColumnFamilyHandle#getID()}, a JNI call: ask it once).
   */
  static int bytesOf(int columnFamilyId, int keyLength) {
    return 1
        + (columnFamilyId == 0 ? 0 : varint32Length(columnFamilyId))
        + varint32Length(keyLength)
        + keyLength
        + 1
        + 8;
  }

  /** Adds a merge of {@code value}, encoded as a counter lane's value, into {@code key}. */
  void mergeU64(byte[] key, long value) {
    ensure(bytesOf(columnFamily, key.length));
    if (columnFamily == 0) {
      buf[size++] = TYPE_MERGE;
    } else {
      buf[size++] = TYPE_COLUMN_FAMILY_MERGE;
      varint32(columnFamily);
    }
    varint32(key.length);
    System.arraycopy(key, 0, buf, size, key.length);
    size += key.length;
    buf[size++] = 8;
    CounterKeyDescriptor.encodeValue(value, buf, size);
    size += 8;
    count++;
  }

  /** Merges added so far. */
  int count() {
    return count;
  }

  /**
   * A new {@link WriteBatch} holding the merges, to which more operations may be added. It copies
   * the representation to its length unless the batch was sized exactly.
   */
  WriteBatch toWriteBatch() {
    for (int i = 0; i < 4; i++) {
      buf[8 + i] = (byte) (count >>> (8 * i));
    }
    return new WriteBatch(size == buf.length ? buf : Arrays.copyOf(buf, size));
  }

  private static int varint32Length(int v) {
    int n = 1;
    while ((v & ~0x7F) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  private void varint32(int v) {
    while ((v & ~0x7F) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
