package io.tally.core.topk;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.TallyException;
import org.junit.jupiter.api.Test;

class SketchLibraryTest {
  @Test
  void theLibraryRunsOnTheJavaTheSuiteRunsOn() {
    assertThatCode(SketchLibrary::check).doesNotThrowAnyException();
  }

  @Test
  void aJavaTheLibraryRefusesIsNamedWithTheLibrarysReason() {
    // what datasketches-memory's first load threw on Java 25, where a server stopped its processor
    // for good at its first flush
    ExceptionInInitializerError refused =
        new ExceptionInInitializerError(
            new IllegalArgumentException(
                "Unsupported JDK Major Version. It must be one of 1.8, 8, 11, 17, 21: 25.0.3"));
    assertThatThrownBy(
            () ->
                SketchLibrary.check(
                    () -> {
                      throw refused;
                    }))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("Tally cannot run on Java " + Runtime.version())
        .hasMessageContaining("It must be one of 1.8, 8, 11, 17, 21: 25.0.3")
        .hasMessageContaining("Run Tally on Java 17");
    // any later load fails without the reason: still refused, naming what it got
    assertThatThrownBy(
            () ->
                SketchLibrary.check(
                    () -> {
                      throw new NoClassDefFoundError("Could not initialize class ResourceImpl");
                    }))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("Could not initialize class ResourceImpl");
  }
}
