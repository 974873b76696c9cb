package io.tally.core.enrich;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttributeRulesTest {
  @Test
  void acceptsStringAttributesWithinTheLimits() {
    assertThat(
            AttributeRules.problem(
                Map.of("channel", "c1", "category", "music", "region_2", "EU/west@x#1")))
        .isNull();
    assertThat(AttributeRules.problem(Map.of())).isNull();
    Map<String, String> most = new HashMap<>();
    for (int i = 0; i < AttributeRules.MAX_ATTRIBUTES; i++) {
      most.put("a" + i, "v");
    }
    assertThat(AttributeRules.problem(most)).isNull();
    assertThat(AttributeRules.problem(Map.of("n".repeat(64), "v".repeat(128)))).isNull();
  }

  @Test
  void rejectsTooManyAttributes() {
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i <= AttributeRules.MAX_ATTRIBUTES; i++) {
      many.put("a" + i, "v");
    }
    assertThat(AttributeRules.problem(many)).isEqualTo("at most 32 attributes per entity, got 33");
  }

  @Test
  void rejectsBadNamesWithTheReason() {
    assertThat(AttributeRules.problem(Map.of("Channel", "c1")))
        .contains("may only contain a-z 0-9 _");
    assertThat(AttributeRules.problem(Map.of("chan nel", "c1"))).contains("U+0020 at position 4");
    assertThat(AttributeRules.problem(Map.of("", "c1")))
        .isEqualTo("attribute names must not be empty");
    assertThat(AttributeRules.problem(Map.of("n".repeat(65), "c1"))).contains("longer than 64");
  }

  @Test
  void rejectsValuesThatCannotBeEntityNames() {
    assertThat(AttributeRules.problem(Map.of("channel", "")))
        .isEqualTo("attribute 'channel' must not be empty");
    assertThat(AttributeRules.problem(Map.of("channel", "c~1")))
        .contains("attribute 'channel' may only contain")
        .contains("U+007E");
    assertThat(AttributeRules.problem(Map.of("channel", "c 1"))).contains("U+0020");
    assertThat(AttributeRules.problem(Map.of("channel", "v".repeat(129))))
        .contains("longer than 128");
  }
}
