package runbooks

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// paramsRunbook declares one parameter of every type.
const paramsRunbook = `kind: runbook
id: params-demo
version: 1
category: fix
title: {en: "T", ja: "表題"}
description: {en: "D", ja: "説明"}
params:
  - {name: target, type: target}
  - {name: drive, type: drive-letter, default: ""}
  - {name: service, type: service, allow: [SQLWriter, VSS, CryptSvc]}
  - {name: mode, type: enum, values: [quick, full], default: quick}
  - {name: max, type: int, min: 1, max: 10, default: 3}
  - {name: folder, type: path, default: ""}
steps:
  - {id: one, mode: read-only, shell: cmd, script: "echo {{drive}} {{max}} {{mode}} {{service}}"}
`

func mustRunbook(t testing.TB, yaml string) *Runbook {
	t.Helper()
	set, ps := Load(Source{Name: "t", FS: fstest.MapFS{"r.yaml": {Data: []byte(yaml)}}})
	if err := ps.Err(); err != nil {
		t.Fatalf("load: %v", err)
	}
	rbs := set.Runbooks()
	if len(rbs) != 1 {
		t.Fatalf("loaded %d runbooks", len(rbs))
	}
	return rbs[0]
}

func TestBind(t *testing.T) {
	rb := mustRunbook(t, paramsRunbook)
	inventory := func(s string) bool { return s == "fs01" || s == "dc01" }
	for _, tc := range []struct {
		name string
		raw  map[string]string
		want map[string]any
		errs []string
	}{
		{"defaults and normalising", map[string]string{"target": "fs01", "service": "sqlwriter", "drive": "z:"},
			map[string]any{"target": "fs01", "drive": "Z", "service": "SQLWriter", "mode": "quick", "max": 3, "folder": ""}, nil},
		{"all given, names in any case", map[string]string{"Target": "dc01", "SERVICE": "VSS", "drive": `e:\`, "mode": "FULL", "max": "10", "folder": `\\nas01\backup\fs01`},
			map[string]any{"target": "dc01", "drive": "E", "service": "VSS", "mode": "full", "max": 10, "folder": `\\nas01\backup\fs01`}, nil},
		{"every problem at once", map[string]string{"target": "evil", "drive": "ZZ", "service": "Spooler", "mode": "slow", "max": "11", "folder": `C:\x & del *`, "extra": "1"},
			nil, []string{
				`parameter "target": "evil" is not a server of the inventory`,
				`parameter "drive": "ZZ" is not a drive letter (A-Z)`,
				`parameter "service": "Spooler" is not an allowed service (allowed: SQLWriter, VSS, CryptSvc)`,
				`parameter "mode": "slow" is not one of quick, full`,
				`parameter "max": "11" is out of range (want from 1 to 10)`,
				`parameter "folder": "C:\\x & del *" holds '&', which a path may not (no quotes, wildcards, redirections or variables)`,
				`parameter "extra" is not a parameter of params-demo (it has: target, drive, service, mode, max, folder)`,
			}},
		{"required missing", map[string]string{"max": "x"}, nil, []string{
			`parameter "target" is required (a server of the inventory)`,
			`parameter "service" is required (one of SQLWriter, VSS, CryptSvc)`,
			`parameter "max": "x" is not a whole number`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := rb.Bind(tc.raw, inventory)
			if tc.errs != nil {
				var be *BindError
				if !errors.As(err, &be) {
					t.Fatalf("err = %v, want a *BindError", err)
				}
				if diff := cmp.Diff(tc.errs, be.Problems); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Map()); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckWindowsPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{`D:\Backup`, true},
		{`c:\`, true},
		{`\\nas01\backup`, true},
		{`\\nas01\backup\fs01\x y`, true},
		{`D:Backup`, false},
		{`Backup`, false},
		{`\\nas01`, false},
		{`\\nas01\`, false},
		{`D:\a\..\b`, false},
		{`D:\a:stream`, false},
		{`D:\a"b`, false},
		{`D:\a*`, false},
		{`D:\a?`, false},
		{`D:\a` + "\n" + `b`, false},
		{`D:\$env:x`, false},
		{`D:\a;b`, false},
		{`D:\a|b`, false},
		{"", false},
		// Found when tried as an attacker: each passed before.
		{`C:\a/../../Windows`, false},
		{`C:\a/b`, false},
		{"D:\\Backup\u202egpj.exe", false}, // right-to-left override
		{"D:\\Back\u2028up", false},        // line separator
		{"D:\\Back\u200bup", false},        // zero-width space
		{"D:\\Back\u2066up\u2069", false},  // isolate
		{`\\.\pipe\x`, false},
		{`\\?\C:\Windows`, false},
		{`\\?\UNC\srv\share`, false},
		{`D:\CON`, false},
		{`D:\Backup\nul.txt`, false},
		{`D:\com1`, false},
		{"D:\\LPT\u00b9", false},
		{`D:\aux .log`, false},
		{`D:\Backup.`, false},
		{`D:\Backup `, false},
		{`D:\Console\CONTOSO`, true},
		{`D:\COM10`, true},
		{`\\nas01\backup\日本語 フォルダー`, true},
	} {
		if err := checkWindowsPath(tc.path); (err == nil) != tc.ok {
			t.Errorf("checkWindowsPath(%q) = %v, want ok %v", tc.path, err, tc.ok)
		}
	}
}
