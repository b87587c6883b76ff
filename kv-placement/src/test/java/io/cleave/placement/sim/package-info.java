/**
 * A simulator of large clusters for the placement policy: workload models (uniform, Zipf, growing,
 * shrinking), a cluster that carries out the decider's splits and merges, and the invariants it
 * must keep (shard bounds, concurrency, no flapping, convergence).
 */
package io.cleave.placement.sim;
