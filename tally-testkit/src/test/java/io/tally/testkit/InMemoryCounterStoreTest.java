package io.tally.testkit;

import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;

class InMemoryCounterStoreTest extends CounterStoreContract {
  private InMemoryCounterStore store;

  @Override
  protected void open() {
    store = new InMemoryCounterStore();
  }

  @Override
  protected CounterStore store() {
    return store;
  }

  @Override
  protected DeltaSink sink() {
    return store;
  }
}
