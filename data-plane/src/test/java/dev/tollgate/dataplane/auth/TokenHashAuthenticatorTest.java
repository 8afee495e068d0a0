package dev.tollgate.dataplane.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.config.CidrBlock;
import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.dataplane.upstream.TokenUsage;
import dev.tollgate.dataplane.usage.InMemoryUsageMeter;
import dev.tollgate.dataplane.usage.RequestOutcome;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.usage.v1.FlushRequest;
import org.junit.jupiter.api.Test;

class TokenHashAuthenticatorTest {

  private static final byte[] CLIENT = CidrBlock.numericAddress("203.0.113.7");

  private final InMemoryUsageMeter meter = new InMemoryUsageMeter(10);
  private final TokenHashAuthenticator authenticator = new TokenHashAuthenticator(meter);

  private static ConfigView viewWith(ApiKey.Builder key) {
    return ConfigView.of(
        1,
        SnapshotChunk.newBuilder()
            .addUsers(User.newBuilder().setId(1).setStatus(Status.STATUS_ACTIVE))
            .addKeys(key)
            .build());
  }

  private static ApiKey.Builder key(String secret) {
    return ApiKey.newBuilder()
        .setId(7)
        .setUserId(1)
        .setTokenHash(TokenHashAuthenticator.sha256Hex(secret))
        .setStatus(Status.STATUS_ACTIVE)
        .setQuotaLimit(-1);
  }

  private void recordTokens(long tokens) {
    meter.record(
        new RequestOutcome(
            7,
            0,
            "m",
            "m",
            200,
            true,
            new TokenUsage(0, tokens, tokens),
            false,
            0,
            1,
            null,
            null,
            "r",
            java.util.List.of()));
  }

  @Test
  void refusesAnAddressInTheDenyListEvenWhenTheAllowListHasIt() {
    // Given
    ConfigView view = viewWith(key("tg-a").addIpAllow("203.0.113.0/24").addIpDeny("203.0.113.7"));

    // When
    Authenticator.Result result = authenticator.authenticate("Bearer tg-a", CLIENT, view, 0);

    // Then
    assertThat(result.failure()).isEqualTo(AuthFailure.IP_NOT_ALLOWED);
    assertThat(result.failure().status()).isEqualTo(403);
  }

  @Test
  void admitsAnAddressInTheAllowListAndRefusesOneOutsideIt() {
    ConfigView view =
        viewWith(key("tg-a").addIpAllow("2001:db8::/32").addIpAllow("203.0.113.0/24"));
    assertThat(authenticator.authenticate("Bearer tg-a", CLIENT, view, 0).ok()).isTrue();
    assertThat(
            authenticator
                .authenticate("Bearer tg-a", CidrBlock.numericAddress("2001:db8::5"), view, 0)
                .ok())
        .isTrue();
    assertThat(
            authenticator
                .authenticate("Bearer tg-a", CidrBlock.numericAddress("198.51.100.1"), view, 0)
                .failure())
        .isEqualTo(AuthFailure.IP_NOT_ALLOWED);
  }

  @Test
  void refusesAModelOutsideTheAllowList() {
    ConfigView view = viewWith(key("tg-a").addAllowedModels("gpt-4o-mini"));
    ApiKey key = view.keyByTokenHash(TokenHashAuthenticator.sha256Hex("tg-a"));
    assertThat(authenticator.checkModel(key, "gpt-4o-mini", view)).isNull();
    assertThat(authenticator.checkModel(key, "gpt-4o", view))
        .isEqualTo(AuthFailure.MODEL_NOT_ALLOWED);
  }

  @Test
  void countsUnflushedTokensAgainstTheQuotaUntilTheirBatchIsAcknowledged() {
    // Given a quota of 100 tokens of which the replica says 60 are used
    ConfigView view = viewWith(key("tg-a").setQuotaLimit(100).setQuotaUsed(60));
    assertThat(authenticator.authenticate("Bearer tg-a", CLIENT, view, 0).ok()).isTrue();

    // When this replica counts 40 more tokens and drains them into a batch not yet acknowledged
    recordTokens(40);
    FlushRequest batch = meter.drain();

    // Then the key is refused with 429 quota_exceeded
    Authenticator.Result refused = authenticator.authenticate("Bearer tg-a", CLIENT, view, 0);
    assertThat(refused.failure()).isEqualTo(AuthFailure.QUOTA_EXHAUSTED);
    assertThat(refused.failure().status()).isEqualTo(429);
    assertThat(refused.failure().code()).isEqualTo("quota_exceeded");

    // And once acknowledged, those tokens are the control plane's to count in quota_used
    meter.acknowledged(batch);
    assertThat(meter.unflushedTokens(7)).isZero();
    assertThat(authenticator.authenticate("Bearer tg-a", CLIENT, view, 0).ok()).isTrue();
  }

  @Test
  void aQuotaOfZeroAdmitsNothingAndMinusOneIsUnlimited() {
    assertThat(
            authenticator
                .authenticate("Bearer tg-a", CLIENT, viewWith(key("tg-a").setQuotaLimit(0)), 0)
                .failure())
        .isEqualTo(AuthFailure.QUOTA_EXHAUSTED);
    recordTokens(1_000_000);
    assertThat(
            authenticator
                .authenticate("Bearer tg-a", CLIENT, viewWith(key("tg-a").setQuotaLimit(-1)), 0)
                .ok())
        .isTrue();
  }
}
