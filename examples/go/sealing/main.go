// End-to-end sealing from Go, interchangeable with mpower's CLI: it reads
// and writes the CLI's key files, opens what the CLI sealed, and seals what
// the CLI opens (docs/sealed-envelope.md; README, "End-to-end sealing").
//
//	sealing.sh publish partners/P KEY_ID KEY_DIR   make and publish a key
//	sealing.sh open alerts/A KEY_DIR               open an alert's details
//	sealing.sh seal alerts/A KEY_DIR NAME TEXT     seal new details to it
//
// It reads MPOWER_ADDRESS and MPOWER_TOKEN. A real integration also pins
// partners' keys on first use, as the CLI does; this example checks each
// key's proof and fingerprint, and that the signer is the filing
// partner's, but trusts the server's word on which keys exist.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mpower-partnership/mpower/gen/go/envelope"
	mpowerv1 "github.com/mpower-partnership/mpower/gen/go/mpower/v1"
	"golang.org/x/crypto/nacl/box"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "sealing: "+format+"\n", args...)
	os.Exit(1)
}

type client struct {
	alerts   mpowerv1.AlertServiceClient
	keys     mpowerv1.EncryptionKeyServiceClient
	partners mpowerv1.PartnerServiceClient
}

func call() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	return metadata.AppendToOutgoingContext(ctx, "authorization",
		"Bearer "+os.Getenv("MPOWER_TOKEN")), cancel
}

func (c *client) alert(name string) *mpowerv1.Alert {
	ctx, cancel := call()
	defer cancel()
	response, err := c.alerts.GetAlert(ctx, &mpowerv1.GetAlertRequest{Name: name})
	if err != nil {
		fail("GetAlert: %v", err)
	}
	if response.GetAlert().GetName() != name {
		fail("the server answered for %s with another alert", name)
	}
	return response.GetAlert()
}

// checked is key, if its proof binds it to partner and its fingerprint is its own.
func checked(key *mpowerv1.EncryptionKey, partner string) *mpowerv1.EncryptionKey {
	if !strings.HasPrefix(key.GetName(), partner+"/encryptionKeys/") ||
		!ed25519.Verify(key.GetSigningPublicKey(), envelope.ProofMessage(partner,
			key.GetSealingPublicKey(), key.GetSigningPublicKey()), key.GetProofOfPossession()) {
		fail("%s: its proof of possession does not verify for %s", key.GetName(), partner)
	}
	if envelope.Fingerprint(key.GetSealingPublicKey(), key.GetSigningPublicKey()) !=
		key.GetFingerprint() {
		fail("%s: the server's fingerprint is not that of its keys", key.GetName())
	}
	return key
}

func (c *client) activeKeys(partner string) []*mpowerv1.EncryptionKey {
	request := &mpowerv1.ListEncryptionKeysRequest{Parent: partner, Filter: "state = STATE_ACTIVE",
		PageSize: 1000}
	var keys []*mpowerv1.EncryptionKey
	for {
		ctx, cancel := call()
		page, err := c.keys.ListEncryptionKeys(ctx, request)
		cancel()
		if err != nil {
			fail("ListEncryptionKeys: %v", err)
		}
		for _, key := range page.GetEncryptionKeys() {
			if key.GetState() == mpowerv1.EncryptionKey_STATE_ACTIVE {
				keys = append(keys, checked(key, partner))
			}
		}
		if page.GetNextPageToken() == "" {
			return keys
		}
		request.PageToken = page.GetNextPageToken()
	}
}

func (c *client) secretariat() []string {
	ctx, cancel := call()
	defer cancel()
	page, err := c.partners.ListPartners(ctx, &mpowerv1.ListPartnersRequest{
		Filter: "type = TYPE_SECRETARIAT", PageSize: 1000})
	if err != nil {
		fail("ListPartners: %v", err)
	}
	var names []string
	for _, partner := range page.GetPartners() {
		names = append(names, partner.GetName())
	}
	return names
}

func (c *client) publish(partner, id, dir string) {
	public, private, err := box.GenerateKey(rand.Reader)
	if err != nil {
		fail("%v", err)
	}
	_, signing, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fail("%v", err)
	}
	signingPublic := signing.Public().(ed25519.PublicKey)
	ctx, cancel := call()
	defer cancel()
	response, err := c.keys.CreateEncryptionKey(ctx, &mpowerv1.CreateEncryptionKeyRequest{
		Parent: partner, EncryptionKeyId: id, EncryptionKey: &mpowerv1.EncryptionKey{
			DisplayName: "Go example", SealingPublicKey: public[:], SigningPublicKey: signingPublic,
			ProofOfPossession: ed25519.Sign(signing,
				envelope.ProofMessage(partner, public[:], signingPublic))}})
	if err != nil {
		fail("CreateEncryptionKey: %v", err)
	}
	published := response.GetEncryptionKey()
	held := &envelope.HeldKey{SealingPublic: *public, SealingPrivate: *private, Signing: signing}
	if err := envelope.WriteKeyFile(dir, published.GetName(), held); err != nil {
		fail("%v", err)
	}
	fmt.Printf("published %s, fingerprint %s\n", published.GetName(), published.GetFingerprint())
}

func fromProto(m *mpowerv1.SealedEnvelope) *envelope.Envelope {
	e := &envelope.Envelope{FormatVersion: m.GetFormatVersion(), SigningKey: m.GetSigningKey(),
		Nonce: m.GetNonce(), Ciphertext: m.GetCiphertext(), DataKeyID: m.GetDataKeyId(),
		RecipientKeys: m.GetRecipientKeys(), Signature: m.GetSignature()}
	for _, w := range m.GetWraps() {
		e.Wraps = append(e.Wraps, envelope.Wrap{Key: w.GetKey(), SealedDataKey: w.GetSealedDataKey()})
	}
	return e
}

func toProto(e *envelope.Envelope) *mpowerv1.SealedEnvelope {
	m := &mpowerv1.SealedEnvelope{FormatVersion: e.FormatVersion, SigningKey: e.SigningKey,
		Nonce: e.Nonce, Ciphertext: e.Ciphertext, DataKeyId: e.DataKeyID,
		RecipientKeys: e.RecipientKeys, Signature: e.Signature}
	for _, w := range e.Wraps {
		m.Wraps = append(m.Wraps, &mpowerv1.KeyWrap{Key: w.Key, SealedDataKey: w.SealedDataKey})
	}
	return m
}

func (c *client) open(name, dir string) {
	alert := c.alert(name)
	sealed := alert.GetProtectedDetails().GetSealed()
	if sealed == nil {
		fail("%s has no sealed details for this caller", name)
	}
	e := fromProto(sealed)
	signerPartner := e.SigningKey[:max(0, strings.Index(e.SigningKey, "/encryptionKeys/"))]
	if signerPartner != alert.GetFilingPartner() && !slices.Contains(c.secretariat(), signerPartner) {
		fail("%s: signed by %s, neither the filer's nor a recovery key", name, e.SigningKey)
	}
	ctx, cancel := call()
	response, err := c.keys.GetEncryptionKey(ctx, &mpowerv1.GetEncryptionKeyRequest{Name: e.SigningKey})
	cancel()
	if err != nil {
		fail("GetEncryptionKey: %v", err)
	}
	signer := checked(response.GetEncryptionKey(), signerPartner)
	for _, wrap := range e.Wraps {
		held, err := envelope.ReadKeyFile(dir, wrap.Key)
		if err != nil {
			fail("%v", err)
		}
		if held == nil {
			continue
		}
		opened, err := envelope.Open(name, e, signer.GetSigningPublicKey(), wrap.Key,
			&held.SealingPublic, &held.SealingPrivate)
		if err != nil {
			fail("%s: %v", name, err)
		}
		details := &mpowerv1.AlertProtectedDetails{}
		if err := proto.Unmarshal(opened, details); err != nil {
			fail("%s: its sealed details are not details", name)
		}
		var people []string
		for _, person := range details.GetPeople() {
			people = append(people, person.GetFullName())
		}
		fmt.Printf("opened %s with %s, sealed by %s: people: %s; narrative: %s\n", name, wrap.Key,
			e.SigningKey, strings.Join(people, ", "), details.GetNarrative())
		return
	}
	fail("no key in %s opens %s", dir, name)
}

func (c *client) seal(name, dir, fullName, narrative string) {
	alert := c.alert(name)
	entitled := append([]string{alert.GetFilingPartner()}, alert.GetRecipientPartners()...)
	partners := slices.Clone(entitled)
	// The secretariat's recovery keys too, when it has published any.
	for _, partner := range c.secretariat() {
		if !slices.Contains(partners, partner) {
			partners = append(partners, partner)
		}
	}
	var recipients []envelope.Recipient
	var signingKey string
	var signer ed25519.PrivateKey
	for _, partner := range partners {
		keys := c.activeKeys(partner)
		if len(keys) == 0 && slices.Contains(entitled, partner) {
			fail("%s has published no ACTIVE key to seal to", partner)
		}
		for _, key := range keys {
			public := new([32]byte)
			copy(public[:], key.GetSealingPublicKey())
			recipients = append(recipients, envelope.Recipient{Key: key.GetName(), PublicKey: public})
			if partner != alert.GetFilingPartner() || signer != nil {
				continue
			}
			if held, err := envelope.ReadKeyFile(dir, key.GetName()); err == nil && held != nil {
				signingKey, signer = key.GetName(), held.Signing
			}
		}
	}
	if signer == nil {
		fail("%s holds no ACTIVE key of %s to sign with", dir, alert.GetFilingPartner())
	}
	details, err := proto.Marshal(&mpowerv1.AlertProtectedDetails{
		People: []*mpowerv1.AlertProtectedDetails_Person{{FullName: fullName}}, Narrative: narrative})
	if err != nil {
		fail("%v", err)
	}
	e, err := envelope.Seal(name, details, recipients, signingKey, signer, nil, nil)
	if err != nil {
		fail("%v", err)
	}
	ctx, cancel := call()
	defer cancel()
	_, err = c.alerts.UpdateAlert(ctx, &mpowerv1.UpdateAlertRequest{
		Alert: &mpowerv1.Alert{Name: name, Etag: alert.GetEtag(),
			ProtectedDetails: &mpowerv1.AlertProtectedDetails{Sealed: toProto(e)}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"protected_details"}}})
	if err != nil {
		fail("UpdateAlert: %v", err)
	}
	fmt.Printf("sealed %s to %d keys, signed with %s\n", name, len(recipients), signingKey)
}

func main() {
	conn, err := grpc.NewClient(os.Getenv("MPOWER_ADDRESS"),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("cannot connect: %v", err)
	}
	defer conn.Close()
	c := &client{alerts: mpowerv1.NewAlertServiceClient(conn),
		keys:     mpowerv1.NewEncryptionKeyServiceClient(conn),
		partners: mpowerv1.NewPartnerServiceClient(conn)}
	args := os.Args[1:]
	switch {
	case len(args) == 4 && args[0] == "publish":
		c.publish(args[1], args[2], args[3])
	case len(args) == 3 && args[0] == "open":
		c.open(args[1], args[2])
	case len(args) == 5 && args[0] == "seal":
		c.seal(args[1], args[2], args[3], args[4])
	default:
		fail("usage: publish partners/P KEY_ID KEY_DIR | open alerts/A KEY_DIR | " +
			"seal alerts/A KEY_DIR NAME TEXT")
	}
}
