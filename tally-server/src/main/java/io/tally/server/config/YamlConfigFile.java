package io.tally.server.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a YAML configuration file into dotted keys and their text. Nested mappings and dotted names
 * are the same key ({@code server: {port: 8080}} is {@code server.port: 8080}); a sequence of
 * scalars is joined with commas; an empty value or {@code ~} is the empty text. Values keep the
 * text they were written with, so the file, the environment and the flags are read alike. Which
 * keys exist is {@link ConfigLoader}'s business; this class only reports shapes it cannot read.
 * Stateless.
 */
final class YamlConfigFile {
  private static final YAMLFactory YAML = YAMLFactory.builder().build();

  /** A value and the line it was written on. */
  record Entry(String text, int line) {}

  private YamlConfigFile() {}

  /**
   * The file's keys in file order.
   *
   * @throws ConfigException if the file is missing, unreadable, not YAML, not a mapping, or names a
   *     key twice
   */
  static Map<String, Entry> read(Path file) {
    Map<String, Entry> out = new LinkedHashMap<>();
    try (JsonParser p = YAML.createParser(Files.newBufferedReader(file))) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return out; // an empty file sets nothing
      }
      if (first != JsonToken.START_OBJECT) {
        throw new ConfigException(
            file
                + ": the configuration must be a mapping of keys to values (line "
                + line(p)
                + ")");
      }
      readMapping(p, file, "", out);
      if (p.nextToken() != null) {
        throw new ConfigException(
            file + ": only one YAML document is allowed (line " + line(p) + ")");
      }
      return out;
    } catch (NoSuchFileException e) {
      throw new ConfigException("configuration file not found: " + file);
    } catch (JsonProcessingException e) {
      String why = e.getOriginalMessage().lines().findFirst().orElse("not valid YAML");
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      if (e.getCause() instanceof MarkedYAMLException m
          && m.getProblem() != null
          && m.getProblemMark() != null) {
        why = m.getProblem(); // what is wrong and where, rather than the context it was found in
        line = m.getProblemMark().getLine() + 1;
      }
      throw new ConfigException(file + ": not valid YAML at line " + line + ": " + why, e);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read configuration file " + file + ": " + e.getMessage(), e);
    }
  }

  private static void readMapping(JsonParser p, Path file, String prefix, Map<String, Entry> out)
      throws IOException {
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String key = prefix + p.currentName();
      int line = line(p);
      JsonToken value = p.nextToken();
      if (value == JsonToken.START_OBJECT) {
        readMapping(p, file, key + ".", out);
        continue;
      }
      String text = value == JsonToken.START_ARRAY ? sequence(p, file, key) : scalar(p, value);
      if (out.putIfAbsent(key, new Entry(text, line)) != null) {
        throw new ConfigException(
            file
                + ": "
                + key
                + " is set twice (lines "
                + out.get(key).line()
                + " and "
                + line
                + ")");
      }
    }
  }

  private static String sequence(JsonParser p, Path file, String key) throws IOException {
    List<String> items = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        throw new ConfigException(
            file + ": " + key + " (line " + line(p) + ") must be a list of plain values");
      }
      items.add(scalar(p, t));
    }
    return String.join(",", items);
  }

  private static String scalar(JsonParser p, JsonToken t) throws IOException {
    return t == JsonToken.VALUE_NULL ? "" : p.getText();
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }
}
