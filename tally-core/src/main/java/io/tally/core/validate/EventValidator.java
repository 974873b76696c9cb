package io.tally.core.validate;

import static java.util.Objects.requireNonNull;

import io.tally.model.Event;
import java.time.Instant;

/**
 * Checks events and query parameters against the {@link ValidationLimits}.
 *
 * <ul>
 *   <li>{@code entity}: 1..maxEntityLength characters from {@code A-Z a-z 0-9 : _ . - / @ #};
 *   <li>{@code type}: 1..maxTypeLength characters from {@code a-z 0-9 _ . -};
 *   <li>{@code id}: 1..maxIdLength printable ASCII characters (0x21..0x7e);
 *   <li>{@code actor}: as {@code id} (it is only ever hashed into sketches, never stored);
 *   <li>{@code time}: within [receive time − maxPastMillis, receive time + maxFutureMillis];
 *   <li>{@code value}: 0..maxValue.
 * </ul>
 *
 * <p>Thread-safe and stateless.
 */
public final class EventValidator {
  private final ValidationLimits limits;

  public EventValidator(ValidationLimits limits) {
    this.limits = requireNonNull(limits, "limits");
  }

  public ValidationLimits limits() {
    return limits;
  }

  /** The reason {@code event} is not acceptable at {@code nowMillis}, or {@code null} if it is. */
  public String problem(Event event, long nowMillis) {
    String p = entityProblem(event.entity());
    if (p == null) {
      p = typeProblem(event.type());
    }
    if (p == null && event.id() != null) {
      p = idProblem(event.id());
    }
    if (p == null && event.actor() != null) {
      p =
          check(
              "actor",
              event.actor(),
              limits.maxIdLength(),
              c -> c > 0x20 && c < 0x7f,
              "printable ASCII");
    }
    if (p == null) {
      long t = event.timeMillis();
      if (t < saturatedAdd(nowMillis, -limits.maxPastMillis())) {
        p =
            "time "
                + iso(t)
                + " is older than the accepted "
                + hours(limits.maxPastMillis())
                + " h before now (the minute retention: an older event could not be counted in every granularity)";
      } else if (t > saturatedAdd(nowMillis, limits.maxFutureMillis())) {
        p =
            "time "
                + iso(t)
                + " is more than "
                + hours(limits.maxFutureMillis())
                + " h in the future";
      }
    }
    if (p == null && (event.value() < 0 || event.value() > limits.maxValue())) {
      p = "value must be between 0 and " + limits.maxValue() + ", got " + event.value();
    }
    return p;
  }

  /** The reason {@code entity} is not a valid entity, or {@code null}. */
  public String entityProblem(String entity) {
    return check(
        "entity",
        entity,
        limits.maxEntityLength(),
        EventValidator::isEntityChar,
        "A-Z a-z 0-9 : _ . - / @ #");
  }

  /**
   * The reason {@code prefix} is not a valid entity prefix (a top-K namespace: the entity rules),
   * or {@code null}.
   */
  public String prefixProblem(String prefix) {
    return check(
        "prefix",
        prefix,
        limits.maxEntityLength(),
        EventValidator::isEntityChar,
        "A-Z a-z 0-9 : _ . - / @ #");
  }

  /** The reason {@code type} is not a valid type, or {@code null}. */
  public String typeProblem(String type) {
    return check("type", type, limits.maxTypeLength(), EventValidator::typeChar, "a-z 0-9 _ . -");
  }

  private String idProblem(String id) {
    return check("id", id, limits.maxIdLength(), c -> c > 0x20 && c < 0x7f, "printable ASCII");
  }

  private interface CharRule {
    boolean allows(char c);
  }

  private static String check(
      String field, String s, int maxLength, CharRule rule, String allowed) {
    if (s == null || s.isEmpty()) {
      return field + " must not be empty";
    }
    if (s.length() > maxLength) {
      return field + " is longer than " + maxLength + " characters";
    }
    for (int i = 0; i < s.length(); i++) {
      if (!rule.allows(s.charAt(i))) {
        return field + " may only contain " + allowed + "; found " + describeCharAt(s, i);
      }
    }
    return null;
  }

  /**
   * The character at UTF-16 index {@code i} of {@code s} as {@code "U+1F600 at position 3"}: a
   * whole code point (a surrogate pair is one character, not two halves), its position counted in
   * code points.
   */
  public static String describeCharAt(String s, int i) {
    return String.format("U+%04X at position %d", s.codePointAt(i), s.codePointCount(0, i));
  }

  /** Whether {@code c} may appear in an entity name ({@code A-Z a-z 0-9 : _ . - / @ #}). */
  public static boolean isEntityChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == ':'
        || c == '_'
        || c == '.'
        || c == '-'
        || c == '/'
        || c == '@'
        || c == '#';
  }

  private static boolean typeChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  }

  private static String hours(long millis) {
    return millis % 3_600_000 == 0
        ? Long.toString(millis / 3_600_000)
        : String.format(java.util.Locale.ROOT, "%.2f", millis / 3.6e6);
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? (b < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
  }

  private static String iso(long t) {
    try {
      return Instant.ofEpochMilli(t).toString();
    } catch (RuntimeException e) {
      return t + " ms";
    }
  }
}
