package io.tally.server.config;

/**
 * The table of every key that docs/configuration.md holds, generated from {@link ConfigKeys} so the
 * docs cannot drift from the code (a test compares them). Stateless.
 */
public final class ConfigReference {
  private ConfigReference() {}

  /** A Markdown table: key, default, environment variable, flag, allowed values and meaning. */
  public static String markdownTable() {
    StringBuilder out =
        new StringBuilder()
            .append("| key | default | environment | flag | allowed | what it does |\n")
            .append("| --- | --- | --- | --- | --- | --- |\n");
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      out.append("| `")
          .append(key.name())
          .append("` | ")
          .append(key.defaultValue().isEmpty() ? "(none)" : "`" + key.defaultValue() + "`")
          .append(" | `")
          .append(key.envName())
          .append("` | `")
          .append(key.flag())
          .append("` | ")
          .append(cell(key.allowed()))
          .append(" | ")
          .append(cell(key.doc()))
          .append(" |\n");
    }
    return out.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
  }
}
