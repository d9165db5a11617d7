// The integrator's scenario, in Go: authenticate, page through partners,
// sync a partner's commitments, watch the change feed from the sync's
// revision and see a new alert arrive, and read the field a validation
// error names.
//
// Run it with ./run.sh; it reads MPOWER_ADDRESS and MPOWER_TOKEN.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	mpowerv1 "github.com/mpower-partnership/mpower/gen/go/mpower/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const deadline = 10 * time.Second

func fail(format string, args ...any) {
	fmt.Printf("scenario failed: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	conn, err := grpc.NewClient(os.Getenv("MPOWER_ADDRESS"),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("cannot connect: %v", err)
	}
	defer conn.Close()
	authed := func(timeout time.Duration) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		return metadata.AppendToOutgoingContext(ctx, "authorization",
			"Bearer "+os.Getenv("MPOWER_TOKEN")), cancel
	}
	partners := mpowerv1.NewPartnerServiceClient(conn)

	// 1. Without credentials the server refuses; with the token it answers.
	anonymous, cancel := context.WithTimeout(context.Background(), deadline)
	_, err = partners.ListPartners(anonymous, &mpowerv1.ListPartnersRequest{})
	cancel()
	if status.Code(err) != codes.Unauthenticated {
		fail("expected UNAUTHENTICATED, got %v", err)
	}
	fmt.Println("unauthenticated call refused: UNAUTHENTICATED")

	// 2. Page through every partner, two at a time.
	var names []string
	pages, pageToken := 0, ""
	for {
		ctx, cancel := authed(deadline)
		page, err := partners.ListPartners(ctx, &mpowerv1.ListPartnersRequest{PageSize: 2, PageToken: pageToken})
		cancel()
		if err != nil {
			fail("ListPartners: %v", err)
		}
		pages++
		for _, p := range page.GetPartners() {
			names = append(names, p.GetName())
		}
		if pageToken = page.GetNextPageToken(); pageToken == "" {
			break
		}
	}
	if !strings.Contains(strings.Join(names, " "), "partners/ilo") {
		fail("partners/ilo is not among the partners")
	}
	fmt.Printf("authenticated; partners: %d over %d pages\n", len(names), pages)

	// 3. Sync two of a partner's commitments, keyed by its own ids.
	ctx, cancelSync := authed(deadline)
	sync, err := mpowerv1.NewCommitmentServiceClient(conn).SyncCommitments(ctx)
	if err != nil {
		fail("SyncCommitments: %v", err)
	}
	chunk := &mpowerv1.SyncCommitmentsRequest{Parent: "partners/us-dol"}
	for i, units := range []int64{1_000_000, 2_500_000} {
		id := fmt.Sprintf("GO-GRANT-%d", i+1)
		chunk.Commitments = append(chunk.Commitments, &mpowerv1.Commitment{
			ExternalId:        id,
			Kind:              mpowerv1.Commitment_KIND_FUNDING,
			Title:             "Example grant " + id,
			Amount:            &mpowerv1.Money{CurrencyCode: "USD", Units: units},
			ContributionBasis: mpowerv1.Commitment_CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED,
			RecipientPartner:  "partners/ilo",
		})
	}
	if err := sync.Send(chunk); err != nil {
		fail("sending the set: %v", err)
	}
	if err := sync.CloseSend(); err != nil {
		fail("closing the set: %v", err)
	}
	var summary *mpowerv1.SyncSummary
	for {
		response, err := sync.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail("sync: %v", err)
		}
		if response.GetSummary() != nil {
			summary = response.GetSummary()
		}
	}
	cancelSync()
	if summary == nil || !summary.GetApplied() || summary.GetCreated()+summary.GetUnchanged() != 2 {
		fail("unexpected sync summary: %v", summary)
	}
	fmt.Printf("sync partners/us-dol: %d created, %d updated, %d unchanged at revision %d\n",
		summary.GetCreated(), summary.GetUpdated(), summary.GetUnchanged(), summary.GetRevision())

	// 4. Watch alerts after that revision, file one, and see it arrive.
	watchCtx, cancelWatch := authed(30 * time.Second)
	defer cancelWatch()
	watch, err := mpowerv1.NewChangeServiceClient(conn).WatchChanges(watchCtx, &mpowerv1.WatchChangesRequest{
		AfterRevision: summary.GetRevision(),
		Filter:        &mpowerv1.ChangeFilter{Collections: []string{"alerts"}},
	})
	if err != nil {
		fail("WatchChanges: %v", err)
	}
	alerts := mpowerv1.NewAlertServiceClient(conn)
	alert := &mpowerv1.Alert{
		FilingPartner: "partners/example-union",
		Category:      mpowerv1.Alert_CATEGORY_THREAT_OF_VIOLENCE,
		Severity:      mpowerv1.Alert_SEVERITY_SEVERE,
		Urgency:       mpowerv1.Alert_URGENCY_IMMEDIATE,
		Certainty:     mpowerv1.Alert_CERTAINTY_LIKELY,
		CountryCode:   "ID",
		Headline:      "EXAMPLE: organisers threatened (Go scenario)",
	}
	ctx, cancel = authed(deadline)
	created, err := alerts.CreateAlert(ctx, &mpowerv1.CreateAlertRequest{Alert: alert, RequestId: "go-scenario-alert"})
	cancel()
	if err != nil {
		fail("CreateAlert: %v", err)
	}
	filed := created.GetAlert().GetName()
	fmt.Printf("filed %s\n", filed)
	var seen *mpowerv1.Change
	for seen == nil {
		message, err := watch.Recv()
		if err != nil {
			fail("the watch ended without the alert: %v", err)
		}
		for _, change := range message.GetChanges() {
			if change.GetName() == filed {
				seen = change
			}
		}
	}
	cancelWatch()
	fmt.Printf("watch saw %s at revision %d\n", seen.GetName(), seen.GetRevision())

	// 5. An invalid alert: INVALID_ARGUMENT naming the field.
	alert.CountryCode = "XX"
	ctx, cancel = authed(deadline)
	_, err = alerts.CreateAlert(ctx, &mpowerv1.CreateAlertRequest{Alert: alert})
	cancel()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "alert.country_code") {
		fail("expected INVALID_ARGUMENT naming alert.country_code, got %v", err)
	}
	fmt.Printf("validation error INVALID_ARGUMENT names alert.country_code: %s\n", st.Message())
	// The same as data: a google.rpc.BadRequest among the status details.
	for _, detail := range st.Details() {
		if badRequest, ok := detail.(*errdetails.BadRequest); ok {
			for _, violation := range badRequest.GetFieldViolations() {
				fmt.Printf("field violation: %s: %s\n", violation.GetField(), violation.GetDescription())
			}
		}
	}
	fmt.Println("scenario passed")
}
