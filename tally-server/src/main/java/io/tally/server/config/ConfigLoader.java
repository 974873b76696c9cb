package io.tally.server.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Builds the effective configuration from its four sources, each overriding the one before:
 *
 * <ol>
 *   <li>the defaults in {@link ConfigKeys};
 *   <li>the YAML file given by {@code --config} (or, without it, by {@code TALLY_CONFIG});
 *   <li>{@code TALLY_*} environment variables, one per key ({@link ConfigKey#envName()});
 *   <li>command-line flags.
 * </ol>
 *
 * Every value is checked, including one a later source overrides (it would bite the next start
 * without the override): an unknown key in the file, an unknown {@code TALLY_*} variable, or a
 * value a key does not allow fails with a {@link ConfigException} naming it (and, for an unknown
 * name close to a known one, suggesting it). A {@code TALLY_*} variable that sets no key is refused
 * only when it is a near-miss of one ({@code TALLY_SERVER_PROT}, {@code TALLY_PORT}); any other
 * ({@code TALLY_DIR}, a script's own) is ignored with a warning ({@link
 * EffectiveConfig#warnings()}). The environment is passed in, so tests need none. Stateless.
 */
public final class ConfigLoader {
  /** The environment variable naming the configuration file when {@code --config} is not given. */
  public static final String CONFIG_FILE_ENV = "TALLY_CONFIG";

  /**
   * {@code TALLY_*} variables that are not keys: the file's name, the launcher's JVM options, the
   * API key the client commands send ({@code --key}), and the options of the JVMs Tally starts as
   * children ({@code io.tally.engines.ChildJvmOptions}, which the test suite sets for every server
   * it starts).
   */
  public static final Set<String> NOT_KEYS =
      Set.of(CONFIG_FILE_ENV, "TALLY_JAVA_OPTS", "TALLY_KEY", "TALLY_CHILD_JVM_OPTIONS");

  private ConfigLoader() {}

  /**
   * Loads the configuration.
   *
   * @param file the {@code --config} file, or null to use {@code TALLY_CONFIG} (or no file)
   * @param env the process environment ({@code System.getenv()})
   * @param flags the values given as flags, by key
   * @throws ConfigException naming the first unknown key or bad value
   */
  public static EffectiveConfig load(
      Path file, Map<String, String> env, Map<ConfigKey<?>, String> flags) {
    Map<ConfigKey<?>, EffectiveConfig.Value> values = new LinkedHashMap<>();
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      values.put(key, new EffectiveConfig.Value(key.defaultValue(), Origin.DEFAULT));
    }
    Path configFile =
        file != null
            ? file
            : Optional.ofNullable(env.get(CONFIG_FILE_ENV))
                .filter(s -> !s.isBlank())
                .map(Path::of)
                .orElse(null);
    if (configFile != null) {
      YamlConfigFile.read(configFile)
          .forEach(
              (name, entry) -> {
                ConfigKey<?> key =
                    ConfigKeys.byName(name)
                        .orElseThrow(() -> unknownKey(name, configFile + " line " + entry.line()));
                put(values, key, entry.text(), Origin.file(configFile.toString(), entry.line()));
              });
    }
    List<String> warnings = new ArrayList<>();
    env.entrySet().stream()
        .filter(e -> e.getKey().startsWith("TALLY_") && !NOT_KEYS.contains(e.getKey()))
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              Optional<ConfigKey<?>> key =
                  ConfigKeys.ALL.stream().filter(k -> k.envName().equals(e.getKey())).findFirst();
              if (key.isPresent()) {
                put(values, key.get(), e.getValue(), Origin.env(e.getKey()));
              } else {
                warnings.add(unknownVariable(e.getKey()));
              }
            });
    flags.forEach((key, text) -> put(values, key, text, Origin.flag(key.flag())));
    return new EffectiveConfig(values, configFile, warnings);
  }

  /** Checks every value as it is read, so a bad one fails even when a later source overrides it. */
  private static void put(
      Map<ConfigKey<?>, EffectiveConfig.Value> values,
      ConfigKey<?> key,
      String text,
      Origin origin) {
    key.parse(text, origin);
    values.put(key, new EffectiveConfig.Value(text, origin));
  }

  private static ConfigException unknownKey(String name, String where) {
    if (ConfigKeys.ALL.stream().anyMatch(k -> k.name().startsWith(name + "."))) {
      return new ConfigException(
          "'"
              + name
              + "' in "
              + where
              + " is a section, not a value: give its keys, such as "
              + ConfigKeys.ALL.stream()
                  .filter(k -> k.name().startsWith(name + "."))
                  .findFirst()
                  .orElseThrow()
                  .name());
    }
    return new ConfigException(
        "unknown key '"
            + name
            + "' in "
            + where
            + suggestion(name)
            + "; docs/configuration.md lists every key");
  }

  /**
   * The warning for a {@code TALLY_*} variable that sets no key: a script's own variable ({@code
   * TALLY_DIR}) is ignored with a warning, but a near-miss of a real variable is refused, since it
   * was surely meant to set that key.
   *
   * @throws ConfigException for a typo of a key's variable, or a flag's name as a variable ({@code
   *     TALLY_PORT}), suggesting the real one
   */
  private static String unknownVariable(String name) {
    String nearMiss = nearMissVariable(name);
    if (nearMiss != null) {
      throw new ConfigException(
          "unknown environment variable "
              + name
              + "; did you mean '"
              + nearMiss
              + "'? TALLY_* variables set configuration keys (docs/configuration.md)");
    }
    return "ignoring environment variable "
        + name
        + ": it sets no configuration key (docs/configuration.md lists the TALLY_* variables)";
  }

  /**
   * The key variable {@code name} is a near-miss of, or null: the variable named after the key's
   * flag, or one within an edit or two of the part after {@code TALLY_} (one per five letters).
   */
  static String nearMissVariable(String name) {
    String suffix = name.substring("TALLY_".length());
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      String fromFlag = key.flag().substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
      if (suffix.equals(fromFlag)) {
        return key.envName();
      }
    }
    return ConfigKeys.ALL.stream()
        .map(ConfigKey::envName)
        .map(known -> Map.entry(known, editDistance(suffix, known.substring("TALLY_".length()))))
        .filter(e -> e.getValue() <= Math.max(1, suffix.length() / 5))
        .min(Comparator.comparingInt(Map.Entry::getValue))
        .map(Map.Entry::getKey)
        .orElse(null);
  }

  /** "; did you mean 'server.port'?" when a known name is a typo or two away, else "". */
  private static String suggestion(String unknown) {
    return ConfigKeys.ALL.stream()
        .map(ConfigKey::name)
        .map(known -> Map.entry(known, editDistance(unknown, known)))
        .filter(e -> e.getValue() <= Math.max(2, unknown.length() / 5))
        .min(Comparator.comparingInt(Map.Entry::getValue))
        .map(e -> "; did you mean '" + e.getKey() + "'?")
        .orElse("");
  }

  /** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
  static int editDistance(String a, String b) {
    int[] previous =
        Stream.iterate(0, i -> i + 1).limit(b.length() + 1L).mapToInt(Integer::intValue).toArray();
    for (int i = 1; i <= a.length(); i++) {
      int[] current = new int[b.length() + 1];
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      previous = current;
    }
    return previous[b.length()];
  }
}
