package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The limit stage of the pipeline against the real Redis (see TestRedis). */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class ProxyPipelineLimitsTest {

  @TestHTTPResource("/v1/chat/completions")
  URI chatCompletions;

  private static final String BODY =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          + "\"max_tokens\":1}";

  private static Response post(String secret) {
    return given()
        .header("Authorization", "Bearer " + secret)
        .contentType("application/json")
        .body(BODY)
        .post("/v1/chat/completions");
  }

  @Test
  void refusesTheRequestOverTheKeysRpmWith429RetryAfterAndTheScope() {
    // Given a key allowing 2 requests per minute
    // When 3 come
    Response first = post(RPM_SECRET);
    Response second = post(RPM_SECRET);
    Response third = post(RPM_SECRET);

    // Then the third is refused as OpenAI refuses a rate limit, naming the key's RPM
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.jsonPath().getString("error.code")).isEqualTo("rate_limit_exceeded");
    assertThat(third.jsonPath().getString("error.type")).isEqualTo("requests");
    assertThat(third.jsonPath().getString("error.message")).contains("key_rpm");
    assertThat(Long.parseLong(third.header("Retry-After"))).isBetween(1L, 60L);
  }

  @Test
  void aConcurrencyLeaseIsGivenBackWhenTheClientDisconnectsMidStream() throws Exception {
    // Given a key allowing one request in flight, holding it with a slow stream
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest slow =
        HttpRequest.newBuilder(chatCompletions)
            .header("Authorization", "Bearer " + CONCURRENCY_SECRET)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"max_tokens\":40,\"stream\":true,"
                        + "\"x_stub\":{\"chunk_delay_ms\":200}}"))
            .build();
    HttpResponse<InputStream> holding =
        client.send(slow, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(holding.statusCode()).isEqualTo(200);
    holding.body().read();

    // Then a second request is refused by the key's concurrency
    Response refused = post(CONCURRENCY_SECRET);
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.jsonPath().getString("error.message")).contains("key_concurrency");
    assertThat(refused.header("Retry-After")).isEqualTo("1");

    // When the client of the first goes away mid-stream
    holding.body().close();

    // Then its lease is released and the key can be used again
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertThat(post(CONCURRENCY_SECRET).statusCode()).isEqualTo(200));
  }
}
