// Package envelope is mpower's sealed envelope, format 1
// (docs/sealed-envelope.md), in Go with golang.org/x/crypto: sealing an
// alert's protected details to the partners entitled to them, and opening
// them, byte for byte as mpower's CLI does. The test checks it against
// docs/sealed-envelope-vectors.json.
package envelope

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/nacl/box"
)

const (
	context          = "mpower-sealed-envelope-v1"
	dataKeyIDContext = "mpower-data-key-id-v1"
	paddingBlock     = 512
	// FormatVersion is the only format this package reads and writes.
	FormatVersion = 1
)

// Wrap is the data key sealed to one key.
type Wrap struct {
	Key           string
	SealedDataKey []byte
}

// Envelope holds the fields of mpower.v1.SealedEnvelope.
type Envelope struct {
	FormatVersion uint32
	SigningKey    string
	Nonce         []byte
	Ciphertext    []byte
	DataKeyID     []byte
	RecipientKeys []string
	Wraps         []Wrap
	Signature     []byte
}

// Recipient is a key to seal to: its name and X25519 public key.
type Recipient struct {
	Key       string
	PublicKey *[32]byte
}

func keyList(names []string) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(names)))
	for _, name := range names {
		out = append(append(out, name...), 0)
	}
	return out
}

// AssociatedData binds the ciphertext to the alert and the exact keys.
func AssociatedData(alert string, names []string) []byte {
	out := append([]byte(context+"\x00"+alert+"\x00"), keyList(names)...)
	return out
}

// SignedBytes is what the signature covers: everything but the wraps.
func SignedBytes(alert string, e *Envelope) []byte {
	out := []byte(context + "\x00" + alert + "\x00" + e.SigningKey + "\x00")
	out = binary.BigEndian.AppendUint32(out, e.FormatVersion)
	out = append(out, e.Nonce...)
	out = append(out, e.DataKeyID...)
	out = append(out, keyList(e.RecipientKeys)...)
	return append(out, e.Ciphertext...)
}

// DataKeyID names a data key without revealing it: keyed BLAKE2b-256.
func DataKeyID(dataKey []byte) []byte {
	hash, err := blake2b.New256(dataKey)
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	hash.Write([]byte(dataKeyIDContext))
	return hash.Sum(nil)
}

// pad is libsodium's sodium_pad (ISO/IEC 7816-4): 0x80, then zeros, to a
// multiple of the block size, always at least one byte.
func pad(data []byte) []byte {
	padded := append(append([]byte{}, data...), 0x80)
	for len(padded)%paddingBlock != 0 {
		padded = append(padded, 0)
	}
	return padded
}

func unpad(padded []byte) ([]byte, error) {
	for i := len(padded) - 1; i >= 0 && i >= len(padded)-paddingBlock; i-- {
		switch padded[i] {
		case 0x80:
			return padded[:i], nil
		case 0:
			continue
		default:
			return nil, errors.New("bad padding")
		}
	}
	return nil, errors.New("bad padding")
}

// Seal seals details for alert to recipients, signed by signingKey. The
// data key and nonce are random unless given (test vectors only).
func Seal(alert string, details []byte, recipients []Recipient, signingKey string,
	signer ed25519.PrivateKey, dataKey, nonce []byte) (*Envelope, error) {
	if dataKey == nil {
		dataKey = make([]byte, chacha20poly1305.KeySize)
		if _, err := rand.Read(dataKey); err != nil {
			return nil, err
		}
	}
	if nonce == nil {
		nonce = make([]byte, chacha20poly1305.NonceSizeX)
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
	}
	sorted := append([]Recipient{}, recipients...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	names := make([]string, len(sorted))
	for i, r := range sorted {
		names[i] = r.Key
	}
	aead, err := chacha20poly1305.NewX(dataKey)
	if err != nil {
		return nil, err
	}
	e := &Envelope{
		FormatVersion: FormatVersion,
		SigningKey:    signingKey,
		Nonce:         nonce,
		Ciphertext:    aead.Seal(nil, nonce, pad(details), AssociatedData(alert, names)),
		DataKeyID:     DataKeyID(dataKey),
		RecipientKeys: names,
	}
	for _, r := range sorted {
		sealed, err := box.SealAnonymous(nil, dataKey, r.PublicKey, rand.Reader)
		if err != nil {
			return nil, err
		}
		e.Wraps = append(e.Wraps, Wrap{Key: r.Key, SealedDataKey: sealed})
	}
	e.Signature = ed25519.Sign(signer, SignedBytes(alert, e))
	return e, nil
}

// Open returns the details e holds for alert, opened with the key keyName
// (its X25519 public and private halves), after checking its shape, that
// signerPublic signed it for this alert, and that the wrap holds the data
// key the signature names. The caller checks first that signerPublic is
// the filing partner's key (or an accepted recovery key of the
// secretariat), and that the alert is the one it asked for.
func Open(alert string, e *Envelope, signerPublic ed25519.PublicKey, keyName string,
	public, private *[32]byte) ([]byte, error) {
	if e.FormatVersion != FormatVersion || len(e.Nonce) != chacha20poly1305.NonceSizeX ||
		len(e.DataKeyID) != 32 || len(e.Signature) != ed25519.SignatureSize ||
		len(e.Ciphertext)%paddingBlock != 16 || !sort.StringsAreSorted(e.RecipientKeys) {
		return nil, errors.New("malformed envelope")
	}
	for i := 1; i < len(e.RecipientKeys); i++ {
		if e.RecipientKeys[i] == e.RecipientKeys[i-1] {
			return nil, errors.New("malformed envelope: a key repeats")
		}
	}
	if !ed25519.Verify(signerPublic, SignedBytes(alert, e), e.Signature) {
		return nil, errors.New("the signature does not verify for this alert")
	}
	listed := sort.SearchStrings(e.RecipientKeys, keyName)
	if listed == len(e.RecipientKeys) || e.RecipientKeys[listed] != keyName {
		return nil, fmt.Errorf("not sealed to %s", keyName)
	}
	for _, wrap := range e.Wraps {
		if wrap.Key != keyName {
			continue
		}
		dataKey, ok := box.OpenAnonymous(nil, wrap.SealedDataKey, public, private)
		if !ok {
			return nil, errors.New("the wrap does not open with this key")
		}
		if string(DataKeyID(dataKey)) != string(e.DataKeyID) {
			return nil, errors.New("the wrap holds another data key than the one signed")
		}
		aead, err := chacha20poly1305.NewX(dataKey)
		if err != nil {
			return nil, err
		}
		padded, err := aead.Open(nil, e.Nonce, e.Ciphertext, AssociatedData(alert, e.RecipientKeys))
		if err != nil {
			return nil, errors.New("the ciphertext does not open")
		}
		return unpad(padded)
	}
	return nil, fmt.Errorf("no wrap for %s", keyName)
}
