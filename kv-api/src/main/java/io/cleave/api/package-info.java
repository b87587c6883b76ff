/**
 * The Java side of Cleave's contract: the {@link io.cleave.api.ValuePerKey} SPI that users
 * implement, codecs, the routing-key function shared by client and server, and input limits.
 * Generated protobuf types live in {@code io.cleave.api.v1} (public) and {@code
 * io.cleave.internal.v1} (node-internal).
 */
package io.cleave.api;
