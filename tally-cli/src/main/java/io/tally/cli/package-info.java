/**
 * The {@code tally} command line (picocli): serve, send, stats, total, bench; the demo cluster's
 * {@code cluster up|status|down} lives in {@code io.tally.cli.cluster}.
 */
package io.tally.cli;
