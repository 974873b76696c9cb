/** Binary layouts of events shared by every event log implementation. */
package io.tally.core.codec;
