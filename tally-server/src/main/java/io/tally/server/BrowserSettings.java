package io.tally.server;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * What browsers on other sites may do: the origins allowed to call the API from a page (CORS and
 * the {@code /tally.js} beacon). Default: none — a page on another origin cannot send events or
 * read answers; same-origin pages and non-browser clients are unaffected.
 *
 * @param corsOrigins exact origins such as {@code https://shop.example} or {@code
 *     http://localhost:3000} (scheme, host and port; no path), or {@code *} for any ({@code
 *     --cors-origin}, repeatable)
 */
public record BrowserSettings(List<String> corsOrigins) {
  public BrowserSettings {
    corsOrigins = corsOrigins.stream().map(BrowserSettings::normalize).toList();
  }

  /** Whether a page from {@code origin} (the request's Origin header) may call the API. */
  public boolean allows(String origin) {
    String o = origin.toLowerCase(Locale.ROOT);
    return corsOrigins.contains("*") || corsOrigins.contains(o);
  }

  private static String normalize(String origin) {
    if (origin.equals("*")) {
      return origin;
    }
    URI uri;
    try {
      uri = new URI(origin);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(
          "CORS origin '" + origin + "' is not a URL: " + e.getMessage(), e);
    }
    if (uri.getScheme() == null
        || uri.getHost() == null
        || !(uri.getPath() == null || uri.getPath().isEmpty())
        || uri.getQuery() != null
        || uri.getFragment() != null
        || uri.getUserInfo() != null) {
      throw new IllegalArgumentException(
          "CORS origin must be scheme://host[:port] with no path, e.g. https://shop.example, or *; got '"
              + origin
              + "'");
    }
    return origin.toLowerCase(Locale.ROOT);
  }
}
