package envelope

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

const (
	proofContext       = "mpower-encryption-key-v1"
	fingerprintContext = "mpower-key-fingerprint-v1"
)

// ProofMessage is what a key's proof of possession signs: both public keys,
// bound to the partner (partners/{id}).
func ProofMessage(partner string, sealingPublic, signingPublic []byte) []byte {
	out := []byte(proofContext + "\x00" + partner + "\x00")
	return append(append(out, sealingPublic...), signingPublic...)
}

// Fingerprint is what people compare aloud: eight groups of five digits.
func Fingerprint(sealingPublic, signingPublic []byte) string {
	input := append([]byte(fingerprintContext+"\x00"), sealingPublic...)
	digest := sha512.Sum512(append(input, signingPublic...))
	groups := make([]string, 8)
	for i := range groups {
		value := new(big.Int).SetBytes(digest[i*5 : i*5+5])
		groups[i] = fmt.Sprintf("%05d", new(big.Int).Mod(value, big.NewInt(100000)).Int64())
	}
	return strings.Join(groups, " ")
}

// HeldKey is a key whose private halves mpower's CLI keeps.
type HeldKey struct {
	SealingPublic, SealingPrivate [32]byte
	Signing                       ed25519.PrivateKey
}

// KeyFile is where the CLI keeps a key's private halves:
// DIR/{partner id}/{key id}.key for partners/{partner}/encryptionKeys/{key}.
func KeyFile(dir, keyName string) string {
	parts := strings.Split(keyName, "/")
	return filepath.Join(dir, parts[1], parts[3]+".key")
}

// WriteKeyFile writes a key as `mpower keys generate` does (not under a
// passphrase), owner-only, so that the CLI holds it too.
func WriteKeyFile(dir, keyName string, key *HeldKey) error {
	path := KeyFile(dir, keyName)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b64 := base64.StdEncoding.EncodeToString
	signingPublic := key.Signing.Public().(ed25519.PublicKey)
	text := "# mpower private key: never share this file; back it up offline.\n" +
		"parent = " + keyName[:strings.Index(keyName, "/encryptionKeys/")] + "\n" +
		"fingerprint = " + Fingerprint(key.SealingPublic[:], signingPublic) + "\n" +
		"sealing_public_key = " + b64(key.SealingPublic[:]) + "\n" +
		"signing_public_key = " + b64(signingPublic) + "\n" +
		"sealing_secret_key = " + b64(key.SealingPrivate[:]) + "\n" +
		"signing_secret_key = " + b64(key.Signing) + "\n"
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := file.WriteString(text); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// ReadKeyFile is the key the CLI keeps in dir, or nil if it holds none (or
// holds it under a passphrase, which this example does not open).
func ReadKeyFile(dir, keyName string) (*HeldKey, error) {
	file, err := os.Open(KeyFile(dir, keyName))
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer file.Close()
	fields := map[string][]byte{}
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		name, value, found := strings.Cut(scanner.Text(), " = ")
		if !found || strings.HasPrefix(name, "#") {
			continue
		}
		if decoded, err := base64.StdEncoding.DecodeString(value); err == nil {
			fields[name] = decoded
		}
	}
	if len(fields["sealing_secret_key"]) != 32 || len(fields["sealing_public_key"]) != 32 ||
		len(fields["signing_secret_key"]) != ed25519.PrivateKeySize {
		return nil, nil
	}
	key := &HeldKey{Signing: ed25519.PrivateKey(fields["signing_secret_key"])}
	copy(key.SealingPublic[:], fields["sealing_public_key"])
	copy(key.SealingPrivate[:], fields["sealing_secret_key"])
	return key, nil
}
