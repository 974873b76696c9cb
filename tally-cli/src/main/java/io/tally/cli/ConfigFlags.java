package io.tally.cli;

import io.tally.server.config.ConfigKey;
import io.tally.server.config.ConfigKeys;
import io.tally.server.config.ConfigLoader;
import io.tally.server.config.EffectiveConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The configuration flags of {@code tally serve} and {@code tally config}: {@code --config FILE}
 * and one flag per key of {@link ConfigKeys}, added to a command's model when picocli builds it
 * ({@code @Command(modelTransformer = ConfigFlags.class)}), so a new key gets its flag and its help
 * line without touching the commands. A list key's flag may repeat or take commas. Stateless.
 */
final class ConfigFlags implements IModelTransformer {
  static final String CONFIG = "--config";

  @Override
  public CommandSpec transform(CommandSpec spec) {
    spec.addOption(
        OptionSpec.builder(CONFIG)
            .paramLabel("FILE")
            .type(Path.class)
            .description(
                "YAML configuration file (default: $TALLY_CONFIG, else none). Precedence: defaults < file < "
                    + "TALLY_* environment < flags. docs/configuration.md lists every key.")
            .build());
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      String description =
          escape(
              key.doc()
                  + ". Default: "
                  + (key.defaultValue().isEmpty() ? "none" : key.defaultValue())
                  + ". Key "
                  + key.name()
                  + ", env "
                  + key.envName()
                  + ".");
      OptionSpec.Builder option =
          OptionSpec.builder(key.flag()).paramLabel(label(key)).description(description);
      if (key.list()) {
        option.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
      } else if (key.isSwitch()) {
        option
            .type(String.class)
            .arity("0..1")
            .fallbackValue("true"); // --demo alone means --demo true
      } else {
        option.type(String.class);
      }
      spec.addOption(option.build());
    }
    return spec;
  }

  /**
   * Loads the configuration of the command {@code spec} describes, once it has parsed its
   * arguments: the file, the process environment, and the flags given.
   *
   * @throws io.tally.server.config.ConfigException naming the first unknown key or bad value
   */
  static EffectiveConfig load(CommandSpec spec) {
    ParseResult parsed = spec.commandLine().getParseResult();
    Map<ConfigKey<?>, String> flags = new LinkedHashMap<>();
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      OptionSpec option = spec.findOption(key.flag());
      if (parsed.hasMatchedOption(option)) {
        Object value = option.getValue();
        flags.put(
            key,
            value instanceof List<?> list
                ? String.join(",", list.stream().map(String::valueOf).toList())
                : String.valueOf(value));
      }
    }
    Path file = parsed.hasMatchedOption(CONFIG) ? spec.findOption(CONFIG).getValue() : null;
    return ConfigLoader.load(file, System.getenv(), flags);
  }

  private static String label(ConfigKey<?> key) {
    String last = key.name().substring(key.name().lastIndexOf('.') + 1);
    return last.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  /** Picocli formats descriptions printf-style and expands ${...}: keep the text literal. */
  private static String escape(String text) {
    return text.replace("%", "%%").replace("${", "$${");
  }
}
