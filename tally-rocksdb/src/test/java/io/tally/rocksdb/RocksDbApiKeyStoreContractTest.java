package io.tally.rocksdb;

import io.tally.core.auth.ApiKeyStore;
import io.tally.testkit.ApiKeyStoreContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

class RocksDbApiKeyStoreContractTest extends ApiKeyStoreContract {
  private RocksDbStorage storage;

  @Override
  protected void open() {
    try {
      storage = RocksDbStorage.open(Files.createTempDirectory("tally-keys"), 4);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected ApiKeyStore store() {
    return new RocksDbApiKeyStore(storage);
  }

  @Override
  protected ApiKeyStore otherNode() {
    return new RocksDbApiKeyStore(storage);
  }

  @Override
  protected void close() {
    storage.close();
  }
}
