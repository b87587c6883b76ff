/**
 * The node's one RocksDB and its key layout. Knows neither Ratis nor gRPC: shards are key ranges
 * here, and their metadata is a handful of keys beside the data.
 */
package io.cleave.server.storage;
