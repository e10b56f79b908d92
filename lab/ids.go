package lab

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"sync"
)

// guid returns a GUID (lower case, no braces) derived from the host name and
// a key, so that a host's volumes, writers and snapshots keep their ids from
// one run of the lab to the next while two hosts never share one.
func guid(host, key string) string {
	name := strings.ToLower(host) + "\x00" + key
	if g, ok := guids.Load(name); ok {
		return g.(string)
	}
	g := newGUID(name)
	guids.Store(name, g)
	return g
}

// guids holds the GUIDs made so far: a lab's objects ask for the same few
// per host in every command.
var guids sync.Map

func newGUID(name string) string {
	sum := sha1.Sum([]byte(name))
	h := hex.EncodeToString(sum[:16])
	// Version 5 (name-based, SHA-1) and the RFC 4122 variant, as Windows
	// would print a real GUID.
	b := []byte(h)
	b[12] = '5'
	b[16] = "89ab"[sum[8]&3]
	h = string(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// braced returns "{guid}".
func braced(g string) string { return "{" + g + "}" }

// volumeName returns the volume GUID path `\\?\Volume{guid}\`.
func volumeName(g string) string { return `\\?\Volume{` + g + `}\` }
