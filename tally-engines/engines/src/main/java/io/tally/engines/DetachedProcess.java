package io.tally.engines;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds processes meant to outlive the JVM that starts them (a command that starts servers in the
 * background and exits). Such a process runs under {@code setsid} when the system has it, in a
 * session and process group of its own, so a Ctrl-C or a hang-up in the terminal that started it
 * does not reach it; its standard input is {@code /dev/null}, so it holds no pipe to this JVM.
 * {@code setsid} execs the command in place (the child is never a process-group leader), so the
 * process's pid is the command's.
 *
 * <p>The caller redirects the output (to a log file: a pipe would break when this JVM exits) and
 * records the pid to stop the process later. Stateless.
 */
public final class DetachedProcess {
  private static final List<Path> SETSID =
      List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));
  private static final File NO_INPUT = new File("/dev/null");

  private DetachedProcess() {}

  /** A builder for {@code command}; set the directory and redirect the output before starting. */
  public static ProcessBuilder builder(List<String> command) {
    List<String> line = new ArrayList<>(command.size() + 1);
    SETSID.stream()
        .filter(Files::isExecutable)
        .findFirst()
        .ifPresent(setsid -> line.add(setsid.toString()));
    line.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(line);
    if (NO_INPUT.exists()) {
      builder.redirectInput(ProcessBuilder.Redirect.from(NO_INPUT));
    }
    return builder;
  }
}
