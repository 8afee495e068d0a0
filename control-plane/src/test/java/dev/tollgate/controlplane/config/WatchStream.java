package dev.tollgate.controlplane.config;

import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.WatchRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A Watch call seen from a test: its messages in a queue, its end, and a way to cancel it. */
final class WatchStream implements ClientResponseObserver<WatchRequest, ConfigChange> {

  final BlockingQueue<ConfigChange> messages = new LinkedBlockingQueue<>();
  final CompletableFuture<Throwable> ended = new CompletableFuture<>();
  private volatile ClientCallStreamObserver<WatchRequest> call;

  @Override
  public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
    this.call = requestStream;
  }

  @Override
  public void onNext(ConfigChange value) {
    messages.add(value);
  }

  @Override
  public void onError(Throwable t) {
    ended.complete(t);
  }

  @Override
  public void onCompleted() {
    ended.complete(null);
  }

  ConfigChange next(Duration timeout) throws InterruptedException {
    ConfigChange message = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (message == null) {
      throw new AssertionError("no Watch message within " + timeout);
    }
    return message;
  }

  /** Waits for the first message matching {@code condition}, skipping others (heartbeats). */
  ConfigChange awaitMatching(Predicate<ConfigChange> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      ConfigChange message = left <= 0 ? null : messages.poll(left, TimeUnit.NANOSECONDS);
      if (message == null) {
        throw new AssertionError("no matching Watch message within " + timeout);
      }
      if (condition.test(message)) {
        return message;
      }
    }
  }

  void cancel() {
    call.cancel("test done", null);
  }
}
