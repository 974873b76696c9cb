package io.tally.engines;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * The entry point of every engine JVM: starts a watch that halts the engine within a second of the
 * JVM that started it being gone, then runs the engine's real main class. This is what keeps
 * engines from outliving a test JVM killed with SIGKILL (a timed-out Surefire fork, say), when no
 * shutdown hook runs.
 *
 * <p>Usage: {@code java -Dtally.engines.parent=<pid> … io.tally.engines.ParentWatch <main class>
 * <args…>}. Loaded in the engine's JVM only, from this module's classes, which {@link
 * EngineProcess} appends to the engine's classpath.
 */
final class ParentWatch {
  static final String PARENT_PROPERTY = "tally.engines.parent";
  private static final long POLL_MILLIS = 1_000;

  private ParentWatch() {}

  public static void main(String[] args) throws Throwable {
    long parent = Long.parseLong(System.getProperty(PARENT_PROPERTY));
    Thread watch = new Thread(() -> watch(parent), "tally-parent-watch");
    watch.setDaemon(true);
    watch.start();
    try {
      Class.forName(args[0])
          .getMethod("main", String[].class)
          .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** An orphan is re-parented (to init or a subreaper), so a changed parent pid means it died. */
  private static void watch(long parent) {
    while (true) {
      long current = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
      if (current != parent) {
        System.err.println("tally-engines: parent JVM " + parent + " is gone; halting");
        Runtime.getRuntime().halt(137);
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
