package io.tally.engines;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: one real Kafka and one real Cassandra ({@link LocalEngines}) for the whole
 * test run, started by the first test class that uses it and stopped when the run ends, and
 * injected as a {@link LocalEngines} parameter of test constructors, {@code @BeforeAll},
 * {@code @BeforeEach} and test methods:
 *
 * <pre>{@code
 * @ExtendWith(RealEngines.class)
 * class KafkaEventLogTest {
 *   KafkaEventLogTest(LocalEngines engines) { … engines.kafka().bootstrapServers() … }
 * }
 * }</pre>
 *
 * <p>The engines live in {@code <tally.engines.dir>/engines-<time>-<random>/}; the base directory
 * defaults to {@code target} under the working directory (the module's, under Surefire). Each test
 * uses its own topics and keyspaces. If the engines fail to start, every test that asks for them
 * fails with that same error instead of trying again.
 */
public final class RealEngines implements BeforeAllCallback, ParameterResolver {
  /** System property: the directory the engines' directories are made in. */
  public static final String BASE_DIR_PROPERTY = "tally.engines.dir";

  @Override
  public void beforeAll(ExtensionContext context) {
    engines(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalEngines.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return engines(context);
  }

  /** Started once in the root context's store, which closes it when the test run ends. */
  private static LocalEngines engines(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(
            LocalEngines.class,
            key -> LocalEngines.start(Path.of(System.getProperty(BASE_DIR_PROPERTY, "target"))),
            LocalEngines.class);
  }
}
