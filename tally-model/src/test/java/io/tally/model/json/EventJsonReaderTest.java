package io.tally.model.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.Event;
import io.tally.model.Rejection;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class EventJsonReaderTest {
  private static final long DEFAULT_TIME = 1_769_860_800_000L; // 2026-01-31T12:00:00Z

  /** What a reader delivered, in order. */
  private static final class Collected implements EventJsonReader.Sink {
    final List<Integer> eventIndexes = new ArrayList<>();
    final List<Event> events = new ArrayList<>();
    final List<Rejection> rejections = new ArrayList<>();

    @Override
    public void event(int index, Event event) {
      eventIndexes.add(index);
      events.add(event);
    }

    @Override
    public void rejected(int index, String reason) {
      rejections.add(new Rejection(index, reason));
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Collected json(byte[] body) {
    Collected c = new Collected();
    EventJsonReader.readJson(body, 0, body.length, DEFAULT_TIME, c);
    return c;
  }

  private static Collected json(String body) {
    return json(utf8(body));
  }

  private static Collected ndjson(byte[] body) {
    Collected c = new Collected();
    EventJsonReader.readNdjson(body, 0, body.length, DEFAULT_TIME, c);
    return c;
  }

  private static Collected ndjson(String body) {
    return ndjson(utf8(body));
  }

  /** {@code before}, the invalid UTF-8 sequence 0xC3 0x28, then {@code after}. */
  private static byte[] withInvalidUtf8(String before, String after) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(utf8(before));
    out.write(0xC3);
    out.write(0x28);
    out.writeBytes(utf8(after));
    return out.toByteArray();
  }

  /** A one-event array whose only event has {@code fields} besides a valid entity and type. */
  private static Rejection onlyRejection(String fields) {
    Collected c = json("[{\"entity\":\"video:1\",\"type\":\"view\"," + fields + "}]");
    assertThat(c.events).isEmpty();
    assertThat(c.rejections).hasSize(1);
    return c.rejections.get(0);
  }

  // --- shapes ---------------------------------------------------------------------------------

  @Example
  void readsAJsonArrayOfEventsInOrderWithTheirIndexes() {
    Collected c =
        json(
            "[{\"id\":\"a1\",\"entity\":\"video:1\",\"type\":\"view\",\"time\":1000,\"value\":3},"
                + " {\"entity\":\"video:2\",\"type\":\"like\"}]");
    assertThat(c.rejections).isEmpty();
    assertThat(c.eventIndexes).containsExactly(0, 1);
    assertThat(c.events)
        .containsExactly(
            new Event("a1", "video:1", "view", 1000, 3),
            new Event(null, "video:2", "like", DEFAULT_TIME, 1));
  }

  @Example
  void readsASingleEventObjectAsIndexZero() {
    Collected c = json("{\"entity\":\"video:1\",\"type\":\"view\",\"value\":5}");
    assertThat(c.eventIndexes).containsExactly(0);
    assertThat(c.events).containsExactly(new Event(null, "video:1", "view", DEFAULT_TIME, 5));
  }

  @Example
  void readsAnEmptyArrayAsNoEvents() {
    Collected c = json(" [ ] ");
    assertThat(c.events).isEmpty();
    assertThat(c.rejections).isEmpty();
  }

  @Example
  void rejectsArrayElementsThatAreNotObjectsButKeepsReadingTheRest() {
    Collected c = json("[1, [2, 3], \"x\", null, {\"entity\":\"video:1\",\"type\":\"view\"}]");
    assertThat(c.rejections).extracting(Rejection::index).containsExactly(0, 1, 2, 3);
    assertThat(c.rejections).allSatisfy(r -> assertThat(r.reason()).contains("JSON object"));
    assertThat(c.eventIndexes).containsExactly(4);
  }

  @Example
  void readsNdjsonIgnoringBlankLinesAndCountingOnlyNonBlankOnes() {
    Collected c =
        ndjson(
            "{\"entity\":\"video:1\",\"type\":\"view\"}\n"
                + "\n"
                + "   \t \r\n"
                + "{\"entity\":\"video:2\",\"type\":\"view\",\"value\":2}\r\n"
                + "\n");
    assertThat(c.rejections).isEmpty();
    assertThat(c.eventIndexes).containsExactly(0, 1);
    assertThat(c.events)
        .containsExactly(
            new Event(null, "video:1", "view", DEFAULT_TIME, 1),
            new Event(null, "video:2", "view", DEFAULT_TIME, 2));
  }

  @Example
  void aMalformedNdjsonLineRejectsOnlyThatLineAndTheOthersAreStillDelivered() {
    Collected c =
        ndjson(
            "{\"entity\":\"video:1\",\"type\":\"view\"}\n"
                + "{\"entity\": oops\n"
                + "\n"
                + "[{\"entity\":\"video:9\",\"type\":\"view\"}]\n"
                + "{\"entity\":\"video:2\",\"type\":\"view\"} trailing\n"
                + "{\"entity\":\"video:3\",\"type\":\"view\"}");
    assertThat(c.eventIndexes).containsExactly(0, 4);
    assertThat(c.events).extracting(Event::entity).containsExactly("video:1", "video:3");
    assertThat(c.rejections).extracting(Rejection::index).containsExactly(1, 2, 3);
    assertThat(c.rejections.get(0).reason()).startsWith("malformed JSON");
    assertThat(c.rejections.get(1).reason()).contains("JSON object");
    assertThat(c.rejections.get(2).reason()).isNotBlank();
  }

  @Example
  void invalidUtf8OnAnNdjsonLineRejectsOnlyThatLine() {
    Collected c =
        ndjson(
            withInvalidUtf8(
                "{\"entity\":\"video:",
                "\",\"type\":\"view\"}\n{\"entity\":\"video:2\",\"type\":\"view\"}\n"));
    assertThat(c.rejections).extracting(Rejection::index).containsExactly(0);
    assertThat(c.eventIndexes).containsExactly(1);
  }

  @Example
  void tooDeepANdjsonLineRejectsOnlyThatLine() {
    String deep =
        "[".repeat(EventJsonReader.MAX_NESTING_DEPTH + 1)
            + "]".repeat(EventJsonReader.MAX_NESTING_DEPTH + 1);
    Collected c =
        ndjson(
            "{\"entity\":\"video:1\",\"type\":\"view\",\"x\":"
                + deep
                + "}\n"
                + "{\"entity\":\"video:2\",\"type\":\"view\"}");
    assertThat(c.rejections).extracting(Rejection::index).containsExactly(0);
    assertThat(c.eventIndexes).containsExactly(1);
  }

  // --- fields ---------------------------------------------------------------------------------

  @Example
  void fillsInDefaultsForAbsentFields() {
    Collected c = json("[{\"entity\":\"video:1\",\"type\":\"view\"}]");
    Event e = c.events.get(0);
    assertThat(e.id()).isNull();
    assertThat(e.value()).isEqualTo(1);
    assertThat(e.timeMillis()).isEqualTo(DEFAULT_TIME);
  }

  @Example
  void treatsNullFieldsAsAbsent() {
    Collected c =
        json(
            "[{\"id\":null,\"entity\":\"video:1\",\"type\":\"view\",\"time\":null,\"value\":null}]");
    assertThat(c.rejections).isEmpty();
    assertThat(c.events).containsExactly(new Event(null, "video:1", "view", DEFAULT_TIME, 1));
  }

  @Example
  void aNullEntityIsMissing() {
    Collected c = json("[{\"entity\":null,\"type\":\"view\"}]");
    assertThat(c.rejections).containsExactly(new Rejection(0, "entity is required"));
  }

  @Example
  void parsesAnIso8601TimeStringWithOffset() {
    Collected c =
        json(
            "[{\"entity\":\"e\",\"type\":\"t\",\"time\":\"2026-01-31T12:00:00Z\"},"
                + "{\"entity\":\"e\",\"type\":\"t\",\"time\":\"2026-01-31T14:00:00.123+02:00\"}]");
    assertThat(c.rejections).isEmpty();
    assertThat(c.events)
        .extracting(Event::timeMillis)
        .containsExactly(
            Instant.parse("2026-01-31T12:00:00Z").toEpochMilli(),
            Instant.parse("2026-01-31T12:00:00.123Z").toEpochMilli());
  }

  @Example
  void rejectsATimeStringWithoutOffsetNamingTheField() {
    assertThat(onlyRejection("\"time\":\"2026-01-31T12:00:00\"").reason()).startsWith("time ");
    assertThat(onlyRejection("\"time\":\"yesterday\"").reason()).startsWith("time ");
    assertThat(onlyRejection("\"time\":1.5").reason()).startsWith("time ");
    assertThat(onlyRejection("\"time\":99999999999999999999").reason()).startsWith("time ");
  }

  @Example
  void acceptsNegativeTimesAndTheLongExtremesOfValue() {
    Collected c =
        json(
            "[{\"entity\":\"e\",\"type\":\"t\",\"time\":-1,\"value\":9223372036854775807},"
                + "{\"entity\":\"e\",\"type\":\"t\",\"value\":-9223372036854775808}]");
    assertThat(c.rejections).isEmpty();
    assertThat(c.events)
        .containsExactly(
            new Event(null, "e", "t", -1, Long.MAX_VALUE),
            new Event(null, "e", "t", DEFAULT_TIME, Long.MIN_VALUE));
  }

  @Example
  void rejectsAnEventWithoutEntity() {
    Collected c = json("[{\"type\":\"view\"},{\"entity\":\"video:1\",\"type\":\"view\"}]");
    assertThat(c.rejections).containsExactly(new Rejection(0, "entity is required"));
    assertThat(c.eventIndexes).containsExactly(1);
  }

  @Example
  void rejectsAnEventWithoutType() {
    Collected c = json("[{\"entity\":\"video:1\",\"type\":\"view\"},{\"entity\":\"video:1\"}]");
    assertThat(c.eventIndexes).containsExactly(0);
    assertThat(c.rejections).containsExactly(new Rejection(1, "type is required"));
  }

  @Example
  void rejectsANumberAsEntity() {
    Collected c = json("[{\"entity\":42,\"type\":\"view\"}]");
    assertThat(c.rejections).containsExactly(new Rejection(0, "entity must be a string"));
  }

  @Example
  void rejectsANonStringType() {
    Collected c = json("[{\"entity\":\"video:1\",\"type\":true}]");
    assertThat(c.rejections).containsExactly(new Rejection(0, "type must be a string"));
  }

  @Example
  void rejectsAStringValue() {
    assertThat(onlyRejection("\"value\":\"5\""))
        .isEqualTo(new Rejection(0, "value must be an integer"));
  }

  @Example
  void rejectsAFloatValue() {
    assertThat(onlyRejection("\"value\":1.5"))
        .isEqualTo(new Rejection(0, "value must be an integer"));
    assertThat(onlyRejection("\"value\":1e3"))
        .isEqualTo(new Rejection(0, "value must be an integer"));
  }

  @Example
  void rejectsAnObjectAsIdAndSkipsItToReadTheNextEvent() {
    Collected c =
        json(
            "[{\"id\":{\"nested\":[1,{\"a\":2}]},\"entity\":\"video:1\",\"type\":\"view\"},"
                + "{\"id\":\"ok\",\"entity\":\"video:2\",\"type\":\"view\"}]");
    assertThat(c.rejections).containsExactly(new Rejection(0, "id must be a string"));
    assertThat(c.eventIndexes).containsExactly(1);
    assertThat(c.events.get(0).id()).isEqualTo("ok");
  }

  @Example
  void rejectsAnUnknownFieldNamingIt() {
    assertThat(onlyRejection("\"colour\":\"red\""))
        .isEqualTo(new Rejection(0, "unknown field 'colour'"));
  }

  @Example
  void rejectsAValueBeyondTheLongRange() {
    assertThat(onlyRejection("\"value\":99999999999999999999"))
        .isEqualTo(new Rejection(0, "value out of range"));
    assertThat(onlyRejection("\"value\":-99999999999999999999"))
        .isEqualTo(new Rejection(0, "value out of range"));
    assertThat(onlyRejection("\"value\":9223372036854775808"))
        .isEqualTo(new Rejection(0, "value out of range"));
  }

  @Example
  void rejectsOnlyTheBadEventsOfAnArray() {
    Collected c =
        json(
            "[{\"entity\":\"a\",\"type\":\"t\"},"
                + "{\"entity\":\"b\",\"type\":\"t\",\"value\":\"x\"},"
                + "{\"entity\":\"c\",\"type\":\"t\"},"
                + "{\"type\":\"t\"},"
                + "{\"entity\":\"e\",\"type\":\"t\"}]");
    assertThat(c.eventIndexes).containsExactly(0, 2, 4);
    assertThat(c.events).extracting(Event::entity).containsExactly("a", "c", "e");
    assertThat(c.rejections).extracting(Rejection::index).containsExactly(1, 3);
  }

  // --- whole-body errors ----------------------------------------------------------------------

  @Example
  void rejectsATruncatedArrayAsAWhole() {
    assertThatThrownBy(() -> json("[{\"entity\":\"video:1\",\"type\":\"view\"}"))
        .isInstanceOf(MalformedBodyException.class)
        .hasMessageStartingWith("malformed JSON");
    assertThatThrownBy(() -> json("[{\"entity\":\"video:1\",\"type\":\"view\"},"))
        .isInstanceOf(MalformedBodyException.class);
    assertThatThrownBy(() -> json("[{\"entity\":\"video:1\",\"ty"))
        .isInstanceOf(MalformedBodyException.class);
  }

  @Example
  void rejectsInvalidUtf8InsideAStringAsAWhole() {
    assertThatThrownBy(
            () -> json(withInvalidUtf8("[{\"entity\":\"video:", "\",\"type\":\"view\"}]")))
        .isInstanceOf(MalformedBodyException.class)
        .hasMessageContaining("UTF-8");
  }

  @Example
  void rejectsInvalidUtf8EvenInsideAValueThatIsSkipped() {
    // The event is already rejected (unknown field) when the bad bytes come.
    assertThatThrownBy(
            () ->
                json(withInvalidUtf8("[{\"foo\":1,\"entity\":\"video:", "\",\"type\":\"view\"}]")))
        .isInstanceOf(MalformedBodyException.class);
  }

  @Example
  void rejectsNestingDeeperThanTheLimitAsAWhole() {
    int tooDeep = EventJsonReader.MAX_NESTING_DEPTH + 1;
    assertThatThrownBy(() -> json("[".repeat(tooDeep) + "]".repeat(tooDeep)))
        .isInstanceOf(MalformedBodyException.class)
        .hasMessageContaining("nesting depth");
    // Also when the deep part is a field value inside an event (array + object + 15 levels).
    int inner = EventJsonReader.MAX_NESTING_DEPTH - 1;
    assertThatThrownBy(
            () ->
                json(
                    "[{\"entity\":\"e\",\"type\":\"t\",\"x\":"
                        + "[".repeat(inner)
                        + "]".repeat(inner)
                        + "}]"))
        .isInstanceOf(MalformedBodyException.class);
  }

  @Example
  void acceptsNestingUpToTheLimit() {
    int depth = EventJsonReader.MAX_NESTING_DEPTH;
    Collected c = json("[".repeat(depth) + "]".repeat(depth));
    assertThat(c.rejections).extracting(Rejection::index).containsExactly(0);
  }

  @Example
  void rejectsATopLevelNumber() {
    assertThatThrownBy(() -> json("42"))
        .isInstanceOf(MalformedBodyException.class)
        .hasMessageContaining("JSON array");
    assertThatThrownBy(() -> json("\"event\"")).isInstanceOf(MalformedBodyException.class);
  }

  @Example
  void rejectsAnEmptyBody() {
    assertThatThrownBy(() -> json(""))
        .isInstanceOf(MalformedBodyException.class)
        .hasMessage("body is empty");
    assertThatThrownBy(() -> json(" \n\t ")).isInstanceOf(MalformedBodyException.class);
  }

  @Example
  void rejectsTrailingContentAfterTheArray() {
    assertThatThrownBy(() -> json("[{\"entity\":\"e\",\"type\":\"t\"}] garbage"))
        .isInstanceOf(MalformedBodyException.class);
    assertThatThrownBy(() -> json("[]{}")).isInstanceOf(MalformedBodyException.class);
    assertThatThrownBy(() -> json("[]]")).isInstanceOf(MalformedBodyException.class);
    assertThatThrownBy(() -> json("{\"entity\":\"e\",\"type\":\"t\"} 1"))
        .isInstanceOf(MalformedBodyException.class);
  }

  @Example
  void readsOnlyTheGivenSliceOfTheBuffer() {
    byte[] body = utf8("xx[{\"entity\":\"e\",\"type\":\"t\"}]yy");
    Collected c = new Collected();
    EventJsonReader.readJson(body, 2, body.length - 4, DEFAULT_TIME, c);
    assertThat(c.events).containsExactly(new Event(null, "e", "t", DEFAULT_TIME, 1));
  }

  // --- round trip -----------------------------------------------------------------------------

  @Provide
  Arbitrary<List<Event>> events() {
    Arbitrary<String> printable = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40);
    Arbitrary<String> quoty = Arbitraries.strings().withChars("\"\\/ {}[]:,'ab").ofMaxLength(12);
    Arbitrary<String> text = Arbitraries.oneOf(printable, quoty);
    Arbitrary<Event> event =
        Combinators.combine(
                text.injectNull(0.3), text, text, Arbitraries.longs(), Arbitraries.longs())
            .as(Event::new);
    return event.list().ofMaxSize(20);
  }

  @Property
  void eventsWrittenByTallyJsonReadBackEqual(@ForAll("events") List<Event> events) {
    Collected c = json(TallyJson.events(events));
    assertThat(c.rejections).isEmpty();
    assertThat(c.events).isEqualTo(events);
    assertThat(c.eventIndexes).hasSize(events.size());
    for (int i = 0; i < events.size(); i++) {
      assertThat(c.eventIndexes.get(i)).isEqualTo(i);
    }
  }
}
