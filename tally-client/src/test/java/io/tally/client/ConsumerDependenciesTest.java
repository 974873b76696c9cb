package io.tally.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The SDK's dependencies as a user's build resolves them. The parent POM's dependencyManagement
 * fixes versions inside this build, but Maven does not apply it to the SDK's transitive
 * dependencies in a user's build: there, a library's own POM decides (Resilience4j asks for
 * slf4j-api 1.7, which prints "Failed to load class StaticLoggerBinder" next to an SLF4J 2
 * provider). So every version the parent overrides below the SDK's direct dependencies must be a
 * direct dependency of the SDK. Reads target/runtime-classpath.txt, which the build writes.
 */
class ConsumerDependenciesTest {
  private static final Path CLASSPATH = Path.of("target", "runtime-classpath.txt");

  /**
   * group:artifact to the version directory of every jar of the runtime classpath in the local
   * repository (a jar with its POM beside it).
   */
  private static Map<String, Path> runtimeClasspath() throws Exception {
    Map<String, Path> versions = new HashMap<>();
    for (String entry : Files.readString(CLASSPATH).trim().split(File.pathSeparator)) {
      Path versionDir = Path.of(entry).getParent();
      if (versionDir == null || !Files.exists(pom(versionDir))) {
        continue; // a module of this build: its POM's versions come from the parent POM
      }
      Element project = parse(pom(versionDir));
      String group = text(project, "groupId", "");
      if (group.isEmpty()) {
        group = text(children(project, "parent").get(0), "groupId", "");
      }
      versions.put(group + ":" + text(project, "artifactId", ""), versionDir);
    }
    return versions;
  }

  private static Element parse(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(pom.toFile())
        .getDocumentElement();
  }

  private static Path pom(Path versionDir) {
    return versionDir.resolve(
        versionDir.getParent().getFileName() + "-" + versionDir.getFileName() + ".pom");
  }

  /** The compile and runtime dependencies a POM declares with a version of its own. */
  private static List<String[]> declared(Path pom) throws Exception {
    Element project = parse(pom);
    List<String[]> out = new ArrayList<>();
    for (Element dependencies : children(project, "dependencies")) {
      for (Element d : children(dependencies, "dependency")) {
        String scope = text(d, "scope", "compile");
        String version = text(d, "version", "");
        if ((scope.equals("compile") || scope.equals("runtime"))
            && !text(d, "optional", "false").equals("true")
            && !version.isEmpty()
            && !version.contains("$")) {
          out.add(new String[] {text(d, "groupId", "") + ":" + text(d, "artifactId", ""), version});
        }
      }
    }
    return out;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        out.add(e);
      }
    }
    return out;
  }

  private static String text(Element parent, String name, String absent) {
    List<Element> found = children(parent, name);
    return found.isEmpty() ? absent : found.get(0).getTextContent().trim();
  }

  @Test
  void aUsersBuildGetsTheVersionsTheSdkIsBuiltAndTestedWith() throws Exception {
    Map<String, Path> runtime = runtimeClasspath();
    Set<String> direct = new HashSet<>();
    for (Element dependencies : children(parse(Path.of("pom.xml")), "dependencies")) {
      for (Element d : children(dependencies, "dependency")) {
        direct.add(text(d, "groupId", "") + ":" + text(d, "artifactId", ""));
      }
    }
    List<String> lost = new ArrayList<>();
    for (Map.Entry<String, Path> artifact : runtime.entrySet()) {
      for (String[] asked : declared(pom(artifact.getValue()))) {
        String resolved =
            runtime.containsKey(asked[0]) ? runtime.get(asked[0]).getFileName().toString() : null;
        if (resolved != null && !resolved.equals(asked[1]) && !direct.contains(asked[0])) {
          lost.add(
              artifact.getKey()
                  + " asks for "
                  + asked[0]
                  + " "
                  + asked[1]
                  + " (built with "
                  + resolved
                  + ")");
        }
      }
    }
    assertThat(lost).as("versions a user's build would not get").isEmpty();
    assertThat(runtime.get("org.slf4j:slf4j-api").getFileName().toString()).startsWith("2.");
  }
}
