package io.tally.server.config;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One configuration key: its dotted name, its command-line flag, its default, the values it allows
 * and how to read one. Every source gives a value as text (a YAML scalar, an environment variable,
 * a flag argument; a YAML sequence is joined with commas), and {@link #parse} reads all of them the
 * same way. Immutable and thread-safe.
 *
 * @param name dotted name, e.g. {@code server.port}: the YAML path and, mechanically, the
 *     environment variable ({@link #envName()})
 * @param flag the {@code tally serve} flag, e.g. {@code --port}
 * @param defaultValue the default as text; empty when the key is unset by default
 * @param allowed the values allowed, for messages and docs: "an integer from 0 to 65535"
 * @param doc one line saying what the key does
 * @param list whether the value is a comma-separated list (written as a YAML sequence)
 * @param parser reads the text; throws {@link IllegalArgumentException} when it is not allowed
 */
public record ConfigKey<T>(
    String name,
    String flag,
    String defaultValue,
    String allowed,
    String doc,
    boolean list,
    Function<String, T> parser) {

  /** The allowed values of an on/off key; its flag may stand alone for "true" ({@code --demo}). */
  public static final String SWITCH_ALLOWED = "true or false";

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*");
  private static final Pattern FLAG = Pattern.compile("--[a-z][a-z0-9-]*");

  public ConfigKey {
    requireNonNull(defaultValue, "defaultValue");
    requireNonNull(allowed, "allowed");
    requireNonNull(doc, "doc");
    requireNonNull(parser, "parser");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a key name is dotted lower-case words, got '" + name + "'");
    }
    if (!FLAG.matcher(flag).matches()) {
      throw new IllegalArgumentException("a flag is --lower-case-words, got '" + flag + "'");
    }
  }

  /**
   * Whether the value is a secret (a key named {@code *.password}): {@code tally config} and every
   * message leave its value out.
   */
  public boolean isSecret() {
    return name.endsWith(".password");
  }

  /** Whether this is an on/off key ({@link #SWITCH_ALLOWED}). */
  public boolean isSwitch() {
    return allowed.equals(SWITCH_ALLOWED);
  }

  /**
   * {@code TALLY_} and the name upper-cased with dots and dashes as underscores: {@code
   * TALLY_SERVER_PORT}.
   */
  public String envName() {
    return "TALLY_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /**
   * Reads {@code raw}, which came from {@code origin}.
   *
   * @throws ConfigException naming this key, the origin, the bad value and what is allowed
   */
  public T parse(String raw, Origin origin) {
    try {
      return parser.apply(raw);
    } catch (IllegalArgumentException e) {
      String detail = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
      throw new ConfigException(
          "bad value '"
              + (isSecret() ? "[redacted]" : raw)
              + "' for "
              + name
              + " from "
              + origin
              + ": allowed "
              + allowed
              + detail,
          e);
    }
  }

  /** The key's name (the parser has no useful text). */
  @Override
  public String toString() {
    return name;
  }
}
