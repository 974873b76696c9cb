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
