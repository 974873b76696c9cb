package io.tally.server.config;

import io.tally.model.TallyException;

/**
 * The configuration is wrong: an unknown key, a bad value or a conflict. The message is one line
 * that names the key, where its value came from and what is allowed, fit to print as is.
 */
public final class ConfigException extends TallyException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
