/** The documented limits every ingested event must meet, and their enforcement. */
package io.tally.core.validate;
