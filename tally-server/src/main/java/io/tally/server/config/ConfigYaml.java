package io.tally.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes an {@link EffectiveConfig} as a YAML file that {@link YamlConfigFile} reads back to the
 * same values: keys nested by their dotted names in registry order, lists as flow sequences, and
 * each value followed by a comment saying where it came from. A secret that is set ({@link
 * ConfigKey#isSecret()}) is written as a comment without its value: the output never holds it, so
 * it must be given again (by the environment) to a server started from that file. Stateless.
 */
final class ConfigYaml {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./@+-][A-Za-z0-9_./@+=:,-]*");
  private static final Pattern PLAIN_ITEM =
      Pattern.compile("[A-Za-z0-9_./@+-][A-Za-z0-9_./@+=:-]*");

  /** Plain scalars that YAML readers would take for a boolean or null. */
  private static final Set<String> RESERVED =
      Set.of("null", "~", "true", "false", "yes", "no", "on", "off", "y", "n");

  private static final int COMMENT_COLUMN = 44;

  private ConfigYaml() {}

  static String write(EffectiveConfig config) {
    StringBuilder out =
        new StringBuilder()
            .append("# Tally's effective configuration; each value says where it came from.\n")
            .append(
                "# Precedence: defaults < file (--config or TALLY_CONFIG) < TALLY_* environment < flags.\n");
    Map<String, Object> tree = new LinkedHashMap<>();
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      String[] path = key.name().split("\\.");
      Map<String, Object> section = tree;
      for (int i = 0; i < path.length - 1; i++) {
        section = subsection(section, path[i]);
      }
      section.put(path[path.length - 1], key);
    }
    write(config, tree, 0, out);
    return out.toString();
  }

  @SuppressWarnings("unchecked") // the tree holds only sections (maps) and keys
  private static Map<String, Object> subsection(Map<String, Object> section, String name) {
    return (Map<String, Object>)
        section.computeIfAbsent(name, n -> new LinkedHashMap<String, Object>());
  }

  private static void write(
      EffectiveConfig config, Map<String, Object> tree, int depth, StringBuilder out) {
    tree.forEach(
        (name, node) -> {
          String indent = "  ".repeat(depth);
          if (node instanceof ConfigKey<?> key) {
            EffectiveConfig.Value v = config.value(key);
            String line =
                key.isSecret() && !v.text().isEmpty()
                    ? indent + "# " + name + ": (set, not shown)"
                    : indent + name + ": " + (key.list() ? sequence(v.text()) : scalar(v.text()));
            out.append(line)
                .append(" ".repeat(Math.max(1, COMMENT_COLUMN - line.length())))
                .append("# ")
                .append(v.origin())
                .append('\n');
          } else {
            out.append(indent).append(name).append(":\n");
            write(config, subsection(tree, name), depth + 1, out);
          }
        });
  }

  private static String sequence(String text) {
    List<String> items = new ArrayList<>();
    for (String item : text.split(",")) {
      if (!item.isBlank()) {
        items.add(quoteUnless(PLAIN_ITEM, item.trim()));
      }
    }
    return items.stream().collect(Collectors.joining(", ", "[", "]"));
  }

  private static String scalar(String text) {
    return quoteUnless(PLAIN, text);
  }

  private static String quoteUnless(Pattern plain, String text) {
    if (plain.matcher(text).matches() && !RESERVED.contains(text.toLowerCase(Locale.ROOT))) {
      return text;
    }
    StringBuilder q = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\t' -> q.append("\\t");
        default -> {
          if (c < 0x20) {
            q.append(String.format("\\x%02x", (int) c));
          } else {
            q.append(c);
          }
        }
      }
    }
    return q.append('"').toString();
  }
}
