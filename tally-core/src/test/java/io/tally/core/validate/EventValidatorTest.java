package io.tally.core.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.Event;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventValidatorTest {
  private static final long NOW = Instant.parse("2026-03-01T12:00:00Z").toEpochMilli();
  private static final ValidationLimits LIMITS = ValidationLimits.DEFAULTS;
  private final EventValidator validator = new EventValidator(LIMITS);

  private static Event withEntity(String entity) {
    return new Event("id-1", entity, "view", NOW, 1);
  }

  private static Event withType(String type) {
    return new Event("id-1", "video:1", type, NOW, 1);
  }

  private static Event withId(String id) {
    return new Event(id, "video:1", "view", NOW, 1);
  }

  private static Event withTime(long time) {
    return new Event("id-1", "video:1", "view", time, 1);
  }

  private static Event withValue(long value) {
    return new Event("id-1", "video:1", "view", NOW, value);
  }

  private String problem(Event e) {
    return validator.problem(e, NOW);
  }

  @Test
  void anActorMeetsTheLimitsOfAnId() {
    Event e = new Event("id-1", "video:1", "view", NOW, 1);
    assertThat(problem(e.withActor("user-42@example.com"))).isNull();
    assertThat(problem(e.withActor(""))).isEqualTo("actor must not be empty");
    assertThat(problem(e.withActor("x".repeat(LIMITS.maxIdLength() + 1))))
        .isEqualTo("actor is longer than " + LIMITS.maxIdLength() + " characters");
    assertThat(problem(e.withActor("user 42")))
        .isEqualTo("actor may only contain printable ASCII; found U+0020 at position 4");
  }

  @Test
  void defaultsAreTheDocumentedLimits() {
    assertThat(LIMITS.maxIdLength()).isEqualTo(128);
    assertThat(LIMITS.maxEntityLength()).isEqualTo(256);
    assertThat(LIMITS.maxTypeLength()).isEqualTo(64);
    assertThat(LIMITS.maxPastMillis()).isEqualTo(7 * 24 * 3_600_000L);
    assertThat(LIMITS.maxFutureMillis()).isEqualTo(3_600_000L);
    assertThat(LIMITS.maxValue()).isEqualTo(1_000_000_000_000L);
  }

  // --- entity ---------------------------------------------------------------------------------

  @Test
  void acceptsAnEntityOfEveryAllowedCharacter() {
    assertThat(problem(withEntity("video:42"))).isNull();
    assertThat(problem(withEntity("AZaz09:_.-/@#"))).isNull();
    assertThat(problem(withEntity("e".repeat(256)))).isNull();
  }

  @Test
  void rejectsAnEmptyEntity() {
    assertThat(problem(withEntity(""))).isEqualTo("entity must not be empty");
  }

  @Test
  void rejectsAnEntityLongerThanTheLimit() {
    assertThat(problem(withEntity("e".repeat(257)))).startsWith("entity ").contains("256");
  }

  @Test
  void rejectsAnEntityWithADisallowedCharacterNamingItAndItsPosition() {
    assertThat(problem(withEntity("video 42")))
        .startsWith("entity may only contain")
        .contains("U+0020 at position 5");
    assertThat(problem(withEntity("vidéo"))).startsWith("entity ").contains("U+00E9");
    assertThat(problem(withEntity("a+b"))).startsWith("entity ");
  }

  // --- type -----------------------------------------------------------------------------------

  @Test
  void acceptsATypeOfEveryAllowedCharacter() {
    assertThat(problem(withType("view"))).isNull();
    assertThat(problem(withType("az09_.-"))).isNull();
    assertThat(problem(withType("t".repeat(64)))).isNull();
  }

  @Test
  void rejectsAnEmptyType() {
    assertThat(problem(withType(""))).isEqualTo("type must not be empty");
  }

  @Test
  void rejectsATypeLongerThanTheLimit() {
    assertThat(problem(withType("t".repeat(65)))).startsWith("type ").contains("64");
  }

  @Test
  void rejectsUpperCaseAndOtherCharactersInAType() {
    assertThat(problem(withType("View")))
        .startsWith("type may only contain")
        .contains("U+0056 at position 0");
    assertThat(problem(withType("page:view"))).startsWith("type ").contains("position 4");
    assertThat(problem(withType("a/b"))).startsWith("type ");
  }

  // --- id -------------------------------------------------------------------------------------

  @Test
  void acceptsAMissingId() {
    assertThat(problem(withId(null))).isNull();
  }

  @Test
  void acceptsAnIdOfPrintableAscii() {
    assertThat(problem(withId("a1-B2_c3!~\"\\{}"))).isNull();
    assertThat(problem(withId("i".repeat(128)))).isNull();
  }

  @Test
  void rejectsAnEmptyId() {
    assertThat(problem(withId(""))).isEqualTo("id must not be empty");
  }

  @Test
  void rejectsAnIdLongerThanTheLimit() {
    assertThat(problem(withId("i".repeat(129)))).startsWith("id ").contains("128");
  }

  @Test
  void rejectsSpacesControlCharactersAndNonAsciiInAnId() {
    assertThat(problem(withId("a b"))).startsWith("id may only contain").contains("U+0020");
    assertThat(problem(withId("a\tb"))).startsWith("id ").contains("U+0009");
    assertThat(problem(withId("a\u007fb"))).startsWith("id ").contains("U+007F");
    assertThat(problem(withId("é"))).startsWith("id ").contains("U+00E9");
  }

  // --- time -----------------------------------------------------------------------------------

  @Test
  void acceptsTimesWithinTheWindowAroundNowInclusive() {
    assertThat(problem(withTime(NOW))).isNull();
    assertThat(problem(withTime(NOW - LIMITS.maxPastMillis()))).isNull();
    assertThat(problem(withTime(NOW + LIMITS.maxFutureMillis()))).isNull();
  }

  @Test
  void rejectsATimeOlderThanTheAcceptedPast() {
    assertThat(problem(withTime(NOW - LIMITS.maxPastMillis() - 1)))
        .startsWith("time 2026-02-22T11:59:59.999Z")
        .contains("older")
        .contains("168 h");
  }

  @Test
  void rejectsATimeTooFarInTheFuture() {
    assertThat(problem(withTime(NOW + LIMITS.maxFutureMillis() + 1)))
        .startsWith("time 2026-03-01T13:00:00.001Z")
        .contains("future")
        .contains("1 h");
  }

  @Test
  void judgesTimeRelativeToTheGivenNowNotTheWallClock() {
    Event e = withTime(NOW);
    assertThat(validator.problem(e, NOW + LIMITS.maxPastMillis())).isNull();
    assertThat(validator.problem(e, NOW + LIMITS.maxPastMillis() + 1)).startsWith("time ");
    assertThat(validator.problem(e, NOW - LIMITS.maxFutureMillis() - 1)).startsWith("time ");
  }

  @Test
  void rejectsTimesAtTheEndsOfTheLongRangeWithoutFailing() {
    assertThat(problem(withTime(Long.MIN_VALUE))).startsWith("time ");
    assertThat(problem(withTime(Long.MAX_VALUE))).startsWith("time ");
  }

  // --- value ----------------------------------------------------------------------------------

  @Test
  void acceptsValuesFromZeroToTheMaximum() {
    assertThat(problem(withValue(0))).isNull();
    assertThat(problem(withValue(1))).isNull();
    assertThat(problem(withValue(LIMITS.maxValue()))).isNull();
  }

  @Test
  void rejectsANegativeValue() {
    assertThat(problem(withValue(-1)))
        .isEqualTo("value must be between 0 and 1000000000000, got -1");
    assertThat(problem(withValue(Long.MIN_VALUE))).startsWith("value ");
  }

  @Test
  void rejectsAValueAboveTheMaximum() {
    assertThat(problem(withValue(LIMITS.maxValue() + 1)))
        .startsWith("value must be between 0 and 1000000000000")
        .contains("got 1000000000001");
    assertThat(problem(withValue(Long.MAX_VALUE))).startsWith("value ");
  }

  // --- query parameters and limits ------------------------------------------------------------

  @Test
  void checksEntityAndTypeOfQueriesByTheSameRules() {
    assertThat(validator.entityProblem("video:42")).isNull();
    assertThat(validator.entityProblem(null)).isEqualTo("entity must not be empty");
    assertThat(validator.entityProblem("video 42")).startsWith("entity ");
    assertThat(validator.typeProblem("view")).isNull();
    assertThat(validator.typeProblem(null)).isEqualTo("type must not be empty");
    assertThat(validator.typeProblem("View")).startsWith("type ");
  }

  @Test
  void reportsTheFirstProblemInFieldOrder() {
    Event bad = new Event("a b", "video 1", "View", NOW - LIMITS.maxPastMillis() - 1, -1);
    assertThat(problem(bad)).startsWith("entity ");
  }

  @Test
  void appliesCustomLimits() {
    ValidationLimits tight = new ValidationLimits(4, 5, 3, 60_000, 0, 10);
    EventValidator v = new EventValidator(tight);
    assertThat(v.problem(new Event("abcd", "abcde", "abc", NOW, 10), NOW)).isNull();
    assertThat(v.problem(new Event("abcde", "abcde", "abc", NOW, 10), NOW)).startsWith("id ");
    assertThat(v.problem(new Event(null, "abcdef", "abc", NOW, 10), NOW)).startsWith("entity ");
    assertThat(v.problem(new Event(null, "abcde", "abcd", NOW, 10), NOW)).startsWith("type ");
    assertThat(v.problem(new Event(null, "abcde", "abc", NOW + 1, 10), NOW)).startsWith("time ");
    assertThat(v.problem(new Event(null, "abcde", "abc", NOW - 60_001, 10), NOW))
        .startsWith("time ");
    assertThat(v.problem(new Event(null, "abcde", "abc", NOW, 11), NOW)).startsWith("value ");
  }

  @Test
  void limitsRejectValuesTheStorageFormatsCannotHold() {
    assertThatThrownBy(() -> new ValidationLimits(0, 1, 1, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ValidationLimits(1, 1, 256, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ValidationLimits(1, 1025, 1, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ValidationLimits(1, 1, 1, -1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ValidationLimits(1, 1, 1, 0, 0, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
