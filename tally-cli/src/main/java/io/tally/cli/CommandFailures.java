package io.tally.cli;

import javax.net.ssl.SSLHandshakeException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * What the {@code tally} command prints when a command throws: one line for a failure the user can
 * fix (a server certificate the client does not trust names {@code --ca-file}), picocli's stack
 * trace for anything else, which is a bug. Stateless.
 */
final class CommandFailures {
  private CommandFailures() {}

  /** A picocli {@link CommandLine.IExecutionExceptionHandler}; returns the exit code. */
  static int handle(Exception e, CommandLine command, ParseResult parsed) throws Exception {
    SSLHandshakeException handshake = find(e, SSLHandshakeException.class);
    if (handshake == null) {
      throw e;
    }
    command.getErr().println("tally: " + untrusted(handshake, caFile(parsed)));
    return 1;
  }

  /**
   * The line for a TLS handshake that failed: why (the innermost cause's words) and what to do.
   *
   * @param caFile the {@code --ca-file} given, or null
   */
  static String untrusted(SSLHandshakeException e, String caFile) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause().getMessage() != null) {
      root = root.getCause();
    }
    String why = "TLS handshake with the server failed (" + root.getMessage() + ")";
    return caFile == null
        ? why
            + ": if its certificate is self-signed or from a private CA, give that certificate (PEM)"
            + " with --ca-file FILE"
        : why + ": check that --ca-file " + caFile + " holds the certificate of the server's CA";
  }

  private static String caFile(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--ca-file")) {
        return String.valueOf(p.matchedOption("--ca-file").getValue());
      }
    }
    return null;
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
