package io.tally.testkit;

import io.tally.core.auth.ApiKeyStore;

class InMemoryApiKeyStoreTest extends ApiKeyStoreContract {
  private InMemoryApiKeyStore store;

  @Override
  protected void open() {
    store = new InMemoryApiKeyStore();
  }

  @Override
  protected ApiKeyStore store() {
    return store;
  }

  @Override
  protected ApiKeyStore otherNode() {
    return store;
  }
}
