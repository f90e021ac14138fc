// Command tilecheck reads a Sổ Vàng fund's tiles, as `sovang tiles export`
// writes them, from a plain static file server, with Go's reference
// packages only (golang.org/x/mod/sumdb/note and sumdb/tlog, unmodified).
//
// It verifies the checkpoint's signature with the fund's verifier key,
// proves random records against the signed root through tlog's
// TileHashReader (C2SP paths mapped to Go's), and checks that every entry
// bundle's leaf hashes equal the level-0 tiles. It prints one JSON line and
// exits 0, or says what failed and exits 1.
//
// Usage: tilecheck -dir DIR -vkey VKEY -origin ORIGIN [-samples N]
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is C2SP's fixed tile height.
const tileHeight = 8

// c2spPath maps Go's tile path (tile/8/L/N, tile/8/data/N) to C2SP's
// (tile/L/N, tile/entries/N): C2SP drops the height element.
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(p, "data/") {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// server reads C2SP tiles over HTTP.
type server struct{ base string }

func (s *server) get(path string) ([]byte, error) {
	resp, err := http.Get(s.base + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func (s *server) Height() int { return tileHeight }

func (s *server) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := s.get(c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (s *server) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// bundle splits an entry bundle into its entries: each a big-endian
// uint16 length, then that many bytes.
func bundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("a bundle ends inside a length")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, fmt.Errorf("a bundle ends inside an entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tilecheck: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	dir := flag.String("dir", "", "the exported tiles")
	vkey := flag.String("vkey", "", "the fund's note verifier key")
	origin := flag.String("origin", "", "the checkpoint's origin line")
	samples := flag.Int("samples", 200, "records to prove")
	flag.Parse()

	srv := httptest.NewServer(http.FileServer(http.Dir(*dir)))
	defer srv.Close()
	s := &server{base: srv.URL}

	msg, err := s.get("checkpoint")
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != *origin {
		fail("checkpoint: origin %q, want %q", lines[0], *origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size <= 0 {
		fail("checkpoint size %q", lines[1])
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}

	reader := tlog.TileHashReader(tree, s)
	if h, err := tlog.TreeHash(size, reader); err != nil || h != root {
		fail("the tiles' root: %v %v", h, err)
	}

	// Every bundle against its level-0 tile.
	entries := make(map[int64][]byte)
	bundles := 0
	for start := int64(0); start < size; start += 1 << tileHeight {
		w := size - start
		if w > 1<<tileHeight {
			w = 1 << tileHeight
		}
		idx := start >> tileHeight
		data, err := s.get(c2spPath(tlog.Tile{H: tileHeight, L: -1, N: idx, W: int(w)}))
		if err != nil {
			fail("%v", err)
		}
		got, err := bundle(data)
		if err != nil || int64(len(got)) != w {
			fail("bundle %d: %d entries, want %d (%v)", idx, len(got), w, err)
		}
		hashes, err := s.ReadTiles([]tlog.Tile{{H: tileHeight, L: 0, N: idx, W: int(w)}})
		if err != nil {
			fail("%v", err)
		}
		for i, e := range got {
			leaf := tlog.RecordHash(e)
			if !bytes.Equal(leaf[:], hashes[0][i*tlog.HashSize:(i+1)*tlog.HashSize]) {
				fail("entry %d: its leaf hash is not the level-0 tile's", start+int64(i))
			}
			entries[start+int64(i)] = e
		}
		bundles++
	}

	// Random records proved against the signed root.
	rng := rand.New(rand.NewSource(size))
	picks := []int64{0, size - 1}
	for i := 0; i < *samples; i++ {
		picks = append(picks, rng.Int63n(size))
	}
	for _, i := range picks {
		proof, err := tlog.ProveRecord(size, i, reader)
		if err != nil {
			fail("proving %d: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, size, root, i, tlog.RecordHash(entries[i])); err != nil {
			fail("record %d: %v", i, err)
		}
	}
	out, _ := json.Marshal(map[string]int64{
		"size": size, "bundles": int64(bundles), "proved": int64(len(picks)),
	})
	fmt.Println(string(out))
}
