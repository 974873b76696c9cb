package io.tally.cli;

import io.tally.cli.cluster.ClusterCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tally} command; each subcommand is its own class. */
@Command(
    name = "tally",
    mixinStandardHelpOptions = true,
    version = "tally 0.1.0",
    description =
        "Real-time event counting: ingest events, read exact counts per minute, hour, day and in total, and the top entities of sliding windows.",
    subcommands = {
      ServeCommand.class,
      ConfigCommand.class,
      SendCommand.class,
      StatsCommand.class,
      TotalCommand.class,
      QueryCommand.class,
      RecountCommand.class,
      AuditCommand.class,
      TopCommand.class,
      BenchCommand.class,
      ReplayBenchCommand.class,
      ClusterCommand.class,
      KeysCommand.class,
      CommandLine.HelpCommand.class
    })
public final class TallyCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * The {@code tally} command line, with {@link CommandFailures} reporting what a command threw.
   */
  static CommandLine commandLine() {
    return new CommandLine(new TallyCommand())
        .setExecutionExceptionHandler(CommandFailures::handle);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    if (code != 0 || !"serve".equals(args.length > 0 ? args[0] : "")) {
      System.exit(code);
    }
  }
}
