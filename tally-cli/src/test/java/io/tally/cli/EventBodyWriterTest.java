package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.Event;
import io.tally.model.json.EventJsonReader;
import io.tally.model.json.TallyJson;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bench's bodies hold the events the SDK's {@code TallyJson.events} writes: the server reads
 * the same events from both, and without characters beyond the Basic Multilingual Plane the bytes
 * are the same.
 */
class EventBodyWriterTest {
  private static final String[] ENTITIES = {
    "video:0", "video:17", "quote\"d", "back\\slash", "tab\tnew\nline\u0001", "naïve 视频", ""
  };
  private static final String[] TYPES = {"bench.abc.view", "like \"it\"", "typé"};

  @Test
  void writesWhatTallyJsonWritesForTheSameEvents() {
    bodiesAgree(ENTITIES, TYPES, true);
  }

  @Test
  void theServerReadsTheSameEventsWhenNamesHoldCharactersBeyondTheBasicPlane() {
    String[] entities = ENTITIES.clone();
    entities[5] = "emoji 😀 and 𝄞";
    bodiesAgree(entities, new String[] {"view 🎬", "like"}, false);
  }

  @Test
  void aBodyGrowsPastItsFirstBuffer() {
    EventBodyWriter writer = new EventBodyWriter("r-", ENTITIES, TYPES);
    List<Event> events = new ArrayList<>();
    writer.start();
    for (int i = 0; i < 5_000; i++) {
      writer.event(Long.MAX_VALUE - i, 5, 1, 1_795_873_521_123L, -1);
      events.add(
          new Event("r-" + (Long.MAX_VALUE - i), ENTITIES[5], TYPES[1], 1_795_873_521_123L, 1));
    }
    assertThat(writer.finish()).isEqualTo(TallyJson.events(events));
    writer.start();
    assertThat(new String(writer.finish(), StandardCharsets.UTF_8)).isEqualTo("[]");
  }

  @Test
  void refusesAnIdPrefixThatWouldNeedEscaping() {
    assertThatThrownBy(() -> new EventBodyWriter("a\"b", ENTITIES, TYPES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id prefix");
  }

  /** Random bodies; the same bytes as TallyJson's if {@code sameBytes}, else the same events. */
  private static void bodiesAgree(String[] entityNames, String[] typeNames, boolean sameBytes) {
    EventBodyWriter writer = new EventBodyWriter("k1x-", entityNames, typeNames);
    Random random = new Random(7);
    for (int body = 0; body < 50; body++) {
      List<Event> events = new ArrayList<>();
      writer.start();
      int n = 1 + random.nextInt(40);
      for (int i = 0; i < n; i++) {
        long number = body == 0 && i == 0 ? 0 : Math.abs(random.nextLong() >> random.nextInt(63));
        int entity = random.nextInt(entityNames.length);
        int type = random.nextInt(typeNames.length);
        long time = i == 1 ? 0 : i == 2 ? -5 : 1_795_873_521_123L - random.nextInt(5_000);
        int actor = random.nextBoolean() ? -1 : random.nextInt(1_000_000);
        writer.event(number, entity, type, time, actor);
        Event e = new Event("k1x-" + number, entityNames[entity], typeNames[type], time, 1);
        events.add(actor >= 0 ? e.withActor("u" + actor) : e);
      }
      byte[] written = writer.finish();
      assertThat(read(written)).isEqualTo(read(TallyJson.events(events))).isEqualTo(events);
      if (sameBytes) {
        assertThat(new String(written, StandardCharsets.UTF_8))
            .isEqualTo(new String(TallyJson.events(events), StandardCharsets.UTF_8));
      }
    }
  }

  /** The events the server's reader finds in a body; a rejected one fails the test. */
  private static List<Event> read(byte[] body) {
    List<Event> events = new ArrayList<>();
    EventJsonReader.readJson(
        body,
        0,
        body.length,
        0,
        new EventJsonReader.Sink() {
          @Override
          public void event(int index, Event event) {
            events.add(event);
          }

          @Override
          public void rejected(int index, String reason) {
            throw new AssertionError("event " + index + " rejected: " + reason);
          }
        });
    return events;
  }
}
