package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.KeyRing;
import io.tally.core.auth.Scope;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbApiKeyStoreTest {
  @TempDir Path dir;

  @Test
  void keysAndRevocationsSurviveAReopenBesideCheckpoints() {
    String token;
    String revokedId;
    try (RocksDbStorage storage = RocksDbStorage.open(dir, 4)) {
      KeyRing ring = new KeyRing(new RocksDbApiKeyStore(storage), InstantSource.system());
      token =
          ring.create("a", ApiKey.Kind.SECRET, Set.of(Scope.QUERY), List.of(), List.of()).token();
      revokedId =
          ring.create("b", ApiKey.Kind.SECRET, Set.of(Scope.INGEST), List.of(), List.of())
              .key()
              .id();
      ring.revoke(revokedId);
    }
    try (RocksDbStorage storage = RocksDbStorage.open(dir, 4)) {
      RocksDbApiKeyStore store = new RocksDbApiKeyStore(storage);
      assertThat(store.all()).hasSize(2);
      KeyRing ring = new KeyRing(store, InstantSource.system());
      assertThat(ring.check(token).ok()).isTrue();
      assertThat(ring.find(revokedId)).hasValueSatisfying(k -> assertThat(k.revoked()).isTrue());
    }
  }
}
