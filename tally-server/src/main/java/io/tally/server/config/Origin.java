package io.tally.server.config;

/**
 * Where a configuration value came from, in rising precedence: the default, the YAML file, a {@code
 * TALLY_*} environment variable, a command-line flag.
 *
 * @param source which of the four
 * @param where the file and line, the variable or the flag; empty for a default
 */
public record Origin(Source source, String where) {
  /** The sources in rising precedence: a later one overrides an earlier one. */
  public enum Source {
    DEFAULT,
    FILE,
    ENV,
    FLAG
  }

  public static final Origin DEFAULT = new Origin(Source.DEFAULT, "");

  static Origin file(String file, int line) {
    return new Origin(Source.FILE, file + " line " + line);
  }

  static Origin env(String variable) {
    return new Origin(Source.ENV, variable);
  }

  static Origin flag(String flag) {
    return new Origin(Source.FLAG, flag);
  }

  /** "default", "file tally.yaml line 3", "env TALLY_SERVER_PORT", "flag --port". */
  @Override
  public String toString() {
    return switch (source) {
      case DEFAULT -> "default";
      case FILE -> "file " + where;
      case ENV -> "env " + where;
      case FLAG -> "flag " + where;
    };
  }
}
