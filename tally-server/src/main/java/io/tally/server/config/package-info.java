/**
 * Tally's configuration: the registry of every key ({@link io.tally.server.config.ConfigKeys}),
 * loading it from defaults, a YAML file, {@code TALLY_*} environment variables and CLI flags
 * ({@link io.tally.server.config.ConfigLoader}), printing the effective result, and mapping it onto
 * the records both modes start from ({@link io.tally.server.config.ConfigMapping}).
 * docs/configuration.md is generated from the same registry.
 */
package io.tally.server.config;
