/**
 * The {@code tally} command line (picocli): serve, config, send, stats, total, top, bench; the
 * configuration flags of serve and config come from the key registry ({@link
 * io.tally.cli.ConfigFlags}); the demo cluster's {@code cluster up|status|down} lives in {@code
 * io.tally.cli.cluster}.
 */
package io.tally.cli;
