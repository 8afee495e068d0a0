package dev.tollgate.dataplane.proxy;

/**
 * The proxied endpoints: where each goes upstream, which provider groups may serve it, in which
 * shape its errors are written, and whether streamed usage must be asked for.
 */
enum ApiEndpoint {
  CHAT_COMPLETIONS("/chat/completions", Dialect.OPENAI, true),
  COMPLETIONS("/completions", Dialect.OPENAI, true),
  EMBEDDINGS("/embeddings", Dialect.OPENAI, false),
  RESPONSES("/responses", Dialect.OPENAI, false),
  MESSAGES("/messages", Dialect.ANTHROPIC, false);

  /** The two API families: OpenAI's and Anthropic's. */
  enum Dialect {
    /** Bearer auth, {@code {"error":{message,type,code}}}, groups of any platform but anthropic. */
    OPENAI,
    /** {@code x-api-key} or bearer auth, {@code {"type":"error","error":{type,message}}}. */
    ANTHROPIC;

    /** Whether a provider group of this platform speaks this dialect. */
    boolean serves(String platform) {
      return (this == ANTHROPIC) == PLATFORM_ANTHROPIC.equals(platform);
    }
  }

  /** {@code provider_group.platform} of groups serving {@code /v1/messages}. */
  static final String PLATFORM_ANTHROPIC = "anthropic";

  /** Appended to the provider key's base_url (which ends in /v1, as the SDKs write it). */
  final String upstreamPath;

  final Dialect dialect;

  /**
   * Whether streamed usage is opt-in ({@code stream_options.include_usage}), so the gateway asks
   * for it on the client's behalf and hides it again; the other endpoints always stream usage.
   */
  final boolean streamUsageOptIn;

  ApiEndpoint(String upstreamPath, Dialect dialect, boolean streamUsageOptIn) {
    this.upstreamPath = upstreamPath;
    this.dialect = dialect;
    this.streamUsageOptIn = streamUsageOptIn;
  }
}
