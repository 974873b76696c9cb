package io.tally.server.security;

import java.util.regex.Pattern;

/**
 * Removes credentials from text that is logged or echoed in an answer: the one redaction every log
 * line and error message about a request goes through ({@link SecurityGate}, {@link AuditLog}, the
 * HTTP API's error answers). It removes
 *
 * <ul>
 *   <li>API key tokens ({@code tly_sk_<id>_<secret>}, {@code tly_pk_…}): the secret part, keeping
 *       the kind and the public id so an operator can still tell which key it was;
 *   <li>the value of a {@code key} query parameter, whatever it holds (it may be percent-encoded),
 *       and of a {@code password} parameter (a JDBC URL's);
 *   <li>the credential after {@code Bearer} or {@code Authorization:}.
 * </ul>
 *
 * Stateless and thread-safe.
 */
public final class Credentials {
  /** What a removed credential is replaced with. */
  public static final String REDACTED = "[redacted]";

  private static final Pattern TOKEN =
      Pattern.compile("(tly_[a-zA-Z]{2}_)(?:([0-9a-f]{12})_)?[A-Za-z0-9_\\-]*");
  private static final Pattern KEY_PARAM =
      Pattern.compile("(?i)(^|[?&;\\s])((?:key|api_key|apikey|token|password)=)[^&\\s\"']*");
  private static final Pattern AUTHORIZATION =
      Pattern.compile(
          "\\b((?i:authorization\\s*[:=]\\s*)?(?:Bearer|bearer|Basic)\\s+|(?i:authorization\\s*[:=]\\s*))"
              + "[^\\s,;\"']+");

  private Credentials() {}

  /** {@code text} with every credential in it replaced by {@value #REDACTED}; null stays null. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String s = KEY_PARAM.matcher(text).replaceAll("$1$2" + REDACTED);
    s = AUTHORIZATION.matcher(s).replaceAll("$1" + REDACTED);
    return TOKEN
        .matcher(s)
        .replaceAll(m -> m.group(1) + (m.group(2) == null ? "" : m.group(2) + "_") + REDACTED);
  }
}
