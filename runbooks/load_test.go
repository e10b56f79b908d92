package runbooks

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/internal/strictyaml"
)

// entryYAML returns one valid catalogue entry (a list item indented for
// "codes:") for code and family; the runbook ids follow the code.
func entryYAML(code, family string) string {
	id := strings.ToLower(strings.TrimPrefix(code, "0x"))
	return `  - code: "` + code + `"
    name: NAME_` + id + `
    family: ` + family + `
    title: {en: "Title ` + code + `", ja: "タイトル ` + code + `", translated: ja}
    cause:
      en: "Cause."
      ja: "原因。"
    first_action:
      en: "Act."
      ja: "対処。"
    verified: true
    verification: "checked"
    sources: ["src"]
    runbooks:
      diagnose: [diag-` + id + `]
      fix: [fix-` + id + `]
`
}

func catalogueYAML(entries ...string) string {
	return "kind: catalogue\ncodes:\n" + strings.Join(entries, "")
}

func errStrings(ps strictyaml.Problems) []string {
	out := []string{}
	for _, p := range ps.Errors() {
		out = append(out, p.String())
	}
	return out
}

func mustCode(t testing.TB, s string) hresult.Code {
	t.Helper()
	c, err := hresult.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	a := `kind: catalogue
codes:
  - code: "0x800423f4"
    family: vss-writer
    title: {en: "Writer failed", ja: "ライターのエラー"}
    cause: {en: "Cause.", ja: "原因。"}
    first_action: {en: "Act.", ja: "対処。"}
    verified: true
    verification: "checked"
    sources: ["guide"]
    runbooks: {diagnose: [diag-vss-writers]}
  - code: "0x80780119"
    family: wsb
    titel: {en: "typo"}
    title: {en: "Shadow storage", ja: "シャドウ領域"}
    cause: {en: "Cause.", ja: "原因。"}
    first_action: {en: "Act."}
    verified: true
    verification: "checked"
    sources: ["guide"]
    runbooks: {diagnose: [diag-shadow-storage]}
`
	b := `kind: catalogue
codes:
  - code: "0x807800C5"
    family: vss
    title: {en: "NAS", ja: "NAS"}
    cause: {en: "Cause.", ja: "原因。"}
    first_action: {en: "Act.", ja: "対処。"}
    verified: maybe
    verification: "checked"
    sources: ["guide"]
    runbooks: {diagnose: [diag-share]}
`
	fsys := fstest.MapFS{
		"catalogue/a.yaml": {Data: []byte(a)},
		"catalogue/b.yaml": {Data: []byte(b)},
	}
	set, ps := Load(Source{Name: "bundled", FS: fsys})
	want := []string{
		`bundled/catalogue/a.yaml:3: code "0x800423f4" must be written in canonical form "0x800423F4"`,
		`bundled/catalogue/a.yaml:14: unknown key "titel" in codes[1]; did you mean "title"?`,
		`bundled/catalogue/a.yaml:17: 0x80780119: first_action.ja is required: first_action needs both en and ja`,
		`bundled/catalogue/b.yaml:4: 0x807800C5: family "vss" does not match the code: 0x807800C5 belongs to family "wsb" (Windows Server Backup (WSB))`,
		`bundled/catalogue/b.yaml:8: codes[0].verified: expected a boolean (true or false), got string "maybe"`,
	}
	if diff := cmp.Diff(want, errStrings(ps)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if set.Catalogue.Len() != 0 {
		t.Errorf("catalogue holds %d entries; every entry had an error", set.Catalogue.Len())
	}
	if ps.Err() == nil {
		t.Error("Err() = nil despite errors")
	}
}

func TestLoadSingleProblems(t *testing.T) {
	valid := entryYAML("0x80780166", "wsb")
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"valid", catalogueYAML(valid), []string{}},
		{"missing kind", "codes:\n" + valid,
			[]string{`c.yaml:1: missing top-level "kind"; allowed kinds: catalogue, runbook`}},
		{"unknown kind", "kind: checklist\nsteps: []\n",
			[]string{`c.yaml:1: unknown kind "checklist"; allowed kinds: catalogue, runbook`}},
		{"kind not a string", "kind: [catalogue]\n",
			[]string{`c.yaml:1: "kind" must be a string; allowed kinds: catalogue, runbook`}},
		{"top level is a list", "- kind: catalogue\n",
			[]string{`c.yaml:1: top level must be a mapping starting with kind: (allowed kinds: catalogue, runbook)`}},
		{"empty file", "", []string{`c.yaml: file is empty: it holds no YAML document`}},
		{"syntax error", "kind: catalogue\ncodes:\n  - code: [\n",
			[]string{`c.yaml:4: did not find expected node content`}},
		{"two documents", catalogueYAML(valid) + "---\nkind: catalogue\n",
			[]string{`c.yaml:19: a second YAML document starts here; a file must hold exactly one document`}},
		{"no codes", "kind: catalogue\n",
			[]string{`c.yaml:1: a catalogue needs a "codes" list of entries`}},
		{"unknown top-level key", "kind: catalogue\nentries: []\ncodes:\n" + valid,
			[]string{`c.yaml:2: unknown key "entries" at top level (known keys: codes, kind, signs)`}},
		{"unknown nested key", catalogueYAML(strings.Replace(valid, `translated: ja}`, `translated: ja, fr: "Titre"}`, 1)),
			[]string{`c.yaml:6: unknown key "fr" in codes[0].title (known keys: en, ja, translated)`}},
		{"unquoted code", catalogueYAML(strings.Replace(valid, `"0x80780166"`, `0x80780166`, 1)), []string{}},
		{"lower-case hex", catalogueYAML(strings.Replace(valid, `"0x80780166"`, `0X8078016a`, 1)),
			[]string{`c.yaml:3: code "0X8078016a" must be written in canonical form "0x8078016A"`}},
		{"decimal code", catalogueYAML(strings.Replace(valid, `"0x80780166"`, `"2155348326"`, 1)),
			[]string{`c.yaml:3: code "2155348326" must be written in canonical form "0x80780166"`}},
		{"bare hex code", catalogueYAML(strings.Replace(valid, `"0x80780166"`, `"80780166"`, 1)),
			[]string{`c.yaml:3: code "80780166" must be written in canonical form "0x80780166"`}},
		{"not a code", catalogueYAML(strings.Replace(valid, `"0x80780166"`, `"0x8078"`, 1)),
			[]string{`c.yaml:3: code "0x8078" is not an error code: ` + parseErr(t, "0x8078")}},
		{"missing code", catalogueYAML(strings.Replace(valid, `code: "0x80780166"`+"\n    ", "", 1)),
			[]string{`c.yaml:3: codes[0]: "code" is required, e.g. code: "0x800423F4"`}},
		{"unknown family", catalogueYAML(strings.Replace(valid, "family: wsb", "family: backup", 1)),
			[]string{`c.yaml:5: 0x80780166: family "backup" is not one of: vss, vss-writer, wsb, win32, com, win7-backup, bugcheck, vhd, success`}},
		{"missing family", catalogueYAML(strings.Replace(valid, "    family: wsb\n", "", 1)),
			[]string{`c.yaml:3: 0x80780166: "family" is required (one of: vss, vss-writer, wsb, win32, com, win7-backup, bugcheck, vhd, success)`}},
		{"vss-writer on a wsb code", catalogueYAML(strings.Replace(valid, "family: wsb", "family: vss-writer", 1)),
			[]string{`c.yaml:5: 0x80780166: family "vss-writer" does not match the code: 0x80780166 belongs to family "wsb" (Windows Server Backup (WSB))`}},
		{"missing ja", catalogueYAML(strings.Replace(valid, `ja: "原因。"`, `ja: "  "`, 1)),
			[]string{`c.yaml:9: 0x80780166: cause.ja is required: cause needs both en and ja`}},
		{"missing en", catalogueYAML(strings.Replace(valid, `      en: "Act."`+"\n", "", 1)),
			[]string{`c.yaml:10: 0x80780166: first_action.en is required: first_action needs both en and ja`}},
		{"missing title", catalogueYAML(strings.Replace(valid, `    title: {en: "Title 0x80780166", ja: "タイトル 0x80780166", translated: ja}`+"\n", "", 1)),
			[]string{`c.yaml:3: 0x80780166: "title" is required, in both en and ja`}},
		{"bad translated", catalogueYAML(strings.Replace(valid, "translated: ja", "translated: fr", 1)),
			[]string{`c.yaml:6: 0x80780166: title.translated is "fr"; want en or ja (the language that is the translation)`}},
		{"missing verified", catalogueYAML(strings.Replace(valid, "    verified: true\n", "", 1)),
			[]string{`c.yaml:3: 0x80780166: "verified" is required: true when a source confirms the meaning, false when not`}},
		{"empty verification", catalogueYAML(strings.Replace(valid, `verification: "checked"`, `verification: ""`, 1)),
			[]string{`c.yaml:14: 0x80780166: "verification" is required: say what confirms the meaning, or what is unverified`}},
		{"no sources", catalogueYAML(strings.Replace(valid, `sources: ["src"]`, `sources: []`, 1)),
			[]string{`c.yaml:15: 0x80780166: "sources" needs at least one source`}},
		{"blank source", catalogueYAML(strings.Replace(valid, `sources: ["src"]`, `sources: ["src", "", ~]`, 1)),
			[]string{
				`c.yaml:15: 0x80780166: sources[1] is empty`,
				`c.yaml:15: 0x80780166: sources[2] is empty`,
			}},
		{"no diagnose", catalogueYAML(strings.Replace(valid, "diagnose: [diag-80780166]", "diagnose: []", 1)),
			[]string{`c.yaml:17: 0x80780166: runbooks.diagnose needs at least one runbook id`}},
		{"no runbooks", catalogueYAML(strings.Replace(valid, "    runbooks:\n      diagnose: [diag-80780166]\n      fix: [fix-80780166]\n", "", 1)),
			[]string{`c.yaml:3: 0x80780166: "runbooks" is required, with at least one diagnose runbook`}},
		{"bad runbook id", catalogueYAML(strings.Replace(valid, "fix: [fix-80780166]", "fix: [Fix_USN, fix--x, ok-1]", 1)),
			[]string{
				`c.yaml:18: 0x80780166: runbook id "Fix_USN" in runbooks.fix is not kebab-case (lower-case letters and digits joined by single hyphens, e.g. diag-vss-writers)`,
				`c.yaml:18: 0x80780166: runbook id "fix--x" in runbooks.fix is not kebab-case (lower-case letters and digits joined by single hyphens, e.g. diag-vss-writers)`,
			}},
		{"null entry", catalogueYAML(valid, "  -\n"),
			[]string{`c.yaml:19: codes[1] is empty`}},
		{"duplicate top-level key", "kind: catalogue\nkind: catalogue\ncodes:\n" + valid,
			[]string{`c.yaml:2: duplicate key "kind" at top level (first defined at line 1)`}},
		{"duplicate key inside an entry", catalogueYAML(strings.Replace(valid, "verified: true", "verified: true\n    verified: false", 1)),
			[]string{`c.yaml:14: duplicate key "verified" in codes[0] (first defined at line 13)`}},
		{"duplicate code in one file", catalogueYAML(valid, valid),
			[]string{
				`c.yaml:3: code 0x80780166 is defined more than once in this source; also at c.yaml:19`,
				`c.yaml:19: code 0x80780166 is defined more than once in this source; also at c.yaml:3`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := Load(Source{FS: fstest.MapFS{"c.yaml": {Data: []byte(tt.file)}}})
			if diff := cmp.Diff(tt.want, errStrings(ps)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nfile:\n%s", diff, tt.file)
			}
		})
	}
}

func parseErr(t *testing.T, s string) string {
	t.Helper()
	_, err := hresult.Parse(s)
	if err == nil {
		t.Fatalf("hresult.Parse(%q) succeeded", s)
	}
	return err.Error()
}

func TestLoadDecodesEntry(t *testing.T) {
	file := `kind: catalogue
codes:
  - code: "0x80780119"
    name: WSB_SHADOW
    family: wsb
    in_guide: true
    title: {en: "T", ja: "表題", translated: en}
    message:
      ja: "メッセージ"
      note: {ja: "日本語のみ"}
    cause: {en: "C", ja: "原因", translated: en}
    first_action: {en: "F", ja: "対処"}
    verified: false
    verification: "not verified"
    sources: ["guide", "blog"]
    runbooks:
      diagnose: [diag-shadow-storage, diag-wsb-summary]
      fix: [usn-journal-cleanup]
      guide: [guide-shadow-storage]
`
	set, ps := Load(Source{Name: "ops", FS: fstest.MapFS{"cat/x.yml": {Data: []byte(file)}}})
	if err := ps.Err(); err != nil {
		t.Fatal(err)
	}
	code := mustCode(t, "0x80780119")
	got, ok := set.Catalogue.Lookup(code)
	if !ok {
		t.Fatal("0x80780119 not in catalogue")
	}
	want := Entry{
		Code: code, Name: "WSB_SHADOW", Family: "wsb", InGuide: true,
		Title:        Text{EN: "T", JA: "表題", Translated: LangEN},
		Cause:        Text{EN: "C", JA: "原因", Translated: LangEN},
		FirstAction:  Text{EN: "F", JA: "対処"},
		Message:      Message{JA: "メッセージ", NoteJA: "日本語のみ"},
		Verified:     false,
		Verification: "not verified",
		Sources:      []string{"guide", "blog"},
		Runbooks: Refs{
			Diagnose: []string{"diag-shadow-storage", "diag-wsb-summary"},
			Fix:      []string{"usn-journal-cleanup"},
			Guide:    []string{"guide-shadow-storage"},
		},
		File: "ops/cat/x.yml",
		Line: 3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entry (-want +got):\n%s", diff)
	}
	got.Sources[0] = "changed"
	got.Runbooks.Fix[0] = "changed"
	again, _ := set.Catalogue.Lookup(code)
	if again.Sources[0] != "guide" || again.Runbooks.Fix[0] != "usn-journal-cleanup" {
		t.Error("changing a looked-up entry changed the catalogue")
	}
	if _, ok := set.Catalogue.Lookup(mustCode(t, "0x80780166")); ok {
		t.Error("Lookup found a code that is not in the file")
	}
}

func TestLoadKeepsValidEntriesBesideInvalidOnes(t *testing.T) {
	bad := strings.Replace(entryYAML("0x80780166", "wsb"), "family: wsb", "family: vss", 1)
	dupKey := strings.Replace(entryYAML("0x807800C5", "wsb"), `en: "Cause."`, `en: "Cause."`+"\n      en: \"Again.\"", 1)
	file := catalogueYAML(entryYAML("0x80780119", "wsb"), bad, entryYAML("0x80070005", "win32"), dupKey)
	set, ps := Load(Source{FS: fstest.MapFS{"c.yaml": {Data: []byte(file)}}})
	if n := len(ps.Errors()); n != 2 {
		t.Fatalf("want 2 errors, got %v", ps.Errors())
	}
	var codes []string
	for _, e := range set.Catalogue.Entries() {
		codes = append(codes, e.Code.String())
	}
	if diff := cmp.Diff([]string{"0x80070005", "0x80780119"}, codes); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestDuplicateAcrossFilesInOneSource(t *testing.T) {
	fsys := fstest.MapFS{
		"catalogue/a.yaml":     {Data: []byte(catalogueYAML(entryYAML("0x80780119", "wsb")))},
		"catalogue/sub/b.yaml": {Data: []byte(catalogueYAML(entryYAML("0x80780166", "wsb"), entryYAML("0x80780119", "wsb")))},
	}
	set, ps := Load(Source{Name: "bundled", FS: fsys})
	want := []string{
		`bundled/catalogue/a.yaml:3: code 0x80780119 is defined more than once in this source; also at bundled/catalogue/sub/b.yaml:19`,
		`bundled/catalogue/sub/b.yaml:19: code 0x80780119 is defined more than once in this source; also at bundled/catalogue/a.yaml:3`,
	}
	if diff := cmp.Diff(want, errStrings(ps)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	e, ok := set.Catalogue.Lookup(mustCode(t, "0x80780119"))
	if !ok || e.File != "bundled/catalogue/a.yaml" {
		t.Errorf("Lookup = %v, %v; want the first definition (a.yaml)", e.File, ok)
	}
}

func TestLaterSourceOverrides(t *testing.T) {
	bundled := fstest.MapFS{"catalogue/wsb.yaml": {Data: []byte(catalogueYAML(entryYAML("0x80780119", "wsb"), entryYAML("0x80780166", "wsb")))}}
	override := strings.Replace(entryYAML("0x80780119", "wsb"), `en: "Cause."`, `en: "Our site's cause."`, 1)
	ops := fstest.MapFS{"local.yaml": {Data: []byte(catalogueYAML(override, entryYAML("0x80070005", "win32")))}}
	set, ps := Load(Source{Name: "bundled", FS: bundled}, Source{Name: "/etc/wsbbot/runbooks/", FS: ops})
	if err := ps.Err(); err != nil {
		t.Fatalf("override is not a problem, got: %v", err)
	}
	if set.Catalogue.Len() != 3 {
		t.Errorf("Len = %d, want 3", set.Catalogue.Len())
	}
	e, _ := set.Catalogue.Lookup(mustCode(t, "0x80780119"))
	if e.Cause.EN != "Our site's cause." || e.File != "/etc/wsbbot/runbooks/local.yaml" || e.Line != 3 {
		t.Errorf("overridden entry = %q from %s:%d; want the operator's", e.Cause.EN, e.File, e.Line)
	}
	if e, _ := set.Catalogue.Lookup(mustCode(t, "0x80780166")); e.File != "bundled/catalogue/wsb.yaml" {
		t.Errorf("untouched entry from %q, want bundled", e.File)
	}
	// An invalid override leaves the earlier entry in place.
	broken := strings.Replace(entryYAML("0x80780166", "wsb"), `ja: "原因。"`, `ja: ""`, 1)
	set, ps = Load(Source{Name: "bundled", FS: bundled}, Source{Name: "ops", FS: fstest.MapFS{"x.yaml": {Data: []byte(catalogueYAML(broken))}}})
	if len(ps.Errors()) != 1 {
		t.Fatalf("want one error, got %v", ps.Errors())
	}
	if e, _ := set.Catalogue.Lookup(mustCode(t, "0x80780166")); e.File != "bundled/catalogue/wsb.yaml" {
		t.Errorf("after an invalid override the entry comes from %q, want bundled", e.File)
	}
}

func TestCheckRefsWarnings(t *testing.T) {
	file := `kind: catalogue
codes:
  - code: "0x800423F4"
    family: vss-writer
    title: {en: "T", ja: "表題"}
    cause: {en: "C", ja: "原因"}
    first_action: {en: "F", ja: "対処"}
    verified: true
    verification: "v"
    sources: ["s"]
    runbooks:
      diagnose: [diag-vss-writers]
      fix:
        - vss-writer-restart
      guide: [guide-sql-memory, guide-sql-memory]
`
	set, ps := Load(Source{Name: "bundled", FS: fstest.MapFS{"catalogue/g.yaml": {Data: []byte(file)}}})
	if err := ps.Err(); err != nil {
		t.Fatalf("only warnings expected, Err() = %v", err)
	}
	want := []string{
		`bundled/catalogue/g.yaml:15: warning: 0x800423F4: runbook "guide-sql-memory" is listed twice in runbooks.guide`,
		`bundled/catalogue/g.yaml:12: warning: runbook "diag-vss-writers" referenced by 0x800423F4 is not written yet`,
		`bundled/catalogue/g.yaml:14: warning: runbook "vss-writer-restart" referenced by 0x800423F4 is not written yet`,
		`bundled/catalogue/g.yaml:15: warning: runbook "guide-sql-memory" referenced by 0x800423F4 is not written yet`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ps[1:], set.CheckRefs()); diff != "" {
		t.Errorf("CheckRefs differs from Load's warnings (-want +got):\n%s", diff)
	}
	if len(set.RunbookIDs()) != 0 {
		t.Errorf("RunbookIDs = %v, want none yet", set.RunbookIDs())
	}
}

func TestLoadWalk(t *testing.T) {
	fsys := fstest.MapFS{
		"z.yml":               {Data: []byte(catalogueYAML(entryYAML("0x80070005", "win32")))},
		"a/b/c.YAML":          {Data: []byte(catalogueYAML(entryYAML("0x80780119", "wsb")))},
		"README.md":           {Data: []byte("not yaml: [")},
		"notes.txt":           {Data: []byte("kind: nonsense")},
		".git/config.yaml":    {Data: []byte("kind: nonsense")},
		"a/.hidden.yaml":      {Data: []byte("kind: nonsense")},
		"a/empty-dir/.keep":   {Data: nil},
		"bugcheck/7b.yaml":    {Data: []byte(catalogueYAML(entryYAML("0x0000007B", "bugcheck")))},
		"win7/backup.yaml":    {Data: []byte(catalogueYAML(entryYAML("0x81000019", "win7-backup")))},
		"com/classnotreg.yml": {Data: []byte(catalogueYAML(entryYAML("0x80040154", "com")))},
	}
	set, ps := Load(Source{Name: "ops", FS: fsys})
	if err := ps.Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range set.Catalogue.Entries() {
		got = append(got, e.Code.String()+" "+e.File)
	}
	want := []string{
		"0x0000007B ops/bugcheck/7b.yaml",
		"0x80040154 ops/com/classnotreg.yml",
		"0x80070005 ops/z.yml",
		"0x80780119 ops/a/b/c.YAML",
		"0x81000019 ops/win7/backup.yaml",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestLoadMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	_, ps := Load(Source{Name: dir, FS: os.DirFS(dir)})
	errs := errStrings(ps)
	if len(errs) != 1 || !strings.HasPrefix(errs[0], dir+": read: ") {
		t.Errorf("errors = %q, want one read error naming %s", errs, dir)
	}
}

func TestLoadNilFS(t *testing.T) {
	set, ps := Load(Source{Name: "/missing"})
	if diff := cmp.Diff([]string{"/missing: source has no file system"}, errStrings(ps)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if set.Catalogue.Len() != 0 || len(set.Catalogue.Entries()) != 0 {
		t.Error("catalogue not empty")
	}
}

// bench500 builds 500 catalogue files of 3 entries each, every code unique.
func bench500() fstest.MapFS {
	fsys := fstest.MapFS{}
	for f := range 500 {
		var entries []string
		for i := range 3 {
			n := f*3 + i
			code := fmt.Sprintf("0x8078%04X", n) // WSB family, 1500 distinct codes
			entries = append(entries, entryYAML(code, "wsb"))
		}
		fsys[fmt.Sprintf("catalogue/f%03d.yaml", f)] = &fstest.MapFile{Data: []byte(catalogueYAML(entries...))}
	}
	return fsys
}

func TestBench500Loads(t *testing.T) {
	set, ps := Load(Source{Name: "bench", FS: bench500()})
	if err := ps.Err(); err != nil {
		t.Fatal(err)
	}
	if set.Catalogue.Len() != 1500 {
		t.Fatalf("Len = %d, want 1500", set.Catalogue.Len())
	}
	if w := len(ps.Warnings()); w != 3000 {
		t.Errorf("warnings = %d, want 3000 (a diagnose and a fix id per entry, none written)", w)
	}
}

// BenchmarkLoad500 loads and validates 500 catalogue files (1,500 entries).
// The product target is under 100 ms for 500 files.
func BenchmarkLoad500(b *testing.B) {
	fsys := bench500()
	var size int
	for _, f := range fsys {
		size += len(f.Data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		set, ps := Load(Source{Name: "bench", FS: fsys})
		if ps.Err() != nil || set.Catalogue.Len() != 1500 {
			b.Fatalf("Load: %v, %d entries", ps.Err(), set.Catalogue.Len())
		}
	}
}

// FuzzLoadCatalogue feeds arbitrary bytes to Load as one catalogue file: it
// must never panic, every problem must name the file, and every entry it
// accepts must satisfy the schema.
func FuzzLoadCatalogue(f *testing.F) {
	valid := entryYAML("0x80780166", "wsb")
	for _, s := range []string{
		catalogueYAML(valid),
		catalogueYAML(valid, valid),
		catalogueYAML(strings.Replace(valid, "family: wsb", "family: vss", 1)),
		catalogueYAML("  - ~\n  - [x]\n", valid),
		"kind: catalogue\ncodes:\n  - code: 0x800423F4\n    code: x\n",
		"kind: runbook\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, ps := Load(Source{Name: "f", FS: fstest.MapFS{"c.yaml": {Data: data}}})
		for _, p := range ps {
			if p.File != "f/c.yaml" || p.Line < 0 || p.Msg == "" || strings.Contains(p.Msg, "internal:") {
				t.Fatalf("bad problem %#v", p)
			}
		}
		for _, e := range set.Catalogue.Entries() {
			fam, ok := hresultFamily(e.Family)
			switch {
			case !ok || fam != e.Code.Family():
				t.Fatalf("accepted %s with family %q", e.Code, e.Family)
			case e.Title.EN == "" || e.Title.JA == "" || e.Cause.EN == "" || e.Cause.JA == "" ||
				e.FirstAction.EN == "" || e.FirstAction.JA == "":
				t.Fatalf("accepted %s without both languages: %+v", e.Code, e)
			case len(e.Runbooks.Diagnose) == 0 || len(e.Sources) == 0 || e.Verification == "":
				t.Fatalf("accepted incomplete %s: %+v", e.Code, e)
			case e.File != "f/c.yaml" || e.Line < 1:
				t.Fatalf("accepted %s at %s:%d", e.Code, e.File, e.Line)
			}
			for _, id := range e.Runbooks.All() {
				if !isRunbookID(id) {
					t.Fatalf("accepted %s with runbook id %q", e.Code, id)
				}
			}
		}
	})
}
