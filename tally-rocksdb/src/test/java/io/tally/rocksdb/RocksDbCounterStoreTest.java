package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import io.tally.testkit.CounterStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbCounterStoreTest extends CounterStoreContract {
  @TempDir Path dir;
  private RocksDbStorage storage;
  private RocksDbCounterStore store;

  @Override
  protected void open() {
    storage = RocksDbStorage.open(dir.resolve("data"), 8);
    store = new RocksDbCounterStore(storage);
  }

  @Override
  protected void closeStore() {
    if (storage.isOpen()) {
      storage.close();
    }
  }

  @Override
  protected CounterStore store() {
    return store;
  }

  @Override
  protected DeltaSink sink() {
    return store;
  }

  @Test
  void countersSurviveAReopen() {
    write(delta("video:9", "view", Granularity.DAY, 0, 7, 70));
    storage.close();
    open();
    assertThat(store.read(new CounterKey("video:9", "view", Granularity.DAY, 0)).count())
        .isEqualTo(7);
  }

  @Test
  void refusesToOpenADataDirWithAnotherPartitionCount() {
    storage.close();
    assertThatThrownBy(() -> RocksDbStorage.open(dir.resolve("data"), 16))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("created with 8 partitions")
        .hasMessageContaining("16");
    open(); // the refusal changed nothing
  }

  private long countEntries(Granularity g) {
    long n = 0;
    try (org.rocksdb.RocksIterator it = storage.db().newIterator(storage.counters())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        if (CounterKeyDescriptor.sameGranularity(it.key(), g)) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void expiryDeletesWholeRangesPastRetentionAndKeepsEverythingElse() {
    long day = 86_400_000L;
    long now = java.time.Instant.parse("2026-03-10T12:00:00Z").toEpochMilli();
    // a minute row every 6 hours for 20 days, an hour row for each, and the total
    for (long t = now - 20 * day; t < now; t += 6 * 3_600_000L) {
      write(
          delta("video:1", "view", Granularity.MINUTE, Granularity.MINUTE.bucketStart(t), 1, 1),
          delta("video:2", "like", Granularity.MINUTE, Granularity.MINUTE.bucketStart(t), 2, 2),
          delta("video:1", "view", Granularity.HOUR, Granularity.HOUR.bucketStart(t), 1, 1),
          delta("video:1", "view", Granularity.TOTAL, 0, 1, 1));
    }
    long minutesBefore = countEntries(Granularity.MINUTE);
    io.tally.core.retention.Retention retention = io.tally.core.retention.Retention.DEFAULTS;

    assertThat(store.expire(retention, now)).containsExactly(Granularity.MINUTE, Granularity.HOUR);
    long oldest = retention.oldestRetainedBucket(Granularity.MINUTE, now);
    long cutoff = io.tally.core.retention.TimeRanges.rangeStart(Granularity.MINUTE, oldest);
    // nothing before the cutoff range is left; everything from it on is untouched
    assertThat(store.range("video:1", "view", Granularity.MINUTE, Long.MIN_VALUE + 1, cutoff))
        .isEmpty();
    assertThat(store.range("video:2", "like", Granularity.MINUTE, Long.MIN_VALUE + 1, cutoff))
        .isEmpty();
    assertThat(store.range("video:1", "view", Granularity.MINUTE, cutoff, now))
        .hasSize((int) ((now - cutoff) / (6 * 3_600_000L)));
    assertThat(countEntries(Granularity.MINUTE))
        .isLessThan(minutesBefore)
        .isEqualTo(2 * (now - cutoff) / (6 * 3_600_000L));
    // hours are kept 90 days and the total forever
    assertThat(store.range("video:1", "view", Granularity.HOUR, now - 21 * day, now)).hasSize(80);
    assertThat(store.read(CounterKey.total("video:1", "view")).count()).isEqualTo(80);
    assertThat(store.expire(retention, now + 60_000))
        .as("nothing new to expire a minute later")
        .isEmpty();

    // a month later only a day-range's worth of minutes past the 7 days is ever on disk
    write(
        delta(
            "video:1",
            "view",
            Granularity.MINUTE,
            Granularity.MINUTE.bucketStart(now + 30 * day),
            1,
            1));
    store.expire(retention, now + 30 * day + 60_000);
    assertThat(countEntries(Granularity.MINUTE)).isEqualTo(1);
  }

  @Test
  void aLayout1DataDirIsConvertedWhenItOpensAndReadsTheSame() throws Exception {
    long t = 1_769_860_800_000L;
    // write rows in the old entity-first layout and mark the dir as format 1
    try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
      for (int i = 0; i < 25_000; i++) {
        wb.put(
            storage.counters(),
            layout1Key("video:" + i, "view", Granularity.MINUTE, t, 'c'),
            CounterKeyDescriptor.encodeValue(i));
      }
      wb.put(
          storage.counters(),
          layout1Key("video:7", "view", Granularity.TOTAL, 0, 'c'),
          CounterKeyDescriptor.encodeValue(70));
      wb.put(
          storage.counters(),
          layout1Key("video:7", "view", Granularity.TOTAL, 0, 's'),
          CounterKeyDescriptor.encodeValue(5));
      storage.db().write(new org.rocksdb.WriteOptions(), wb);
    }
    storage
        .db()
        .put(
            storage.meta(),
            "format".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            java.nio.ByteBuffer.allocate(5).put((byte) 1).putInt(8).array());
    storage.close();

    open();
    assertThat(store.read(CounterKey.total("video:7", "view")))
        .isEqualTo(new io.tally.model.Bucket(0, 70, 75));
    assertThat(store.range("video:24999", "view", Granularity.MINUTE, t, t + 60_000))
        .containsExactly(new io.tally.model.Bucket(t, 24_999, 24_999));
    try (org.rocksdb.RocksIterator it = storage.db().newIterator(storage.counters())) {
      it.seek(new byte[] {1});
      assertThat(it.isValid() && it.key()[0] == 1).as("no layout-1 key is left").isFalse();
    }
    storage.close();
    open(); // the format is 4 now: opening again converts nothing and reads the same
    assertThat(store.read(CounterKey.total("video:7", "view")).count()).isEqualTo(70);
  }

  private void setFormat(int version) throws Exception {
    storage
        .db()
        .put(
            storage.meta(),
            "format".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            java.nio.ByteBuffer.allocate(5).put((byte) version).putInt(8).array());
  }

  private byte format() throws Exception {
    return storage.db()
        .get(storage.meta(), "format".getBytes(java.nio.charset.StandardCharsets.US_ASCII))[0];
  }

  /**
   * A format-2 dir kept a row's whole sum in one u64 lane: a sum of 2^63 or more read negative
   * (issue 20 item 4). Upgraded to format 3, such a row reads as overflowed for good, even after
   * new deltas would wrap its old lane back to a small number; every other row reads the same.
   */
  @Test
  void aFormat2DataDirIsUpgradedAndRowsWhoseSumHadWrappedReadAsOverflowed() throws Exception {
    long max = 1_000_000_000_000L;
    CounterKey small = CounterKey.total("video:1", "view");
    CounterKey wrapped = CounterKey.total("acct:1", "bytes");
    try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
      put(wb, small, CounterKeyDescriptor.COUNT, 5);
      put(wb, small, CounterKeyDescriptor.EXCESS, 45); // sum 50
      put(wb, wrapped, CounterKeyDescriptor.COUNT, 9_300_000);
      put(wb, wrapped, CounterKeyDescriptor.EXCESS, 9_300_000 * max - 9_300_000); // wraps
      storage.db().write(new org.rocksdb.WriteOptions(), wb);
    }
    setFormat(2);
    storage.close();

    open();
    assertThat(format()).isEqualTo((byte) 4);
    assertThat(store.read(small)).isEqualTo(new io.tally.model.Bucket(0, 5, 50));
    assertThat(store.read(wrapped))
        .isEqualTo(new io.tally.model.Bucket(0, 9_300_000, io.tally.model.Sums.OVERFLOW));
    // 9.2M more events: in format 2 the lane would pass 2^64 and read as a small positive sum
    write(
        delta("acct:1", "bytes", Granularity.TOTAL, 0, 9_200_000, 9_200_000 * max),
        delta("video:1", "view", Granularity.TOTAL, 0, 1, 3 * max));
    storage.close();
    open(); // format 4 now: opening again marks nothing twice
    assertThat(store.read(wrapped))
        .isEqualTo(new io.tally.model.Bucket(0, 18_500_000, io.tally.model.Sums.OVERFLOW));
    assertThat(store.read(small)).isEqualTo(new io.tally.model.Bucket(0, 6, 50 + 3 * max));
  }

  /**
   * Format 4 adds a counter row's actors entry. A format-3 dir has none: it opens as format 4 with
   * every row reading the same, and its rows take actor sketches from then on.
   */
  @Test
  void aFormat3DataDirIsUpgradedToFormat4AndItsRowsTakeActorSketches() throws Exception {
    write(delta("video:1", "view", Granularity.TOTAL, 0, 5, 50));
    setFormat(3);
    storage.close();
    open();
    assertThat(format()).isEqualTo((byte) 4);
    assertThat(store.read(CounterKey.total("video:1", "view")))
        .isEqualTo(new io.tally.model.Bucket(0, 5, 50));
    write(delta("video:1", Granularity.TOTAL, 0, 7, actors("u", 7)));
    assertThat(store.read(CounterKey.total("video:1", "view")))
        .isEqualTo(new io.tally.model.Bucket(0, 12, 57));
    assertThat(store.actors(CounterKey.total("video:1", "view"), null).estimate().estimate())
        .isEqualTo(7);
  }

  /**
   * A damaged actors entry is refused by name, on a read and on a write; nothing merges over it.
   */
  @Test
  void aDamagedActorSketchIsRefusedLoudly() throws Exception {
    CounterKey key = CounterKey.total("video:1", "view");
    write(delta("video:1", Granularity.TOTAL, 0, 7, actors("u", 7)));
    byte[] entry = CounterKeyDescriptor.key(key, CounterKeyDescriptor.ACTORS);
    byte[] good = storage.db().get(storage.counters(), entry);
    byte[] damaged = java.util.Arrays.copyOf(good, good.length);
    damaged[damaged.length - 1] ^= 1; // one bit of the sketch: only the checksum tells
    storage.db().put(storage.counters(), entry, damaged);
    assertThatThrownBy(() -> store.actors(key, null))
        .isInstanceOf(io.tally.core.codec.CorruptRecordException.class)
        .hasMessageContaining("video:1");
    assertThatThrownBy(() -> store.actorsRange("video:1", "view", Granularity.TOTAL, 0, 1, null))
        .isInstanceOf(io.tally.core.codec.CorruptRecordException.class);
    assertThatThrownBy(() -> write(delta("video:1", Granularity.TOTAL, 0, 1, actors("v", 1))))
        .isInstanceOf(io.tally.core.codec.CorruptRecordException.class);
    assertThat(storage.db().get(storage.counters(), entry)).isEqualTo(damaged);
    assertThat(store.read(key).count()).isEqualTo(7); // the failed write changed nothing
    storage.db().put(storage.counters(), entry, new byte[] {9, 1, 2});
    assertThatThrownBy(() -> store.actors(key, null))
        .isInstanceOf(io.tally.core.codec.CorruptRecordException.class)
        .hasMessageContaining("version 9");
  }

  @Test
  void refusesADataDirOfANewerFormatByName() throws Exception {
    setFormat(5);
    storage.close();
    assertThatThrownBy(() -> RocksDbStorage.open(dir.resolve("data"), 8))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("unknown format (version 5; this Tally reads versions 1 to 4");
  }

  private void put(org.rocksdb.WriteBatch wb, CounterKey key, byte field, long value)
      throws Exception {
    wb.put(
        storage.counters(),
        CounterKeyDescriptor.key(key, field),
        CounterKeyDescriptor.encodeValue(value));
  }

  /** The entity-first key of data dirs of format 1. */
  private static byte[] layout1Key(
      String entity, String type, Granularity g, long bucket, char field) {
    byte[] e = entity.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] ty = type.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return java.nio.ByteBuffer.allocate(1 + 2 + e.length + 1 + ty.length + 1 + 8 + 1)
        .put((byte) 1)
        .putShort((short) e.length)
        .put(e)
        .put((byte) ty.length)
        .put(ty)
        .put((byte) g.ordinal())
        .putLong(bucket ^ Long.MIN_VALUE)
        .put((byte) field)
        .array();
  }
}
