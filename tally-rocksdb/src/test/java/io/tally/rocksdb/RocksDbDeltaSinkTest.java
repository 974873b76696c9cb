package io.tally.rocksdb;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.DeltaSink;
import io.tally.testkit.DeltaSinkContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class RocksDbDeltaSinkTest extends DeltaSinkContract {
  @TempDir Path dir;
  private RocksDbStorage storage;
  private RocksDbCounterStore store;

  @Override
  protected void open() {
    storage = RocksDbStorage.open(dir.resolve("data"), 8);
    store = new RocksDbCounterStore(storage);
  }

  @Override
  protected void closeSink() {
    storage.close();
  }

  @Override
  protected DeltaSink sink() {
    return store;
  }

  @Override
  protected long count(CounterKey key) {
    return store.read(key).count();
  }
}
