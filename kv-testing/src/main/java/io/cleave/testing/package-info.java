/**
 * Test harnesses: {@link io.cleave.testing.MiniCluster} runs nodes in process on loopback ports the
 * OS picks; the history package records and checks linearizability.
 */
package io.cleave.testing;
