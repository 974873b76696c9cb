package io.tally.cassandra;

import io.tally.core.auth.ApiKeyStore;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.testkit.ApiKeyStoreContract;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The key store contract on a real Cassandra, each test in a fresh keyspace; the "other node" is a
 * second driver session, as another Tally node would have.
 */
@ExtendWith(RealEngines.class)
class CassandraApiKeyStoreContractTest extends ApiKeyStoreContract {
  private static final AtomicInteger RUN = new AtomicInteger();
  private final LocalEngines engines;
  private CassandraCounterStore nodeA;
  private CassandraCounterStore nodeB;
  private ApiKeyStore a;
  private ApiKeyStore b;

  CassandraApiKeyStoreContractTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Override
  protected void open() {
    CassandraSettings s =
        CassandraSettings.defaults(engines.cassandra().contactPoint())
            .withKeyspace("keys_" + RUN.incrementAndGet() + "_" + (System.nanoTime() % 1_000_000));
    nodeA = CassandraCounterStore.open(s);
    nodeB = CassandraCounterStore.open(s);
    a = new CassandraApiKeyStore(nodeA);
    b = new CassandraApiKeyStore(nodeB);
  }

  @Override
  protected ApiKeyStore store() {
    return a;
  }

  @Override
  protected ApiKeyStore otherNode() {
    return b;
  }

  @Override
  protected void close() {
    nodeA.close();
    nodeB.close();
  }
}
