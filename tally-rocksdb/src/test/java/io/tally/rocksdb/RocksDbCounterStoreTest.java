package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.TallyException;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.model.Granularity;
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
    storage.close();
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
    assertThat(store.read(new CounterKey("video:9", "view", Granularity.DAY, 0)).count()).isEqualTo(7);
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
}
