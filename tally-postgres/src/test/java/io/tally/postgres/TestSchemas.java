package io.tally.postgres;

import io.tally.engines.PostgresServer;
import java.util.concurrent.atomic.AtomicInteger;

/** A fresh schema name per test, so tests on one server never see each other's rows. */
final class TestSchemas {
  private static final AtomicInteger RUN = new AtomicInteger();

  private TestSchemas() {}

  static PostgresSettings fresh(PostgresServer server, String prefix) {
    return PostgresSettings.defaults(server.jdbcUrl())
        .withUser(PostgresServer.USER, "")
        .withPoolSize(4)
        .withSchema(prefix + "_" + RUN.incrementAndGet() + "_" + (System.nanoTime() % 1_000_000));
  }
}
