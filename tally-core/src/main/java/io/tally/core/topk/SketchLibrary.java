package io.tally.core.topk;

import io.tally.model.TallyException;
import org.apache.datasketches.memory.Memory;

/**
 * Whether Apache DataSketches, in which top-K and uniques keep their sketches, runs on this JVM.
 *
 * <p>Its memory module accepts only the Java versions it was built for (8, 11, 17 and 21 in the
 * version Tally uses) and otherwise fails when its first class loads. Before this check, a server
 * on Java 25 started, acknowledged events, and then stopped its processor for good at the first
 * flush that wrote a top-K sketch: counts stayed at zero (the events waited in the log). The
 * servers call {@link #check()} first, so such a JVM is refused at start, with the reason.
 *
 * <p>Stateless.
 */
public final class SketchLibrary {
  private SketchLibrary() {}

  /**
   * Loads the library's memory module.
   *
   * @throws TallyException naming this JVM's version and the library's reason if it cannot run here
   */
  public static void check() {
    check(() -> Memory.wrap(new byte[8]));
  }

  /** As {@link #check()}, with {@code load} in place of loading the library (tests). */
  static void check(Runnable load) {
    try {
      load.run();
    } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
      // the first load fails with the library's reason as the cause; any later one without it
      Throwable reason = e.getCause() != null ? e.getCause() : e;
      throw new TallyException(
          "Tally cannot run on Java "
              + Runtime.version()
              + ": its sketch library (Apache DataSketches) refuses this Java version ("
              + reason.getMessage()
              + "). Run Tally on Java 17 (README).",
          e);
    }
  }
}
