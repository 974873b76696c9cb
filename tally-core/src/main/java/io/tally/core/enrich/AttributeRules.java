package io.tally.core.enrich;

import io.tally.core.validate.EventValidator;
import java.util.Map;

/**
 * The limits on attributes, fixed so that every derived entity {@code name:value} is a valid entity
 * of at most 64 + 1 + 128 characters:
 *
 * <ul>
 *   <li>at most {@value #MAX_ATTRIBUTES} attributes per entity;
 *   <li>names: 1..{@value #MAX_NAME_LENGTH} characters from {@code a-z 0-9 _};
 *   <li>values: 1..{@value #MAX_VALUE_LENGTH} entity characters ({@code A-Z a-z 0-9 : _ . - / @
 *       #}).
 * </ul>
 *
 * <p>Stateless.
 */
final class AttributeRules {
  public static final int MAX_ATTRIBUTES = 32;
  public static final int MAX_NAME_LENGTH = 64;
  public static final int MAX_VALUE_LENGTH = 128;

  private AttributeRules() {}

  /** The reason {@code attributes} are not acceptable, or {@code null}. */
  public static String problem(Map<String, String> attributes) {
    if (attributes.size() > MAX_ATTRIBUTES) {
      return "at most " + MAX_ATTRIBUTES + " attributes per entity, got " + attributes.size();
    }
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      String p = nameProblem(e.getKey());
      if (p == null) {
        p = valueProblem(e.getKey(), e.getValue());
      }
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** The reason {@code name} is not an attribute name, or {@code null}. */
  public static String nameProblem(String name) {
    if (name == null || name.isEmpty()) {
      return "attribute names must not be empty";
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "attribute name '"
          + name.substring(0, 20)
          + "…' is longer than "
          + MAX_NAME_LENGTH
          + " characters";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        return "attribute name '"
            + name
            + "' may only contain a-z 0-9 _; found "
            + EventValidator.describeCharAt(name, i);
      }
    }
    return null;
  }

  private static String valueProblem(String name, String value) {
    if (value == null || value.isEmpty()) {
      return "attribute '" + name + "' must not be empty";
    }
    if (value.length() > MAX_VALUE_LENGTH) {
      return "attribute '" + name + "' is longer than " + MAX_VALUE_LENGTH + " characters";
    }
    for (int i = 0; i < value.length(); i++) {
      if (!EventValidator.isEntityChar(value.charAt(i))) {
        return "attribute '"
            + name
            + "' may only contain A-Z a-z 0-9 : _ . - / @ #; found "
            + EventValidator.describeCharAt(value, i);
      }
    }
    return null;
  }
}
