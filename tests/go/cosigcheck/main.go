// Command cosigcheck verifies a cosigned checkpoint with Go's reference
// note package (golang.org/x/mod/sumdb/note, unmodified): the log's
// Ed25519 signature with note.NewVerifier, and each witness's
// cosignature/v1 (C2SP tlog-cosignature, key type 0x04) with a verifier
// of a few lines on note.Verifier. It reads the note on stdin, prints the
// names whose signatures verified as one JSON line, and exits 1 unless
// every key given verified.
//
// Usage: cosigcheck -log VKEY [-witness VKEY]... < note
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// cosigV1 verifies cosignature/v1 signatures: the signature is an 8-byte
// big-endian timestamp then an Ed25519 signature over
// "cosignature/v1\ntime <ts>\n" followed by the note's text.
type cosigV1 struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosigV1) Name() string    { return v.name }
func (v *cosigV1) KeyHash() uint32 { return v.hash }
func (v *cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	m := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), msg...)
	return ed25519.Verify(v.key, m, sig[8:])
}

func newCosigV1(vkey string) (*cosigV1, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("malformed key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		return nil, errors.New("not a cosignature/v1 key")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	hash := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", hash) != parts[1] {
		return nil, errors.New("key hash does not match")
	}
	return &cosigV1{name: parts[0], hash: hash, key: ed25519.PublicKey(raw[1:])}, nil
}

type keys []string

func (k *keys) String() string     { return strings.Join(*k, ",") }
func (k *keys) Set(s string) error { *k = append(*k, s); return nil }

func main() {
	logKey := flag.String("log", "", "the log's verifier key")
	var witnesses keys
	flag.Var(&witnesses, "witness", "a witness's cosignature/v1 key (repeatable)")
	flag.Parse()
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	lv, err := note.NewVerifier(*logKey)
	if err != nil {
		fmt.Fprintln(os.Stderr, "log key:", err)
		os.Exit(1)
	}
	verifiers := []note.Verifier{lv}
	for _, w := range witnesses {
		v, err := newCosigV1(w)
		if err != nil {
			fmt.Fprintln(os.Stderr, "witness key:", err)
			os.Exit(1)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(bytes.TrimRight(msg, "\x00"), note.VerifierList(verifiers...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "note:", err)
		os.Exit(1)
	}
	var names []string
	for _, s := range n.Sigs {
		names = append(names, s.Name)
	}
	out, _ := json.Marshal(map[string]interface{}{"verified": names})
	fmt.Println(string(out))
	if len(n.Sigs) != 1+len(witnesses) {
		os.Exit(1)
	}
}
