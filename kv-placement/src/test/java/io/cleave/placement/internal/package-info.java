/** Tests of routing-space arithmetic. */
package io.cleave.placement.internal;
