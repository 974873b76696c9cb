package io.tally.testkit;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.DeltaSink;

class InMemoryDeltaSinkTest extends DeltaSinkContract {
  private InMemoryCounterStore store;

  @Override
  protected void open() {
    store = new InMemoryCounterStore();
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
