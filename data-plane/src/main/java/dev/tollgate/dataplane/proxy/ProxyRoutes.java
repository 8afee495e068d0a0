package dev.tollgate.dataplane.proxy;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Mounts the OpenAI-compatible endpoints on Quarkus' Vert.x router. Plain Vert.x routes rather than
 * JAX-RS: no body handler buffering, no worker hop, the handler runs on the accepting event loop.
 */
@ApplicationScoped
public class ProxyRoutes {

  void mount(@Observes Router router, ProxyPipeline pipeline) {
    router.post("/v1/chat/completions").handler(pipeline::chatCompletions);
    router.post("/v1/completions").handler(pipeline::completions);
    router.post("/v1/embeddings").handler(pipeline::embeddings);
    router.post("/v1/responses").handler(pipeline::responses);
    router.post("/v1/messages").handler(pipeline::messages);
    router.get("/v1/models").handler(pipeline::models);
    // Anything else under /v1 gets an OpenAI-shaped 404 rather than Quarkus' HTML page, so SDKs
    // can parse it.
    router.route("/v1/*").handler(pipeline::unknownEndpoint);
  }
}
