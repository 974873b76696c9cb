package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Build hygiene: the parent POM manages every version, so each module that inherits it names its
 * dependencies without one, but for a sibling module's {@code ${project.version}} (tally-engines'
 * server POMs do not inherit it, deliberately).
 */
class ModulePomsTest {
  @Test
  void modulesNameTheirDependenciesWithoutVersions() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> versioned = new ArrayList<>();
    int checked = 0;
    for (Element module : elements(parse(root.resolve("pom.xml")), "module")) {
      Path pom = root.resolve(module.getTextContent().trim()).resolve("pom.xml");
      Element project = parse(pom);
      List<Element> parent = elements(project, "parent");
      if (parent.isEmpty()
          || !elements(parent.get(0), "artifactId")
              .get(0)
              .getTextContent()
              .equals("tally-parent")) {
        continue;
      }
      checked++;
      for (Element dependency : elements(project, "dependency")) {
        List<Element> version = elements(dependency, "version");
        if (!version.isEmpty() && !version.get(0).getTextContent().equals("${project.version}")) {
          versioned.add(
              root.relativize(pom)
                  + ": "
                  + elements(dependency, "artifactId").get(0).getTextContent()
                  + " "
                  + elements(dependency, "version").get(0).getTextContent());
        }
      }
    }
    assertThat(checked).isGreaterThan(10);
    assertThat(versioned).as("versions to move to the parent POM").isEmpty();
  }

  /**
   * DESIGN.md's arrows point inward: the storage adapters depend on tally-core and on no other
   * module of ours (tests may use the testkit and the engines), so the Kafka materializer meets
   * Cassandra only through the core {@code DeltaSink} seam.
   */
  @Test
  void theStorageAdaptersDependOnCoreOnly() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    for (String adapter : List.of("tally-kafka", "tally-cassandra", "tally-rocksdb", "tally-raw")) {
      List<String> main = new ArrayList<>();
      List<String> test = new ArrayList<>();
      for (Element dependency :
          elements(parse(root.resolve(adapter).resolve("pom.xml")), "dependency")) {
        if (!elements(dependency, "groupId").get(0).getTextContent().equals("io.tally")) {
          continue;
        }
        String artifact = elements(dependency, "artifactId").get(0).getTextContent();
        List<Element> scope = elements(dependency, "scope");
        boolean isTest = !scope.isEmpty() && scope.get(0).getTextContent().equals("test");
        (isTest ? test : main).add(artifact);
      }
      assertThat(main).as(adapter + "'s modules of ours").containsExactly("tally-core");
      assertThat(test)
          .as(adapter + "'s test modules of ours")
          .isSubsetOf("tally-testkit", "tally-engines");
    }
  }

  private static Element parse(Path pom) throws Exception {
    assertThat(pom).exists();
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(Files.newInputStream(pom))
        .getDocumentElement();
  }

  private static List<Element> elements(Element parent, String tag) {
    NodeList nodes = parent.getElementsByTagName(tag);
    List<Element> out = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      out.add((Element) nodes.item(i));
    }
    return out;
  }
}
