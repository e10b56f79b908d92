package runbooks

import (
	"embed"
	"io/fs"
)

// bundled holds the YAML shipped inside the binary: catalogue/ now, runbooks
// and checklists later. Files whose names start with "." or "_" are not
// embedded.
//
//go:embed bundled
var bundled embed.FS

// Bundled returns the embedded bundled directory, rooted so that its paths
// read "catalogue/vss.yaml". Load it as Source{Name: "bundled", FS: Bundled()}.
func Bundled() fs.FS {
	sub, err := fs.Sub(bundled, "bundled")
	if err != nil {
		// fs.Sub fails only for an invalid path; "bundled" is valid.
		panic("runbooks: fs.Sub(bundled): " + err.Error())
	}
	return sub
}
