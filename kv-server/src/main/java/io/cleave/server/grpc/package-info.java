/**
 * The node's gRPC services: validate, find the local replica, hand the request to Ratis in process,
 * and map every outcome to a status in one place ({@link io.cleave.server.grpc.GrpcErrors}).
 */
package io.cleave.server.grpc;
