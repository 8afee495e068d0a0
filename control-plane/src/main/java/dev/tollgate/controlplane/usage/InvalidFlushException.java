package dev.tollgate.controlplane.usage;

/** A batch that must be rejected whole: nothing of it is applied. The message names the problem. */
public final class InvalidFlushException extends RuntimeException {

  public InvalidFlushException(String message) {
    super(message);
  }
}
