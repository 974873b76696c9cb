package io.tally.server.config;

import static java.util.Objects.requireNonNull;

import io.tally.server.ServerConfig;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The configuration in effect: for every key of {@link ConfigKeys#ALL}, its text and where that
 * came from. Every value has been checked against its key when this object exists. Immutable and
 * thread-safe.
 */
public final class EffectiveConfig {
  /** A key's text and where it came from. */
  public record Value(String text, Origin origin) {
    public Value {
      requireNonNull(text, "text");
      requireNonNull(origin, "origin");
    }
  }

  private final Map<ConfigKey<?>, Value> values;
  private final Path file;
  private final List<String> warnings;

  /**
   * @param values a value for every key
   * @param file the YAML file read, or null
   * @param warnings what was read but ignored, one sentence each
   * @throws ConfigException naming the first value its key does not allow
   */
  EffectiveConfig(Map<ConfigKey<?>, Value> values, Path file, List<String> warnings) {
    this.values = Map.copyOf(values);
    this.file = file;
    this.warnings = List.copyOf(warnings);
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      Value v = this.values.get(key);
      if (v == null) {
        throw new IllegalArgumentException("no value for " + key.name());
      }
      key.parse(v.text(), v.origin());
    }
  }

  /** All defaults: what Tally runs with when nothing is configured. */
  public static EffectiveConfig defaults() {
    return ConfigLoader.load(null, Map.of(), Map.of());
  }

  /**
   * This configuration with {@code key} set to {@code value}, as if given as the key's flag: how a
   * test or a tool states what differs from the defaults, checked like any other source.
   *
   * @param value the value's text ({@code String.valueOf}); a collection is joined with commas
   * @throws ConfigException if the key does not allow the value
   */
  public EffectiveConfig with(ConfigKey<?> key, Object value) {
    String text =
        value instanceof Collection<?> list
            ? list.stream().map(String::valueOf).collect(Collectors.joining(","))
            : String.valueOf(value);
    Origin origin = Origin.flag(key.flag());
    key.parse(text, origin);
    Map<ConfigKey<?>, Value> changed = new HashMap<>(values);
    changed.put(key, new Value(text, origin));
    return new EffectiveConfig(changed, file, warnings);
  }

  /**
   * The embedded server's configuration ({@link ConfigMapping#server}).
   *
   * @throws ConfigException naming the keys of a conflict between them
   */
  public ServerConfig server() {
    return ConfigMapping.server(this);
  }

  /** The value of {@code key}, read. */
  public <T> T get(ConfigKey<T> key) {
    Value v = values.get(key);
    return key.parse(v.text(), v.origin());
  }

  /** The text and origin of {@code key}'s value. */
  public Value value(ConfigKey<?> key) {
    return values.get(key);
  }

  /** The YAML file that was read, if any. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  /**
   * What the sources held that sets nothing and was ignored, such as a {@code TALLY_*} variable
   * that is no key's: one sentence each, for the operator to see at start.
   */
  public List<String> warnings() {
    return warnings;
  }

  /**
   * The configuration as YAML, each value commented with where it came from (what {@code tally
   * config} prints).
   */
  public String toYaml() {
    return ConfigYaml.write(this);
  }
}
