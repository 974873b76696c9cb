package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServeCommandTest {
  @Test
  void aServerOnEveryInterfaceAnnouncesAnAddressABrowserCanOpen() {
    assertThat(ServeCommand.announcement("https://0.0.0.0:8443", "data in /d", "box"))
        .isEqualTo(
            "Tally is listening on all interfaces, port 8443 (data in /d)\n"
                + "open https://127.0.0.1:8443/ for the live dashboard"
                + " (from another machine: https://box:8443/)\n")
        .doesNotContain("0.0.0.0");
    assertThat(ServeCommand.announcement("http://[::]:8080", "data in /d", null))
        .isEqualTo(
            "Tally is listening on all interfaces, port 8080 (data in /d)\n"
                + "open http://[::1]:8080/ for the live dashboard\n");
  }

  @Test
  void aServerOnOneAddressAnnouncesThatAddress() {
    assertThat(ServeCommand.announcement("http://127.0.0.1:8080", "data in /d", "box"))
        .isEqualTo(
            "Tally is listening on http://127.0.0.1:8080 (data in /d)\n"
                + "open http://127.0.0.1:8080/ for the live dashboard\n");
  }
}
