/** The value types every node knows without plugins: {@code bytes} and {@code counter}. */
package io.cleave.api.types;
