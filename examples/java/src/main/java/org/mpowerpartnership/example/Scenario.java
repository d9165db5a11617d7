package org.mpowerpartnership.example;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import io.grpc.CallCredentials;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.mpowerpartnership.mpower.v1.Alert;
import org.mpowerpartnership.mpower.v1.AlertServiceGrpc;
import org.mpowerpartnership.mpower.v1.Change;
import org.mpowerpartnership.mpower.v1.ChangeFilter;
import org.mpowerpartnership.mpower.v1.ChangeServiceGrpc;
import org.mpowerpartnership.mpower.v1.Commitment;
import org.mpowerpartnership.mpower.v1.CommitmentServiceGrpc;
import org.mpowerpartnership.mpower.v1.CreateAlertRequest;
import org.mpowerpartnership.mpower.v1.ListPartnersRequest;
import org.mpowerpartnership.mpower.v1.ListPartnersResponse;
import org.mpowerpartnership.mpower.v1.Money;
import org.mpowerpartnership.mpower.v1.PartnerServiceGrpc;
import org.mpowerpartnership.mpower.v1.SyncCommitmentsRequest;
import org.mpowerpartnership.mpower.v1.SyncCommitmentsResponse;
import org.mpowerpartnership.mpower.v1.SyncSummary;
import org.mpowerpartnership.mpower.v1.WatchChangesRequest;
import org.mpowerpartnership.mpower.v1.WatchChangesResponse;

/**
 * The integrator's scenario, in Java: authenticate, page through partners, sync a partner's
 * commitments, watch the change feed from the sync's revision and see a new alert arrive, and
 * read the field a validation error names. Reads MPOWER_ADDRESS and MPOWER_TOKEN.
 */
public final class Scenario {
  private static final long DEADLINE_SECONDS = 10;

  /** Sends the token as `authorization: Bearer ...` on every call. */
  private static final class BearerToken extends CallCredentials {
    private final String token;

    BearerToken(String token) {
      this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      applier.apply(headers);
    }
  }

  private static void fail(String message) {
    System.out.println("scenario failed: " + message);
    System.exit(1);
  }

  public static void main(String[] args) throws Exception {
    ManagedChannel channel =
        Grpc.newChannelBuilder(System.getenv("MPOWER_ADDRESS"), InsecureChannelCredentials.create())
            .build();
    BearerToken token = new BearerToken(System.getenv("MPOWER_TOKEN"));
    try {
      run(channel, token);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static void run(ManagedChannel channel, BearerToken token) throws Exception {
    // 1. Without credentials the server refuses; with the token it answers.
    try {
      PartnerServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .listPartners(ListPartnersRequest.getDefaultInstance());
      fail("an unauthenticated call succeeded");
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNAUTHENTICATED) {
        fail("expected UNAUTHENTICATED, got " + e.getStatus());
      }
    }
    System.out.println("unauthenticated call refused: UNAUTHENTICATED");

    // 2. Page through every partner, two at a time.
    List<String> names = new ArrayList<>();
    int pages = 0;
    String pageToken = "";
    do {
      ListPartnersResponse page =
          PartnerServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(token)
              .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
              .listPartners(
                  ListPartnersRequest.newBuilder().setPageSize(2).setPageToken(pageToken).build());
      pages++;
      page.getPartnersList().forEach(p -> names.add(p.getName()));
      pageToken = page.getNextPageToken();
    } while (!pageToken.isEmpty());
    if (!names.contains("partners/ilo")) fail("partners/ilo is not among the partners");
    System.out.printf("authenticated; partners: %d over %d pages%n", names.size(), pages);

    // 3. Sync two of a partner's commitments, keyed by its own ids.
    SyncCommitmentsRequest.Builder chunk =
        SyncCommitmentsRequest.newBuilder().setParent("partners/us-dol");
    long[] amounts = {1_000_000, 2_500_000};
    for (int i = 0; i < amounts.length; i++) {
      String id = "JAVA-GRANT-" + (i + 1);
      chunk.addCommitments(
          Commitment.newBuilder()
              .setExternalId(id)
              .setKind(Commitment.Kind.KIND_FUNDING)
              .setTitle("Example grant " + id)
              .setAmount(Money.newBuilder().setCurrencyCode("USD").setUnits(amounts[i]))
              .setContributionBasis(Commitment.ContributionBasis.CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED)
              .setRecipientPartner("partners/ilo"));
    }
    CompletableFuture<SyncSummary> done = new CompletableFuture<>();
    StreamObserver<SyncCommitmentsRequest> requests =
        CommitmentServiceGrpc.newStub(channel)
            .withCallCredentials(token)
            .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
            .syncCommitments(
                new StreamObserver<SyncCommitmentsResponse>() {
                  private SyncSummary summary;

                  @Override
                  public void onNext(SyncCommitmentsResponse response) {
                    if (response.hasSummary()) summary = response.getSummary();
                  }

                  @Override
                  public void onError(Throwable error) {
                    done.completeExceptionally(error);
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(summary);
                  }
                });
    requests.onNext(chunk.build());
    requests.onCompleted();
    SyncSummary summary = done.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
    if (summary == null || !summary.getApplied() || summary.getCreated() + summary.getUnchanged() != 2) {
      fail("unexpected sync summary: " + summary);
    }
    System.out.printf(
        "sync partners/us-dol: %d created, %d updated, %d unchanged at revision %d%n",
        summary.getCreated(), summary.getUpdated(), summary.getUnchanged(), summary.getRevision());

    // 4. Watch alerts after that revision, file one, and see it arrive.
    Context.CancellableContext watchContext = Context.current().withCancellation();
    Iterator<WatchChangesResponse> watch =
        watchContext.call(
            () ->
                ChangeServiceGrpc.newBlockingStub(channel)
                    .withCallCredentials(token)
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .watchChanges(
                        WatchChangesRequest.newBuilder()
                            .setAfterRevision(summary.getRevision())
                            .setFilter(ChangeFilter.newBuilder().addCollections("alerts"))
                            .build()));
    AlertServiceGrpc.AlertServiceBlockingStub alerts =
        AlertServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
    Alert.Builder alert =
        Alert.newBuilder()
            .setFilingPartner("partners/example-union")
            .setCategory(Alert.Category.CATEGORY_THREAT_OF_VIOLENCE)
            .setSeverity(Alert.Severity.SEVERITY_SEVERE)
            .setUrgency(Alert.Urgency.URGENCY_IMMEDIATE)
            .setCertainty(Alert.Certainty.CERTAINTY_LIKELY)
            .setCountryCode("ID")
            .setHeadline("EXAMPLE: organisers threatened (Java scenario)");
    String filed =
        alerts
            .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
            .createAlert(
                CreateAlertRequest.newBuilder()
                    .setAlert(alert)
                    .setRequestId("java-scenario-alert")
                    .build())
            .getAlert()
            .getName();
    System.out.println("filed " + filed);
    Change seen = null;
    while (seen == null && watch.hasNext()) {
      for (Change change : watch.next().getChangesList()) {
        if (change.getName().equals(filed)) seen = change;
      }
    }
    watchContext.cancel(null);
    if (seen == null) fail("the watch ended without the alert");
    System.out.printf("watch saw %s at revision %d%n", seen.getName(), seen.getRevision());

    // 5. An invalid alert: INVALID_ARGUMENT naming the field.
    try {
      alerts
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .createAlert(CreateAlertRequest.newBuilder().setAlert(alert.setCountryCode("XX")).build());
      fail("an invalid alert was accepted");
    } catch (StatusRuntimeException e) {
      String description = String.valueOf(e.getStatus().getDescription());
      if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT
          || !description.contains("alert.country_code")) {
        fail("expected INVALID_ARGUMENT naming alert.country_code, got " + e.getStatus());
      }
      System.out.println(
          "validation error INVALID_ARGUMENT names alert.country_code: " + description);
      // The same as data: google.rpc.Status from the trailer, with a BadRequest among its
      // details.
      com.google.rpc.Status rich = StatusProto.fromThrowable(e);
      if (rich == null) fail("the error carries no google.rpc.Status");
      for (Any detail : rich.getDetailsList()) {
        if (detail.is(BadRequest.class)) {
          for (BadRequest.FieldViolation violation :
              detail.unpack(BadRequest.class).getFieldViolationsList()) {
            System.out.printf(
                "field violation: %s: %s%n", violation.getField(), violation.getDescription());
          }
        }
      }
    }
    System.out.println("scenario passed");
  }
}
