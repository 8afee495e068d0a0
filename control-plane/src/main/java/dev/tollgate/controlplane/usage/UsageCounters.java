package dev.tollgate.controlplane.usage;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

/**
 * The usage counters an api key, a provider key and a provider group each carry. Only the usage
 * flush ({@link FlushRepository}) writes them, with SQL; to Hibernate they are read-only, so saving
 * an entity never overwrites counts a flush advanced in the meantime. The admin API shows them as
 * flat fields of the resource.
 */
@Embeddable
public class UsageCounters {

  /** Requests answered. */
  @Column(name = "requests", insertable = false, updatable = false)
  public long requests;

  /** Requests answered with a 2xx status, completely. */
  @Column(name = "success_requests", insertable = false, updatable = false)
  public long successRequests;

  /** Requests answered with any other outcome. */
  @Column(name = "failure_requests", insertable = false, updatable = false)
  public long failureRequests;

  /** Input tokens, as the upstream reported them. */
  @Column(name = "prompt_tokens", insertable = false, updatable = false)
  public long promptTokens;

  /** Output tokens, as the upstream reported them. */
  @Column(name = "completion_tokens", insertable = false, updatable = false)
  public long completionTokens;

  /** Total tokens, as the upstream reported them. */
  @Column(name = "total_tokens", insertable = false, updatable = false)
  public long totalTokens;

  /** Requests answered with 429 (a Tollgate limit or the upstream); also in failure_requests. */
  @Column(name = "rate_limited_requests", insertable = false, updatable = false)
  public long rateLimitedRequests;

  /**
   * Requests whose tokens were estimated from the text because the upstream reported none (e.g. the
   * client disconnected mid-stream); their tokens are in the token counters.
   */
  @Column(name = "estimated_requests", insertable = false, updatable = false)
  public long estimatedRequests;
}
