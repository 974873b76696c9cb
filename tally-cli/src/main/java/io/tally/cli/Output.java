package io.tally.cli;

import java.net.http.HttpResponse;

/**
 * Prints a server answer: the body on stdout when it succeeded, on stderr with the status
 * otherwise.
 */
final class Output {
  private Output() {}

  static int print(HttpResponse<String> r) {
    if (r.statusCode() / 100 == 2) {
      System.out.println(r.body());
      return 0;
    }
    System.err.println("HTTP " + r.statusCode() + " " + r.body());
    return 1;
  }
}
