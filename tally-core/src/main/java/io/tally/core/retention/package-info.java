/** Retention per granularity and the time ranges that make expiring it cheap. */
package io.tally.core.retention;
