package dev.tollgate.dataplane.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.auth.AuthFailure;
import dev.tollgate.dataplane.routing.Unavailable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The catalogue of client errors, and the table of it in docs/architecture.md. */
class ClientErrorTest {

  private static final Path DOC = Path.of("..", "docs", "architecture.md");

  /** "status code" pairs of the doc's "Client errors" table. */
  private static Set<String> documented() throws IOException {
    String doc = Files.readString(DOC);
    int start = doc.indexOf("### Client errors");
    String section = doc.substring(start, doc.indexOf("\n### ", start + 1));
    Set<String> pairs = new HashSet<>();
    for (String line : section.split("\n")) {
      Matcher row = Pattern.compile("^\\| (\\d{3}) \\| (.*?) \\|").matcher(line);
      if (row.find()) {
        Matcher code = Pattern.compile("`([a-z_]+)`").matcher(row.group(2));
        while (code.find()) {
          pairs.add(row.group(1) + " " + code.group(1));
        }
      }
    }
    return pairs;
  }

  @Test
  void everyErrorOfTheCatalogueIsDocumentedAndNothingElse() throws IOException {
    Set<String> catalogue = new HashSet<>();
    for (ClientError error : ClientError.values()) {
      catalogue.add(error.status + " " + error.code);
    }

    assertThat(documented()).containsExactlyInAnyOrderElementsOf(catalogue);
  }

  @Test
  void everyAuthenticationFailureAndUnavailabilityHasItsEntryWithTheSameStatus() {
    for (AuthFailure failure : AuthFailure.values()) {
      ClientError error = ClientError.of(failure);
      assertThat(error.status).isEqualTo(failure.status());
      assertThat(error.code).isEqualTo(failure.code());
      assertThat(error.message()).isEqualTo(failure.message());
    }
    for (Unavailable.Reason reason : Unavailable.Reason.values()) {
      assertThat(ClientError.of(reason).status).isEqualTo(reason.status);
    }
  }

  @Test
  void typesFollowOpenAisByStatusUnlessARateLimitNamesItsOwn() {
    assertThat(ClientError.MODEL_NOT_FOUND.type).isEqualTo("invalid_request_error");
    assertThat(ClientError.UPSTREAM_ERROR.type).isEqualTo("server_error");
    assertThat(ClientError.QUOTA_EXHAUSTED.type).isEqualTo("insufficient_quota");
    assertThat(ClientError.UPSTREAM_RATE_LIMITED.type).isEqualTo("requests");
  }

  @Test
  void fillsTheMessagesPatternWithWhatItNames() {
    assertThat(ClientError.REQUEST_TOO_LARGE.message(65536))
        .isEqualTo("The request body exceeds 65536 bytes.");
    assertThat(ClientError.DUPLICATE_MEMBER.message("model")).contains("`model`");
  }
}
