package io.tally.postgres;

import io.tally.core.auth.ApiKeyStore;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealPostgres;
import io.tally.testkit.ApiKeyStoreContract;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The key store contract on a real PostgreSQL, each test in a fresh schema; the "other node" is a
 * second pool, as another Tally node would have.
 */
@ExtendWith(RealPostgres.class)
class PostgresApiKeyStoreContractTest extends ApiKeyStoreContract {
  private final PostgresServer server;
  private PostgresCounterStore nodeA;
  private PostgresCounterStore nodeB;

  PostgresApiKeyStoreContractTest(PostgresServer server) {
    this.server = server;
  }

  @Override
  protected void open() {
    PostgresSettings s = TestSchemas.fresh(server, "keys");
    nodeA = PostgresCounterStore.open(s);
    nodeB = PostgresCounterStore.open(s);
  }

  @Override
  protected ApiKeyStore store() {
    return new PostgresApiKeyStore(nodeA);
  }

  @Override
  protected ApiKeyStore otherNode() {
    return new PostgresApiKeyStore(nodeB);
  }

  @Override
  protected void close() {
    nodeA.close();
    nodeB.close();
  }
}
