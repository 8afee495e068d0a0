package dev.tollgate.controlplane.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ConsoleResourceTest {

  @Inject ConsoleAssets assets;

  @Test
  void everyViewAnswersThePageWithAPolicyThatRefusesInlineScript() {
    for (String path :
        List.of(
            "/console",
            "/console/keys",
            "/console/keys/42",
            "/console/users/7",
            "/console/provider-keys/3",
            "/console/audit",
            "/console/sign-in")) {
      Response page = given().get(path);
      page.then()
          .statusCode(200)
          .contentType(containsString("text/html"))
          .header("Cache-Control", "no-store")
          .header("X-Frame-Options", "DENY")
          .header("X-Content-Type-Options", "nosniff");
      String policy = page.getHeader("Content-Security-Policy");
      assertThat(policy)
          .contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'")
          .doesNotContain("unsafe-inline", "unsafe-eval");
      // No inline script for the policy to refuse: every script is a file.
      assertThat(page.asString()).doesNotContainPattern("<script(?![^>]*\\bsrc=)[^>]*>");
    }
  }

  @Test
  void unknownViewIsNotFound() {
    given().get("/console/nope").then().statusCode(404);
    given().get("/console/keys/abc").then().statusCode(404);
  }

  @Test
  void assetsAreServedForGoodUnderTheVersionThePageNames() {
    String page = given().get("/console").asString();
    Matcher script =
        Pattern.compile("src=\"(/console/assets/[0-9a-f]{16}/app\\.js)\"").matcher(page);
    assertThat(script.find()).isTrue();

    given()
        .get(script.group(1))
        .then()
        .statusCode(200)
        .contentType(containsString("text/javascript"))
        .header("Cache-Control", containsString("immutable"))
        .body(not(containsString("eval(")));
    given().get("/console/assets/0000000000000000/app.js").then().statusCode(404);
    given().get("/console/assets/" + assets.version() + "/nope.js").then().statusCode(404);
  }

  @Test
  void thePageNamesEveryFileOfTheConsoleSoTheVersionCoversThemAll() throws IOException {
    Path dir = Path.of("src/main/resources/console/assets");
    try (Stream<Path> files = Files.walk(dir)) {
      List<String> onDisk =
          files
              .filter(Files::isRegularFile)
              .map(f -> dir.relativize(f).toString().replace('\\', '/'))
              .sorted()
              .toList();
      assertThat(assets.all().keySet()).containsExactlyInAnyOrderElementsOf(onDisk);
    }
  }
}
