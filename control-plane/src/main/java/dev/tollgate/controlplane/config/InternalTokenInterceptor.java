package dev.tollgate.controlplane.config;

import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.controlplane.admin.AdminAuthFilter;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;

/**
 * Requires {@code authorization: Bearer <TOLLGATE_INTERNAL_TOKEN>} on every gRPC call to this
 * process (config and usage alike); anything else ends with UNAUTHENTICATED before the service sees
 * the call. Digests are compared in constant time so timing reveals nothing of the token.
 */
@GlobalInterceptor
@ApplicationScoped
public class InternalTokenInterceptor implements ServerInterceptor {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";

  private final byte[] expectedDigest;

  InternalTokenInterceptor(ControlPlaneConfig config) {
    this.expectedDigest = AdminAuthFilter.sha256(config.internalToken());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String header = headers.get(AUTHORIZATION);
    if (header != null
        && header.regionMatches(true, 0, BEARER, 0, BEARER.length())
        && MessageDigest.isEqual(
            expectedDigest, AdminAuthFilter.sha256(header.substring(BEARER.length()).trim()))) {
      return next.startCall(call, headers);
    }
    call.close(
        Status.UNAUTHENTICATED.withDescription(
            "send metadata authorization: Bearer <TOLLGATE_INTERNAL_TOKEN>"),
        new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
