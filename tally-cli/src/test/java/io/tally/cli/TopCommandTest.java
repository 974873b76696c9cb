package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TopCommandTest {
  private static String print(String json) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TopCommand.print(new JsonObject(json), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void exactAnswersPrintRankEntityAndCount() {
    String out =
        print(
            "{\"type\":\"view\",\"window\":\"1h\",\"k\":2,\"exact\":true,\"maxError\":0,"
                + "\"from\":\"2026-03-01T11:00:00Z\",\"asOf\":\"2026-03-01T12:00:00Z\",\"items\":["
                + "{\"entity\":\"video:1\",\"estimate\":30,\"lowerBound\":30,\"upperBound\":30},"
                + "{\"entity\":\"video:22\",\"estimate\":7,\"lowerBound\":7,\"upperBound\":7}]}");
    assertThat(out)
        .isEqualTo(
            "top 2 view in the last 1h (from 2026-03-01T11:00:00Z, as of 2026-03-01T12:00:00Z): exact\n"
                + "rank  entity           count\n"
                + "   1  video:1             30\n"
                + "   2  video:22             7\n");
  }

  @Test
  void approximateAnswersPrintTheBoundsAndTheError() {
    String out =
        print(
            "{\"type\":\"view\",\"window\":\"5m\",\"k\":1,\"exact\":false,\"maxError\":4,"
                + "\"from\":\"x\",\"asOf\":\"y\",\"items\":[{\"entity\":\"a\",\"estimate\":10,\"lowerBound\":6,\"upperBound\":10}]}");
    assertThat(out)
        .contains("approximate, each count may be over by up to 4")
        .contains("[6, 10]")
        .contains("estimate");
  }

  @Test
  void anEmptyWindowSaysSo() {
    assertThat(
            print(
                "{\"type\":\"view\",\"window\":\"5m\",\"k\":10,\"exact\":true,\"maxError\":0,"
                    + "\"from\":\"x\",\"asOf\":\"y\",\"items\":[]}"))
        .contains("(no events in the window)");
  }
}
