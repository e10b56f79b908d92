package winout

import (
	"fmt"
	"strings"
)

// Kind names accepted by Parse.
const (
	KindVSSWriters      = "vss-writers"      // vssadmin list writers -> Writers
	KindShadowStorage   = "shadowstorage"    // vssadmin list shadowstorage -> ShadowStorage
	KindWBAdminVersions = "wbadmin-versions" // wbadmin get versions -> WBAdminVersions
	KindWBSummary       = "wbsummary"        // Get-WBSummary -> WBSummary
	KindUSNJournal      = "usn-journal"      // fsutil usn queryjournal X: -> USNJournal
	KindMountvol        = "mountvol"         // mountvol -> Mountvol
)

// Kinds lists the kind names Parse accepts, in a stable order. It is
// read-only: callers must not modify it.
var Kinds = []string{
	KindVSSWriters, KindShadowStorage, KindWBAdminVersions,
	KindWBSummary, KindUSNJournal, KindMountvol,
}

// Parse parses text as the output named by kind (one of Kinds) and returns
// the parser's result value (Writers, ShadowStorage, WBAdminVersions,
// WBSummary, USNJournal or Mountvol). On error the value is nil; an
// unknown kind is an error too.
func Parse(kind, text string) (any, error) {
	var (
		v   any
		err error
	)
	switch kind {
	case KindVSSWriters:
		v, err = ParseVSSWriters(text)
	case KindShadowStorage:
		v, err = ParseShadowStorage(text)
	case KindWBAdminVersions:
		v, err = ParseWBAdminVersions(text)
	case KindWBSummary:
		v, err = ParseWBSummary(text)
	case KindUSNJournal:
		v, err = ParseUSNJournal(text)
	case KindMountvol:
		v, err = ParseMountvol(text)
	default:
		return nil, fmt.Errorf("parse: unknown kind %q (want one of %s)", kind, strings.Join(Kinds, ", "))
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
