package io.tally.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every benchmark through the generated JMH harness once, in this JVM, for 100 ms and without
 * warm-up, so a benchmark that throws or no longer compiles into the harness fails the build.
 * Measures nothing: the numbers come from {@code java -jar target/benchmarks.jar}.
 */
class BenchmarksSmokeTest {
  private static final List<Class<?>> BENCHMARKS =
      List.of(
          JsonParseBench.class,
          EventCodecBench.class,
          PartitionerBench.class,
          DedupWindowBench.class,
          AggregatorBench.class,
          RocksDbDeltaWriteBench.class);

  @Test
  void everyBenchmarkRunsThroughTheHarnessWithoutError() throws RunnerException {
    Options options =
        new OptionsBuilder()
            .include(BenchmarksSmokeTest.class.getPackageName() + "\\.")
            .forks(0)
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(TimeValue.milliseconds(100))
            .shouldFailOnError(true)
            .verbosity(VerboseMode.SILENT)
            .build();

    Collection<RunResult> results = new Runner(options).run();

    Set<String> ran =
        results.stream().map(r -> r.getParams().getBenchmark()).collect(Collectors.toSet());
    assertThat(ran)
        .as("every @Benchmark method ran (a new benchmark class belongs in BENCHMARKS)")
        .isEqualTo(declaredBenchmarks());
    assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
  }

  private static Set<String> declaredBenchmarks() {
    return BENCHMARKS.stream()
        .flatMap(
            c ->
                Arrays.stream(c.getDeclaredMethods())
                    .filter(m -> m.isAnnotationPresent(Benchmark.class))
                    .map(Method::getName)
                    .map(m -> c.getName() + "." + m))
        .collect(Collectors.toSet());
  }
}
