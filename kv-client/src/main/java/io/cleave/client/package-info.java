/**
 * The Cleave client SDK. Start at {@link io.cleave.client.CleaveClient}: it routes every call
 * straight to the leader of the shard that owns the key, repairs its routing cache from the errors
 * nodes send after a split, merge or leader change, and retries within each call's deadline.
 *
 * <p>Every data call exists in two forms: asynchronous on {@link io.cleave.client.CleaveClient} (a
 * {@link java.util.concurrent.CompletableFuture}) and blocking on {@link
 * io.cleave.client.BlockingClient} ({@code client.blocking()}), which waits and rethrows the {@link
 * io.cleave.client.CleaveException} unwrapped. Keys and values are {@link io.cleave.client.Bytes};
 * per-call choices are immutable option objects ({@link io.cleave.client.ReadOptions}, {@link
 * io.cleave.client.WriteOptions}).
 */
package io.cleave.client;
