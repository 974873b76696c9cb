package io.tally.engines;

import java.util.Arrays;
import java.util.List;

/**
 * Extra options for every JVM that Tally starts as a child: the engines of {@link EngineProcess}
 * (Kafka, Cassandra) and the nodes of {@code tally cluster up}. They come from the environment
 * variable {@value #ENV}, separated by whitespace, and go after the child's own options (so a
 * {@code -Xmx} in the variable wins over the child's). Children inherit the environment, so the
 * JVMs a started process starts get them too.
 *
 * <p>The test suite sets it to {@code -XX:TieredStopAtLevel=1} (the parent POM's Surefire
 * configuration): the suite starts a hundred-odd short-lived JVMs on two cores, and C2's
 * compilations of each made it slower than the C1 code they would have replaced (a class starting
 * three-replica clusters ran in 206 s instead of 274 s). Benchmarks never set it.
 *
 * <p>Stateless.
 */
public final class ChildJvmOptions {
  /** The environment variable read. */
  public static final String ENV = "TALLY_CHILD_JVM_OPTIONS";

  private ChildJvmOptions() {}

  /** The options {@value #ENV} holds in this process's environment (none when unset). */
  public static List<String> fromEnvironment() {
    return parse(System.getenv(ENV));
  }

  /** {@code value} split at whitespace, blanks dropped; none for null. */
  static List<String> parse(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    return Arrays.stream(value.trim().split("\\s+")).toList();
  }
}
