package dev.tollgate.controlplane.config;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import io.vertx.core.http.StreamResetException;
import io.vertx.grpc.server.GrpcServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.jboss.logging.Logger;

/**
 * Tells server-streaming calls (Watch) that the client cancelled them.
 *
 * <p>With gRPC on the HTTP port (Vert.x' gRPC server), a client's RST_STREAM on a stream whose
 * request has already ended is not reported to the call (<a
 * href="https://github.com/eclipse-vertx/vert.x/issues/5562">vert.x#5562</a>, <a
 * href="https://github.com/quarkusio/quarkus/issues/46986">quarkus#46986</a>): the Watch
 * subscription would live on, and ending it later writes trailers on a stream the client has
 * forgotten, which grpc-java answers with GOAWAY for the whole connection. Vert.x does report the
 * reset to the HTTP response, so this interceptor listens there and forwards it as {@code
 * onCancel}, which Quarkus turns into cancelling the Multi.
 *
 * <p>It reaches the Vert.x request through the bridge's private field; if a later Vert.x renames
 * it, start-up logs a warning and streams fall back to {@code tollgate.watch.max-stream-age}.
 */
@GlobalInterceptor
@ApplicationScoped
public class StreamResetInterceptor implements ServerInterceptor {

  private static final Logger LOG = Logger.getLogger(StreamResetInterceptor.class);
  private static final String BRIDGE_CALL =
      "io.vertx.grpc.server.impl.GrpcServiceBridgeImpl$ServerCallImpl";
  private static final Field REQUEST = bridgeRequestField();
  private static final Method DELEGATE = forwardingDelegate();

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> listener = next.startCall(call, headers);
    if (call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
      GrpcServerRequest<?, ?> request = vertxRequest(call);
      if (request != null) {
        request
            .response()
            .exceptionHandler(
                error -> {
                  if (error instanceof StreamResetException) {
                    listener.onCancel();
                  }
                });
      }
    }
    return listener;
  }

  private static GrpcServerRequest<?, ?> vertxRequest(ServerCall<?, ?> call) {
    if (REQUEST == null) {
      return null;
    }
    Object current = call;
    try {
      for (int depth = 0; depth < 10 && current != null; depth++) {
        if (REQUEST.getDeclaringClass().isInstance(current)) {
          return (GrpcServerRequest<?, ?>) REQUEST.get(current);
        }
        if (!(current instanceof ForwardingServerCall<?, ?>) || DELEGATE == null) {
          return null;
        }
        current = DELEGATE.invoke(current);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debugf("Cannot reach the Vert.x request of a gRPC call: %s", e);
    }
    return null;
  }

  private static Field bridgeRequestField() {
    try {
      Field field = Class.forName(BRIDGE_CALL).getDeclaredField("req");
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warnf(
          "Cannot watch for client cancels of gRPC streams (%s); Watch streams end only at their"
              + " maximum age",
          e.toString());
      return null;
    }
  }

  private static Method forwardingDelegate() {
    try {
      Method method = ForwardingServerCall.class.getDeclaredMethod("delegate");
      method.setAccessible(true);
      return method;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
