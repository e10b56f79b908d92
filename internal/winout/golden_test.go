package winout

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the parsers' output")

const (
	samplesDir = "../../testdata/samples"
	inputsDir  = "testdata/inputs"
	goldenDir  = "testdata/golden"
)

// sampleKinds maps each real sample (path below samplesDir, prefix match)
// to the kind it is golden-tested with. Notes files and the
// Get-MpPreference capture are not outputs of their kind: their goldens
// record the rejection.
var sampleKinds = []struct{ prefix, kind string }{
	{"vssadmin-list-writers/", KindVSSWriters},
	{"other/en-01_personal-notes_console-wrap-80col", KindShadowStorage},
	{"other/ja-00_no-real-capture_localized-strings", KindShadowStorage},
	{"other/fsutil-queryjournal_", KindUSNJournal},
	{"other/fsutil-deletejournal_notes", KindUSNJournal},
	{"other/get-versions_", KindWBAdminVersions},
	{"other/get-status_notes", KindWBAdminVersions},
	{"other/get-wbsummary_", KindWBSummary},
	{"other/get-mppreference_", KindWBSummary},
	{"other/get-wbpolicy_get-wbbaremetalrecovery_notes", KindWBSummary},
	{"other/mountvol_", KindMountvol},
}

type input struct {
	name string // file name without .txt; also the golden file name
	rel  string // path shown in failures
	kind string
	raw  string // file content
	text string // content without the "# source:" line
	real bool
}

// stripSource drops a first line that starts with "# source:": it
// describes where a sample came from and is not part of the output.
func stripSource(s string) string {
	if !strings.HasPrefix(s, "# source:") {
		return s
	}
	i := strings.IndexAny(s, "\r\n")
	if i < 0 {
		return ""
	}
	if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
		i++
	}
	return s[i+1:]
}

func loadInputs(tb testing.TB) []input {
	tb.Helper()
	var out []input
	err := filepath.WalkDir(samplesDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(samplesDir, p)
		rel = filepath.ToSlash(rel)
		if rel == samplesManifest {
			return nil
		}
		kind := ""
		for _, sk := range sampleKinds {
			if strings.HasPrefix(rel, sk.prefix) {
				kind = sk.kind
				break
			}
		}
		if kind == "" {
			tb.Errorf("sample %s has no kind in sampleKinds", rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, input{name: strings.TrimSuffix(e.Name(), ".txt"), rel: "samples/" + rel, kind: kind, raw: string(b), text: stripSource(string(b)), real: true})
		return nil
	})
	if err != nil {
		tb.Fatalf("read samples: %v", err)
	}
	entries, err := os.ReadDir(inputsDir)
	if err != nil {
		tb.Fatalf("read inputs: %v", err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".txt")
		kind := ""
		for _, k := range Kinds {
			if strings.HasPrefix(name, "synth-"+k+"-") {
				kind = k
			}
		}
		if kind == "" || !strings.HasSuffix(e.Name(), ".txt") {
			tb.Errorf("input %s is not named synth-<kind>-<what>.txt", e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join(inputsDir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, input{name: name, rel: "inputs/" + e.Name(), kind: kind, raw: string(b), text: string(b)})
	}
	if len(out) < 40 {
		tb.Fatalf("only %d inputs found; are the samples copied to %s?", len(out), samplesDir)
	}
	return out
}

type goldenRecord struct {
	Kind   string     `json:"kind"`
	Result any        `json:"result,omitempty"`
	Error  *goldenErr `json:"error,omitempty"`
}

type goldenErr struct {
	Type    string `json:"type"`
	Message string `json:"message"`          // err.Error()
	Detail  any    `json:"detail,omitempty"` // the typed error's fields
}

func newGoldenErr(err error) *goldenErr {
	g := &goldenErr{Type: errType(err), Message: err.Error()}
	var nt *NotThisOutputError
	var va *VSSAdminError
	var ce *CommandError
	switch {
	case errors.As(err, &nt):
		g.Detail = map[string]string{"kind": nt.Kind, "reason": nt.Reason}
	case errors.As(err, &va):
		g.Detail = va
	case errors.As(err, &ce):
		g.Detail = ce
	}
	return g
}

func errType(err error) string {
	var nt *NotThisOutputError
	var va *VSSAdminError
	var ce *CommandError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &nt):
		return "NotThisOutputError"
	case errors.As(err, &va):
		return "VSSAdminError"
	case errors.As(err, &ce):
		return "CommandError"
	}
	return "other"
}

func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.Bytes(), err
}

func goldenBytes(t *testing.T, in input) []byte {
	t.Helper()
	v, err := Parse(in.kind, in.text)
	rec := goldenRecord{Kind: in.kind, Result: v}
	if err != nil {
		rec.Error = newGoldenErr(err)
	}
	b, merr := marshalIndent(rec)
	if merr != nil {
		t.Fatalf("marshal: %v", merr)
	}
	return b
}

// TestGolden compares every parser's output on every real sample and
// synthetic input with testdata/golden/<input>.json (go test -update
// rewrites them; review the diff by eye).
func TestGolden(t *testing.T) {
	inputs := loadInputs(t)
	names := map[string]bool{}
	for _, in := range inputs {
		if names[in.name] {
			t.Fatalf("two inputs named %s: golden files would collide", in.name)
		}
		names[in.name] = true
		t.Run(in.name, func(t *testing.T) {
			got := goldenBytes(t, in)
			path := filepath.Join(goldenDir, in.name+".json")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s: output differs from %s (-want +got):\n%s", in.rel, path, diff)
			}
		})
	}
	// No stale golden files.
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !names[strings.TrimSuffix(e.Name(), ".json")] {
			t.Errorf("golden file %s has no input", e.Name())
		}
	}
}

// samplesManifest lists the SHA-256 of every sample (sha256sum's format,
// "#" lines are comments).
const samplesManifest = "SHA256SUMS"

// TestSamplesManifest checks the real captures against the checked-in list
// of their SHA-256 sums: none may change, appear or vanish without the list
// changing with it, and each opens with the "# source:" line naming where
// it was published.
func TestSamplesManifest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(samplesDir, samplesManifest))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		sum, rel, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 || rel == "" {
			t.Fatalf("%s:%d: want \"<sha256>  <path>\", got %q", samplesManifest, i+1, line)
		}
		want[rel] = sum
	}
	got := map[string]string{}
	err = filepath.WalkDir(samplesDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(samplesDir, p)
		rel = filepath.ToSlash(rel)
		if rel == samplesManifest {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		if !bytes.HasPrefix(b, []byte("# source: ")) {
			t.Errorf("%s does not open with a \"# source:\" line", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("samples differ from %s (-listed +found):\n%s", samplesManifest, diff)
	}
	if len(got) < 20 {
		t.Errorf("only %d samples found", len(got))
	}
}

var reLineNo = regexp.MustCompile(`line \d+`)

// normalised returns the JSON of a result and error with line numbers in
// warnings and messages blanked, for comparisons across transformations.
func normalised(t *testing.T, kind, text string) string {
	t.Helper()
	v, err := Parse(kind, text)
	rec := goldenRecord{Kind: kind, Result: v}
	if err != nil {
		rec.Error = newGoldenErr(err)
	}
	b, merr := marshalIndent(rec)
	if merr != nil {
		t.Fatal(merr)
	}
	return reLineNo.ReplaceAllString(string(b), "line N")
}

func mapLines(s string, f func(string) string) string {
	lines := strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s), "\n")
	for i, l := range lines {
		lines[i] = f(l)
	}
	return strings.Join(lines, "\n")
}

// TestCommonRules applies the transformations every parser must shrug off
// (line ends, BOM, trailing spaces, blank lines, indentation, log
// prefixes, yen signs, an echoed prompt) to every input and expects the
// same result as for the input itself.
func TestCommonRules(t *testing.T) {
	prompts := map[string]string{
		KindVSSWriters:      `C:\Windows\system32>vssadmin list writers`,
		KindShadowStorage:   `PS C:\WINDOWS\system32> vssadmin list shadowstorage`,
		KindWBAdminVersions: `C:\Users\administrator.CONTOSO>wbadmin get versions`,
		KindWBSummary:       `PS C:\> Get-WBSummary`,
		KindUSNJournal:      `C:\>fsutil usn queryjournal C:`,
		KindMountvol:        `C:\>mountvol`,
	}
	transforms := []struct {
		name string
		f    func(kind, s string) string
	}{
		{"crlf", func(_, s string) string {
			return strings.ReplaceAll(mapLines(s, func(l string) string { return l }), "\n", "\r\n")
		}},
		{"cr", func(_, s string) string {
			return strings.ReplaceAll(mapLines(s, func(l string) string { return l }), "\n", "\r")
		}},
		{"bom", func(_, s string) string {
			return "\ufeff" + strings.ReplaceAll(mapLines(s, func(l string) string { return l }), "\n", "\r\n")
		}},
		{"cr-crlf", func(_, s string) string {
			return strings.ReplaceAll(mapLines(s, func(l string) string { return l }), "\n", "\r\r\n")
		}},
		{"trailing-spaces", func(_, s string) string { return mapLines(s, func(l string) string { return l + "  \t " }) }},
		{"blank-lines", func(_, s string) string { return mapLines(s, func(l string) string { return l + "\n" }) }},
		{"no-indent", func(_, s string) string {
			return mapLines(s, func(l string) string { return strings.TrimLeft(l, " \t") })
		}},
		{"timestamp-prefix", func(_, s string) string {
			return mapLines(s, func(l string) string { return "2024-03-15 11:16:38 [INFO] " + l })
		}},
		{"host-prefix", func(_, s string) string { return mapLines(s, func(l string) string { return "fs01: " + l }) }},
		{"yen", func(_, s string) string { return strings.ReplaceAll(s, `\`, "¥") }},
		{"prompt", func(kind, s string) string { return prompts[kind] + "\n" + s }},
	}
	// Inputs where a transformation legitimately changes the meaning.
	skip := map[string]map[string]bool{
		// A blank line ends an error message / a wrapped property value,
		// and removing indentation removes the wrap marker.
		"synth-vss-writers-error-text-ja-crlf":       {"blank-lines": true},
		"synth-wbsummary-failed-wrapped-crlf":        {"blank-lines": true, "no-indent": true},
		"synth-vss-writers-host-prefix":              {"host-prefix": true},
		"synth-wbsummary-hex-host-prefix":            {"host-prefix": true},
		"get-status_notes_no-real-capture":           {"*": true}, // prose notes, not output
		"fsutil-deletejournal_notes":                 {"*": true},
		"get-wbpolicy_get-wbbaremetalrecovery_notes": {"*": true},
	}
	for _, in := range loadInputs(t) {
		base := normalised(t, in.kind, in.text)
		for _, tr := range transforms {
			if skip[in.name][tr.name] || skip[in.name]["*"] {
				continue
			}
			if tr.name == "prompt" && strings.Contains(base, `"error"`) {
				continue // an echoed command changes the reason of a rejection
			}
			t.Run(in.name+"/"+tr.name, func(t *testing.T) {
				got := normalised(t, in.kind, tr.f(in.kind, in.text))
				if diff := cmp.Diff(base, got); diff != "" {
					t.Errorf("%s after %s (-plain +transformed):\n%s", in.rel, tr.name, diff)
				}
			})
		}
	}
}

// TestCrossKind parses every input with every other parser: each must
// refuse it with an error instead of inventing a result.
func TestCrossKind(t *testing.T) {
	// Text that another parser may legitimately accept.
	allowed := map[string]string{
		// Banner plus one unknown sentence: vssadmin with no writers
		// (reported with a warning quoting the sentence).
		"synth-shadowstorage-unknown-lang-no-items": KindVSSWriters,
	}
	for _, in := range loadInputs(t) {
		for _, k := range Kinds {
			if k == in.kind || allowed[in.name] == k {
				continue
			}
			v, err := Parse(k, in.text)
			if err == nil {
				b, _ := json.Marshal(v)
				t.Errorf("%s parsed as %s without error: %s", in.rel, k, b)
				continue
			}
			if errType(err) == "other" {
				t.Errorf("%s as %s: untyped error %v", in.rel, k, err)
			}
		}
	}
}

// TestGoldenFilesParse checks that every golden file is valid JSON without
// a null anywhere (lists are always marshalled as []).
func TestGoldenFilesParse(t *testing.T) {
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no golden files")
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(goldenDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]any
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
		if bytes.Contains(b, []byte(": null")) {
			t.Errorf("%s: contains null", e.Name())
		}
	}
}

// TestRawSampleFiles: `wsbbot parse KIND FILE` reads a sample file whole,
// "# source:" line included; the result must be the same as without it.
func TestRawSampleFiles(t *testing.T) {
	for _, in := range loadInputs(t) {
		if !in.real {
			continue
		}
		if diff := cmp.Diff(normalised(t, in.kind, in.text), normalised(t, in.kind, in.raw)); diff != "" {
			t.Errorf("%s with its source line (-without +with):\n%s", in.rel, diff)
		}
	}
}
