package ps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeHost is a host with two cmdlets, one native program, an environment
// and a fixed clock.
type fakeHost struct{}

func (fakeHost) Command(name string) (*Command, bool) {
	switch strings.ToLower(name) {
	case "get-thing":
		return &Command{Name: "Get-Thing", Named: []string{"Name"}, Positional: []string{"Name"}, Run: func(c *Call) ([]any, error) {
			things := []any{
				NewObject("Thing", P("Name", "alpha"), P("Size", int64(10)), P("Tags", []any{"a", "b"})),
				NewObject("Thing", P("Name", "beta"), P("Size", int64(200)), P("Tags", []any{"b"})),
				NewObject("Thing", P("Name", "gamma"), P("Size", int64(3)), P("Tags", nil)),
			}
			n, ok := c.Str("Name")
			if !ok {
				return things, nil
			}
			var out []any
			for _, t := range things {
				if v, _ := t.(*Object).Get("Name"); Like(n, String(v)) {
					out = append(out, t)
				}
			}
			if out == nil {
				return nil, c.Error(&ErrorRecord{Message: "Cannot find a thing named '" + n + "'.", Category: "ObjectNotFound", Target: n, TargetType: "String", Exception: "ItemNotFoundException", FQID: "NoThing," + c.CommandClass()})
			}
			return out, nil
		}}, true
	}
	return nil, false
}

func (fakeHost) Native(name string) (Native, bool) {
	if !strings.EqualFold(name, "tool.exe") && !strings.EqualFold(name, "tool") {
		return nil, false
	}
	return func(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "tool %s\r\n", strings.Join(args, ","))
		if len(args) > 0 && args[0] == "fail" {
			return 3
		}
		return 0
	}, true
}

func (fakeHost) Env(name string) (string, bool) {
	if strings.EqualFold(name, "COMPUTERNAME") {
		return "FS01", true
	}
	return "", false
}

func (fakeHost) Now() time.Time { return time.Date(2026, 3, 15, 2, 0, 13, 0, time.UTC) }

func enCulture() *Culture {
	return &Culture{
		Lang:           "en",
		NotRecognized:  "The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program.",
		AtLine:         "At line:%d char:%d",
		ParamNotFound:  "A parameter cannot be found that matches parameter name '%s'.",
		Positional:     "A positional parameter cannot be found that accepts argument '%s'.",
		MethodNotFound: "Method invocation failed because [%s] does not contain a method named '%s'.",
		Unsupported:    "The lab does not run this PowerShell syntax: %s.",
		CannotConvert:  "Cannot convert value \"%s\" to type \"%s\".",
		ShortDateTime:  "1/2/2006 3:04:05 PM", ShortDate: "1/2/2006", DateTimeNoSec: "1/2/2006 3:04 PM", LongDate: "Monday, January 2, 2006 3:04:05 PM",
	}
}

type runResult struct {
	Stdout, Stderr string
	Code           int
}

func runScript(t *testing.T, script string, cache *Cache) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	code := Run(ctx, Session{Host: fakeHost{}, Culture: enCulture(), Build: "10.0.17763", Stdout: &o, Stderr: &e, Scripts: cache}, script)
	return runResult{Stdout: o.String(), Stderr: e.String(), Code: code}
}

// lines is what a script writes, one string per line.
func lines(s ...string) string { return strings.Join(s, "\r\n") + "\r\n" }

// TestRunbookPowerShell runs the PowerShell runbook authors write: each
// case gives the exact output and exit code.
func TestRunbookPowerShell(t *testing.T) {
	tests := []struct {
		name, script string
		want         string
		code         int
	}{
		// pipelines and the object cmdlets
		{"where filter script", "Get-Thing | Where-Object { $_.Size -gt 5 } | ForEach-Object { $_.Name }", lines("alpha", "beta"), 0},
		{"where property form", "(Get-Thing | Where-Object Size -lt 5).Name", lines("gamma"), 0},
		{"where -match", "Get-Thing | Where-Object { $_.Name -match '^[ab]' } | ForEach-Object Name", lines("alpha", "beta"), 0},
		{"select expand", "Get-Thing | Select-Object -ExpandProperty Name -First 2", lines("alpha", "beta"), 0},
		{"select calculated", "Get-Thing -Name beta | Select-Object Name, @{n='KB';e={$_.Size * 2}} | ConvertTo-Json -Compress", lines(`{"Name":"beta","KB":400}`), 0},
		{"sort and measure", "(Get-Thing | Sort-Object Size -Descending | Select-Object -First 1).Name; (Get-Thing | Measure-Object -Property Size -Sum).Sum", lines("beta", "213"), 0},
		{"member enumeration", "(Get-Thing).Name -join ','", lines("alpha,beta,gamma"), 0},
		{"count of a filter", "@(Get-Thing | Where-Object { $_.Tags -contains 'b' }).Count", lines("2"), 0},
		// parameters arrive as $P
		{"$P parameter", "$P = '{\"service\":\"VSS\",\"n\":3}' | ConvertFrom-Json\n\"$($P.service) x$($P.n)\"", lines("VSS x3"), 0},
		{"$P in a filter", "$P = '{\"name\":\"gamma\"}' | ConvertFrom-Json\nGet-Thing -Name $P.name | ForEach-Object { $_.Size }", lines("3"), 0},
		// hashtables
		{"hashtable", "$h = @{ a = 1; b = 'two' }\n$h.a + 1; $h['b']; $h.Count; $h.ContainsKey('a')", lines("2", "two", "2", "True"), 0},
		{"hashtable to json", "@{ ok = $true; n = $null; list = @(1, 2) } | ConvertTo-Json -Compress", lines(`{"ok":true,"n":null,"list":[1,2]}`), 0},
		// if / elseif / else
		{"if", "if (1 -lt 2) { 'yes' }", lines("yes"), 0},
		{"if else", "$x = 5\nif ($x -gt 10) {\n  'big'\n} else {\n  'small'\n}", lines("small"), 0},
		{"elseif", "$x = 'b'\nif ($x -eq 'a') { 1 } elseif ($x -eq 'b') { 2 } else { 3 }", lines("2"), 0},
		{"if on a pipeline", "if (Get-Thing | Where-Object { $_.Size -gt 100 }) { 'found' }", lines("found"), 0},
		{"if on $null", "if ($null) { 'x' } else { 'null is false' }", lines("null is false"), 0},
		{"else on its own line", "if ($false) { 'a' }\nelse { 'b' }", lines("b"), 0},
		// foreach
		{"foreach", "foreach ($t in Get-Thing) { $t.Name.ToUpper() }", lines("ALPHA", "BETA", "GAMMA"), 0},
		{"foreach array", "$sum = 0\nforeach ($n in @(1, 2, 3)) { $sum = $sum + $n }\n$sum", lines("6"), 0},
		{"foreach in a subexpression", "$names = @(foreach ($t in Get-Thing) { if ($t.Size -lt 50) { $t.Name } })\n$names -join '+'", lines("alpha+gamma"), 0},
		// try / catch / finally
		{"try catch throw", "try { throw 'boom' } catch { \"caught $_\" }", lines("caught boom"), 0},
		{"try catch -ErrorAction Stop", "try { Get-Thing -Name nosuch -ErrorAction Stop; 'not here' } catch { $_.Exception.Message }", lines("Cannot find a thing named 'nosuch'."), 0},
		{"finally runs", "try { 'body' } finally { 'finally' }", lines("body", "finally"), 0},
		{"catch then finally", "try { throw 'x' } catch { 'c' } finally { 'f' }\n'after'", lines("c", "f", "after"), 0},
		{"exit passes through try", "try { exit 4 } catch { 'no' }", "", 4},
		// comparison operators: strings against ints, case, wildcards, regex
		{"-eq string left", "'10' -eq 10; '010' -eq 10; 'abc' -eq 'ABC'", lines("True", "False", "True"), 0},
		{"-eq int left", "10 -eq '10'; 10 -eq '010'; 10 -eq 10.0", lines("True", "True", "True"), 0},
		{"-ceq -clike -cmatch", "'abc' -ceq 'ABC'; 'abc' -ceq 'abc'; 'Abc' -clike 'a*'; 'Abc' -cmatch '^A'", lines("False", "True", "False", "True"), 0},
		{"-gt string vs int", "'9' -gt 10; 9 -gt '10'", lines("True", "False"), 0},
		{"-like", "'SqlServerWriter' -like 'sql*writer'; 'x' -notlike '?'", lines("True", "False"), 0},
		{"-match and $matches-free use", "'0x80780119 failed' -match '0x[0-9a-f]{8}'; 'abc' -notmatch 'B'", lines("True", "False"), 0},
		{"-match on an array filters", "@('a1', 'b2', 'a3') -match '^a' -join ','", lines("a1,a3"), 0},
		{"-contains -in", "@(1, 2) -contains '2'; 'x' -in @('X', 'y'); 3 -notin 1, 2", lines("True", "True", "True"), 0},
		{"-and -or -not", "($true -and 1) -or $false; -not (1 -eq 1); !$null", lines("True", "False", "True"), 0},
		// strings
		{"interpolation", "$n = 'fs01'; $c = 3\n\"host $n has $c items, $($c * 2) doubled, `$literal\"", lines("host fs01 has 3 items, 6 doubled, $literal"), 0},
		{"single quotes do not expand", "$n = 1; '$n and $(1)'", lines("$n and $(1)"), 0},
		{"member in interpolation needs $()", "$t = Get-Thing -Name alpha\n\"$($t.Name) $t.Name\"", lines("alpha Thing.Name"), 0},
		{"-f -replace -split", "'{0}-{1:N1}' -f 'a', 2.25; 'a.b.c' -replace '\\.', '/'; ('a,b' -split ',').Count", lines("a-2.3", "a/b/c", "2"), 0},
		{"env and date", "$env:COMPUTERNAME; (Get-Date).Year", lines("FS01", "2026"), 0},
		// native programs
		{"native and $LASTEXITCODE", "tool.exe one two\n$LASTEXITCODE", lines("tool one,two", "0"), 0},
		{"native failure", "tool fail\n\"code $LASTEXITCODE\"\nexit $LASTEXITCODE", lines("tool fail", "code 3"), 3},
		// exit codes
		{"exit code", "'a'; exit 7; 'b'", lines("a"), 7},
		{"last statement failed", "Get-Thing -Name nosuch", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runScript(t, tc.script, nil)
			if diff := cmp.Diff(runResult{Stdout: tc.want, Code: tc.code}, runResult{Stdout: got.Stdout, Code: got.Code}); diff != "" {
				t.Errorf("script:\n%s\n(-want +got):\n%s\nstderr: %s", tc.script, diff, got.Stderr)
			}
		})
	}
}

// TestErrorsNameTheProblem checks that what the interpreter does not run,
// or cannot bind, fails with exit code 1 and a message that says what.
func TestErrorsNameTheProblem(t *testing.T) {
	tests := []struct{ name, script, want string }{
		{"while", "while ($true) { 'x' }", "does not run this PowerShell syntax: while (...) { ... }"},
		{"for", "for ($i = 0; $i -lt 3; $i++) { }", "does not run this PowerShell syntax: for (...) { ... }"},
		{"function", "function f { 1 }", "does not run this PowerShell syntax: function"},
		{"switch", "switch ($x) { 1 { 'a' } }", "does not run this PowerShell syntax: switch (...) { ... }"},
		{"typed catch", "try { 1 } catch [System.Exception] { 2 }", "does not run this PowerShell syntax: catch [ExceptionType] { ... }"},
		{"compound assignment", "$x = 1\n$x += 2", "does not run this PowerShell syntax: compound assignment (+=)"},
		{"property assignment", "$h = @{}\n$h.a = 1", "does not run this PowerShell syntax: property assignment"},
		{"break", "foreach ($x in 1, 2) { break }", "does not run this PowerShell syntax: break"},
		{"try without catch", "try { 1 }", "The Try statement is missing its Catch or Finally block."},
		{"if without block", "if ($true) 'x'", "Missing statement block."},
		{"foreach without in", "foreach ($x 1, 2) { }", "Missing 'in' after variable in foreach loop."},
		{"unknown cmdlet", "Get-Nothing", "The term 'Get-Nothing' is not recognized"},
		{"unknown parameter", "Get-Thing -Colour red", "A parameter cannot be found that matches parameter name 'Colour'."},
		{"unknown method", "'x'.Frobnicate()", "does not contain a method named 'Frobnicate'"},
		{"bad cast", "[int]'abc'", `Cannot convert value "abc" to type "System.Int32".`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runScript(t, tc.script, nil)
			if got.Code != 1 || !strings.Contains(clixmlText(got.Stderr), tc.want) {
				t.Errorf("script %q: code %d, stderr %q; want code 1 and %q", tc.script, got.Code, clixmlText(got.Stderr), tc.want)
			}
		})
	}
}

// clixmlText joins the error lines of a CLIXML stream, unescaped and
// unwrapped, for substring checks.
func clixmlText(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, `<S S="Error">`)[1:] {
		line, _, _ := strings.Cut(part, "</S>")
		line = strings.ReplaceAll(line, "_x000D__x000A_", "")
		b.WriteString(line)
	}
	r := strings.NewReplacer("&apos;", "'", "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&")
	return r.Replace(b.String())
}
