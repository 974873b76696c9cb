package io.tally.engines;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: one real PostgreSQL ({@link PostgresServer}) for the whole test run, started
 * by the first test class that uses it and stopped when the run ends, and injected as a {@link
 * PostgresServer} parameter of test constructors, {@code @BeforeAll}, {@code @BeforeEach} and test
 * methods:
 *
 * <pre>{@code
 * @ExtendWith(RealPostgres.class)
 * class PostgresCounterStoreContractTest {
 *   PostgresCounterStoreContractTest(PostgresServer postgres) { … postgres.jdbcUrl() … }
 * }
 * }</pre>
 *
 * <p>The server lives in {@code <tally.engines.dir>/postgres-<random>/} (the base directory as for
 * {@link RealEngines}: {@code target} by default), on a free port. Each test uses its own schema or
 * database. If the server fails to start, every test that asks for it fails with that same error.
 */
public final class RealPostgres implements BeforeAllCallback, ParameterResolver {
  @Override
  public void beforeAll(ExtensionContext context) {
    server(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == PostgresServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return server(context);
  }

  /** Started once in the root context's store, which closes it when the test run ends. */
  private static PostgresServer server(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(PostgresServer.class, key -> start(), PostgresServer.class);
  }

  private static PostgresServer start() {
    Path base = Path.of(System.getProperty(RealEngines.BASE_DIR_PROPERTY, "target"));
    try {
      Files.createDirectories(base);
      Path dir = Files.createTempDirectory(base.toAbsolutePath(), "postgres-");
      return PostgresServer.start(dir, FreePorts.take(1)[0]);
    } catch (IOException e) {
      throw new EngineException("cannot create a directory for PostgreSQL in " + base, e);
    }
  }
}
