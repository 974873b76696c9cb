package io.tally.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The shell examples of the project's Markdown: every command in a fenced block marked {@code sh},
 * {@code bash} or unmarked, and in an indented (4-space) block. A command is one logical line:
 * backslash continuations and single-quoted text spanning lines are joined. A comment line right
 * after a command that starts with {@code # {} is its documented answer. Fenced blocks marked
 * {@code yaml} whose first line is {@code # <name>.yaml …} are sample files the commands may name.
 *
 * <p>Lines that are not commands (program output shown in a block, such as {@code tally: unknown
 * key …}, or a table of modules) are recognised by their first word: only {@link #PROGRAMS} start
 * a command.
 */
final class MarkdownExamples {
  /** The first words that start a command; anything else in a block is output or prose. */
  static final Pattern PROGRAMS =
      Pattern.compile("^(curl|\\./tally|tally|java|mvn|sleep|TALLY_[A-Z_]+=\\S*)(\\s|$)");

  private static final Pattern YAML_NAME = Pattern.compile("^#\\s*(\\S+\\.ya?ml)\\b");

  /** One documented command. */
  record Example(String file, int line, String command, String documentedAnswer) {
    String where() {
      return file + ":" + line;
    }
  }

  final List<Example> examples = new ArrayList<>();

  /** Sample files by name ({@code tally.yaml} → its text). */
  final Map<String, String> sampleFiles = new TreeMap<>();

  /** Reads README.md and every docs/*.md under {@code root}, in that order. */
  static MarkdownExamples of(Path root) {
    MarkdownExamples all = new MarkdownExamples();
    List<Path> files = new ArrayList<>();
    files.add(root.resolve("README.md"));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
      for (Path f : files) {
        all.read(root.relativize(f).toString(), Files.readAllLines(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all;
  }

  private void read(String file, List<String> lines) {
    boolean fenced = false;
    String lang = "";
    List<String> block = new ArrayList<>();
    int blockStart = 0;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.startsWith("```")) {
        if (!fenced) {
          fenced = true;
          lang = l.substring(3).trim();
          block.clear();
          blockStart = i + 2;
        } else {
          fenced = false;
          if (lang.equals("sh") || lang.equals("bash") || lang.isEmpty()) {
            commands(file, blockStart, block);
          } else if (lang.equals("yaml") && !block.isEmpty()) {
            Matcher m = YAML_NAME.matcher(block.get(0));
            if (m.find()) {
              sampleFiles.put(m.group(1), String.join("\n", block) + "\n");
            }
          }
        }
        continue;
      }
      if (fenced) {
        block.add(l);
      } else if (l.startsWith("    ") && (i == 0 || lines.get(i - 1).isBlank())) {
        int start = i;
        List<String> indented = new ArrayList<>();
        while (i < lines.size() && (lines.get(i).startsWith("    ") || lines.get(i).isBlank())) {
          indented.add(lines.get(i).isBlank() ? "" : lines.get(i).substring(4));
          i++;
        }
        i--;
        commands(file, start + 1, indented);
      }
    }
  }

  private void commands(String file, int firstLine, List<String> block) {
    for (int i = 0; i < block.size(); i++) {
      String first = block.get(i).strip();
      if (!PROGRAMS.matcher(first).find()) {
        continue;
      }
      int line = firstLine + i;
      StringBuilder command = new StringBuilder(block.get(i));
      while (i + 1 < block.size()
          && (command.toString().endsWith("\\") || openQuote(command.toString()))) {
        if (command.toString().endsWith("\\")) {
          command.setLength(command.length() - 1);
          command.append(' ').append(block.get(++i).strip());
        } else {
          command.append('\n').append(block.get(++i));
        }
      }
      String answer = null;
      if (i + 1 < block.size() && block.get(i + 1).strip().startsWith("# {")) {
        answer = block.get(i + 1).strip().substring(2);
      }
      examples.add(new Example(file, line, command.toString().strip(), answer));
    }
  }

  /**
   * Whether the text has an unclosed single quote (a quoted argument continues on the next line).
   */
  private static boolean openQuote(String text) {
    boolean open = false;
    for (char c : text.toCharArray()) {
      if (c == '\'') {
        open = !open;
      }
    }
    return open;
  }

  /**
   * The command without a trailing {@code # comment} (outside quotes), so options can be appended.
   */
  static String withoutComment(String command) {
    boolean single = false;
    boolean dbl = false;
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      if (c == '\'' && !dbl) {
        single = !single;
      } else if (c == '"' && !single) {
        dbl = !dbl;
      } else if (c == '#'
          && !single
          && !dbl
          && i > 0
          && Character.isWhitespace(command.charAt(i - 1))) {
        return command.substring(0, i).strip();
      }
    }
    return command.strip();
  }

  /**
   * The top-level field names of a documented JSON answer, which may hold {@code …} for elided
   * parts (so it is not JSON): names at nesting depth 1 only.
   */
  static List<String> topLevelFields(String documented) {
    List<String> names = new ArrayList<>();
    int depth = 0;
    boolean inString = false;
    StringBuilder current = null;
    for (int i = 0; i < documented.length(); i++) {
      char c = documented.charAt(i);
      if (inString) {
        if (c == '"') {
          inString = false;
          String s = current.toString();
          int j = i + 1;
          while (j < documented.length() && documented.charAt(j) == ' ') {
            j++;
          }
          if (depth == 1 && j < documented.length() && documented.charAt(j) == ':') {
            names.add(s);
          }
        } else {
          current.append(c);
        }
      } else if (c == '"') {
        inString = true;
        current = new StringBuilder();
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
        if (depth == 0) {
          break;
        }
      }
    }
    return names;
  }
}
