package runbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/internal/strictyaml"
)

// Source is one place YAML files are loaded from: the bundled files, or an
// operator's folder that adds to and overrides them.
type Source struct {
	// Name prefixes the file names in problems and entries: "bundled", or the
	// folder's path.
	Name string
	// FS is read by several goroutines at once, as os.DirFS, embed.FS and
	// fstest.MapFS allow.
	FS fs.FS
}

// Set is everything loaded from a list of sources.
type Set struct {
	Catalogue *Catalogue
	// runbooks by id; checklists arrive in a later issue.
	runbooks map[string]*Runbook
}

// RunbookIDs returns the ids of the runbooks in the set.
func (s *Set) RunbookIDs() map[string]bool {
	out := map[string]bool{}
	if s == nil {
		return out
	}
	for id := range s.runbooks {
		out[id] = true
	}
	return out
}

// Runbook returns the runbook with the given id.
func (s *Set) Runbook(id string) (*Runbook, bool) {
	if s == nil {
		return nil, false
	}
	rb, ok := s.runbooks[id]
	return rb, ok
}

// Runbooks returns every runbook, sorted by id.
func (s *Set) Runbooks() []*Runbook {
	if s == nil {
		return nil
	}
	out := make([]*Runbook, 0, len(s.runbooks))
	for _, id := range slices.Sorted(maps.Keys(s.runbooks)) {
		out = append(out, s.runbooks[id])
	}
	return out
}

// CheckRefs returns a warning for every runbook id that a catalogue entry
// references but the set does not hold, at the line of the reference.
func (s *Set) CheckRefs() strictyaml.Problems {
	if s == nil || s.Catalogue == nil {
		return nil
	}
	have := s.RunbookIDs()
	var ps strictyaml.Problems
	for _, r := range s.Catalogue.sorted {
		for _, ref := range r.refs {
			if have[ref.id] {
				continue
			}
			ps = append(ps, strictyaml.Problem{
				File:     r.entry.File,
				Line:     ref.line,
				Severity: strictyaml.Warning,
				Msg:      fmt.Sprintf("runbook %q referenced by %s is not written yet", ref.id, r.entry.Code),
			})
		}
	}
	return ps.Sorted()
}

// The kinds of YAML file Load understands, as listed in problems. A new kind
// is one more name here and one more case in loadFile.
const (
	kindCatalogue = "catalogue"
	kindRunbook   = "runbook"
	allowedKinds  = kindCatalogue + ", " + kindRunbook
)

// maxFileSize bounds one YAML file; wsbbot's files are a few kilobytes.
const maxFileSize = 4 << 20

// fileResult is what one file contributes to a Set.
type fileResult struct {
	entries  []parsedEntry
	signs    []*Sign
	runbooks []*Runbook
}

// Load reads every *.yaml and *.yml file of each source (in fs.WalkDir order,
// skipping names that start with "."; files are checked in parallel), reads
// its top-level kind, decodes it strictly, validates it, and returns the Set with every problem of every
// file, sorted by file and line; it ends with CheckRefs' warnings.
//
// The Set holds only entries without Error problems. A code defined twice in
// one source is an error at both places (the first definition is kept); a
// code defined in a later source replaces the earlier source's entry.
func Load(sources ...Source) (*Set, strictyaml.Problems) {
	var ps strictyaml.Problems
	byCode := map[hresult.Code]*record{}
	byID := map[string]*Runbook{}
	signs := map[string]*Sign{}
	for _, src := range sources {
		res, sps := loadSource(src)
		entries, rbs := res.entries, res.runbooks
		ps = append(ps, sps...)
		ps = append(ps, addSigns(signs, res.signs)...)
		ps = append(ps, duplicates(entries)...)
		ps = append(ps, addRunbooks(byID, rbs)...)
		seen := map[hresult.Code]bool{}
		for _, pe := range entries {
			if !pe.codeOK {
				continue
			}
			code := pe.rec.entry.Code
			if seen[code] {
				continue // duplicate within this source: keep the first
			}
			seen[code] = true
			if !pe.invalid {
				byCode[code] = pe.rec
			}
		}
	}
	set := &Set{Catalogue: newCatalogue(byCode, signs), runbooks: byID}
	ps = append(ps, set.checkRunbookCodes()...)
	ps = append(ps.Sorted(), set.CheckRefs()...)
	return set, ps
}

// LoadBundled loads the files embedded in the binary. Warnings (such as
// references to runbooks not written yet) are not errors; any Error problem
// is, since a broken bundled file is a build defect.
func LoadBundled() (*Set, error) {
	set, ps := Load(Source{Name: "bundled", FS: Bundled()})
	if err := ps.Err(); err != nil {
		return nil, fmt.Errorf("load bundled YAML: %w", err)
	}
	return set, nil
}

// loadSource loads every YAML file of one source. Files are read and checked
// in parallel; results keep the walk's order.
func loadSource(src Source) (fileResult, strictyaml.Problems) {
	if src.FS == nil {
		return fileResult{}, strictyaml.Problems{{File: src.Name, Severity: strictyaml.Error, Msg: "source has no file system"}}
	}
	type job struct {
		path, name string
		de         fs.DirEntry
	}
	var (
		ps   strictyaml.Problems
		jobs []job
	)
	err := fs.WalkDir(src.FS, ".", func(p string, de fs.DirEntry, err error) error {
		name := fileName(src.Name, p)
		if err != nil {
			ps = append(ps, strictyaml.Problem{File: name, Severity: strictyaml.Error, Msg: fmt.Sprintf("read: %v", err)})
			if de != nil && de.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if p != "." && strings.HasPrefix(de.Name(), ".") {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !de.IsDir() && isYAML(p) {
			jobs = append(jobs, job{p, name, de})
		}
		return nil
	})
	if err != nil {
		ps = append(ps, strictyaml.Problem{File: src.Name, Severity: strictyaml.Error, Msg: fmt.Sprintf("walk: %v", err)})
	}

	type result struct {
		res fileResult
		ps  strictyaml.Problems
	}
	results := make([]result, len(jobs))
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(jobs); i = int(next.Add(1) - 1) {
				j := jobs[i]
				results[i].res, results[i].ps = loadFile(src.FS, j.path, j.name, j.de)
			}
		})
	}
	wg.Wait()

	var all fileResult
	for _, r := range results {
		ps = append(ps, r.ps...)
		all.entries = append(all.entries, r.res.entries...)
		all.signs = append(all.signs, r.res.signs...)
		all.runbooks = append(all.runbooks, r.res.runbooks...)
	}
	return all, ps
}

// digest is the hex SHA-256 of a runbook file's bytes.
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func isYAML(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

// fileName is the name of file p of source src in problems and entries.
func fileName(src, p string) string {
	switch {
	case src == "":
		return p
	case p == ".":
		return src
	}
	return strings.TrimRight(src, `/\`) + "/" + p
}

// loadFile reads one file, dispatches on its kind and returns what it holds.
func loadFile(fsys fs.FS, p, name string, de fs.DirEntry) (fileResult, strictyaml.Problems) {
	if info, err := de.Info(); err == nil && info.Size() > maxFileSize {
		return fileResult{}, strictyaml.Problems{{File: name, Severity: strictyaml.Error,
			Msg: fmt.Sprintf("file is %d bytes; the limit is %d", info.Size(), maxFileSize)}}
	}
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return fileResult{}, strictyaml.Problems{{File: name, Severity: strictyaml.Error, Msg: fmt.Sprintf("read: %v", err)}}
	}
	d, ps := strictyaml.Parse(name, data)
	if d.Root == nil {
		return fileResult{}, ps
	}
	kind, kps := fileKind(d)
	if kind == "" {
		return fileResult{}, append(ps, kps...)
	}
	var res fileResult
	switch kind {
	case kindCatalogue:
		entries, signs, cps := parseCatalogue(d, ps)
		res.entries, res.signs = entries, signs
		ps = append(ps, cps...)
	case kindRunbook:
		if ps.Err() != nil {
			break // a syntax or duplicate-key problem: the tree is not trustworthy
		}
		rb, rps := parseRunbook(d)
		ps = append(ps, rps...)
		if rb != nil {
			rb.Digest = digest(data)
			res.runbooks = append(res.runbooks, rb)
		}
	default:
		ps = append(ps, d.Problem(strictyaml.Error,
			fmt.Sprintf("unknown kind %q; allowed kinds: %s", kind, allowedKinds), "kind"))
	}
	return res, ps
}

// fileKind reads the top-level kind. It returns "" when the file has none,
// with the problem saying so (none when Parse has reported it already).
func fileKind(d *strictyaml.Doc) (string, strictyaml.Problems) {
	root := d.Node()
	switch {
	case root == nil || root.ShortTag() == "!!null":
		return "", nil // Parse reported the empty document
	case root.Kind != yaml.MappingNode:
		return "", strictyaml.Problems{d.Problem(strictyaml.Error,
			fmt.Sprintf("top level must be a mapping starting with kind: (allowed kinds: %s)", allowedKinds))}
	}
	switch n := d.Node("kind"); {
	case n == nil || n.ShortTag() == "!!null" || (n.Kind == yaml.ScalarNode && strings.TrimSpace(n.Value) == ""):
		return "", strictyaml.Problems{d.Problem(strictyaml.Error,
			fmt.Sprintf(`missing top-level "kind"; allowed kinds: %s`, allowedKinds), "kind")}
	case n.Kind != yaml.ScalarNode:
		return "", strictyaml.Problems{d.Problem(strictyaml.Error,
			fmt.Sprintf(`"kind" must be a string; allowed kinds: %s`, allowedKinds), "kind")}
	default:
		return n.Value, nil
	}
}

// duplicates reports every code defined more than once in one source, at each
// definition, naming the others.
func duplicates(entries []parsedEntry) strictyaml.Problems {
	byCode := map[hresult.Code][]*Entry{}
	var order []hresult.Code
	for _, pe := range entries {
		if !pe.codeOK {
			continue
		}
		e := &pe.rec.entry
		if _, ok := byCode[e.Code]; !ok {
			order = append(order, e.Code)
		}
		byCode[e.Code] = append(byCode[e.Code], e)
	}
	var ps strictyaml.Problems
	for _, code := range order {
		defs := byCode[code]
		if len(defs) < 2 {
			continue
		}
		for _, e := range defs {
			var others []string
			for _, o := range defs {
				if o != e {
					others = append(others, o.File+":"+strconv.Itoa(o.Line))
				}
			}
			ps = append(ps, strictyaml.Problem{File: e.File, Line: e.Line, Severity: strictyaml.Error,
				Msg: fmt.Sprintf("code %s is defined more than once in this source; also at %s", code, strings.Join(others, ", "))})
		}
	}
	return ps
}

// addRunbooks adds one source's runbooks to byID: an id defined twice in the
// source is an error at both places (the first is kept); an id of an earlier
// source is replaced.
func addRunbooks(byID map[string]*Runbook, rbs []*Runbook) strictyaml.Problems {
	var ps strictyaml.Problems
	first := map[string]*Runbook{}
	for _, rb := range rbs {
		if f, dup := first[rb.ID]; dup {
			ps = append(ps,
				strictyaml.Problem{File: rb.File, Line: rb.Line, Severity: strictyaml.Error,
					Msg: fmt.Sprintf("runbook %q is defined more than once in this source; also at %s:%d", rb.ID, f.File, f.Line)},
				strictyaml.Problem{File: f.File, Line: f.Line, Severity: strictyaml.Error,
					Msg: fmt.Sprintf("runbook %q is defined more than once in this source; also at %s:%d", rb.ID, rb.File, rb.Line)})
			continue
		}
		first[rb.ID] = rb
		byID[rb.ID] = rb
	}
	return ps
}

// checkRunbookCodes reports, when the set has a catalogue, every code a
// runbook addresses that the catalogue lacks; such a runbook is dropped.
func (s *Set) checkRunbookCodes() strictyaml.Problems {
	if s.Catalogue.Len() == 0 {
		return nil
	}
	var ps strictyaml.Problems
	for _, id := range slices.Sorted(maps.Keys(s.runbooks)) {
		rb := s.runbooks[id]
		for _, c := range rb.Codes {
			if _, ok := s.Catalogue.byCode[c]; !ok {
				ps = append(ps, strictyaml.Problem{File: rb.File, Line: rb.Line, Severity: strictyaml.Error,
					Msg: fmt.Sprintf("runbook %q addresses code %s, which is not in the catalogue", rb.ID, c)})
				delete(s.runbooks, id)
			}
		}
	}
	return ps
}
