package dev.tollgate.bench.stub;

import io.vertx.core.MultiMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a stub saw, by the {@code x-request-id} of each request: the request headers and whether the
 * caller went away before the answer ended. Only tests pass one to {@link StubUpstream#deploy}; the
 * benchmark stub records nothing, so its memory stays flat under load.
 */
public final class StubJournal {

  private final Map<String, MultiMap> headers = new ConcurrentHashMap<>();
  private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
  private final Set<String> completed = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicLong> written = new ConcurrentHashMap<>();

  /** The counter of streamed bytes handed to the connection for this request. */
  AtomicLong writtenCounter(String requestId) {
    return written.computeIfAbsent(requestId == null ? "" : requestId, id -> new AtomicLong());
  }

  /**
   * Bytes of a streamed answer handed to the connection so far for the request with this id (a
   * stream is written only as fast as its reader reads, give or take the buffers in between).
   */
  public long streamedBytes(String requestId) {
    AtomicLong counter = written.get(requestId);
    return counter == null ? 0 : counter.get();
  }

  void received(String requestId, MultiMap requestHeaders) {
    if (requestId != null) {
      headers.put(requestId, MultiMap.caseInsensitiveMultiMap().addAll(requestHeaders));
    }
  }

  void ended(String requestId, boolean complete) {
    if (requestId != null) {
      (complete ? completed : cancelled).add(requestId);
    }
  }

  /** The headers of the request with this id, or null when none arrived. */
  public MultiMap headers(String requestId) {
    return headers.get(requestId);
  }

  /** Whether the connection of the request with this id closed before its answer ended. */
  public boolean cancelled(String requestId) {
    return cancelled.contains(requestId);
  }

  /** Whether the answer to the request with this id was written to the end. */
  public boolean completed(String requestId) {
    return completed.contains(requestId);
  }
}
