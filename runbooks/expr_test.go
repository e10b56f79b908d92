package runbooks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func exprVars() map[string]any {
	return map[string]any{
		"result": map[string]any{
			"writers": []any{
				map[string]any{"name": "System Writer", "writer_id": "e8132975-6f93-4464-a53e-1050253ae220", "state": 1.0, "class": "stable"},
				map[string]any{"name": "SqlServerWriter", "writer_id": "a65faa63-5ea8-4ebc-9dbd-a0c4db26912a", "state": 8.0, "class": "failed"},
				map[string]any{"name": "Microsoft Exchange Replica Writer", "writer_id": "76fe1ac4-15f7-4bcd-987e-8e1acb462fb7", "state": 9.0, "class": "failed"},
			},
			"JobState": 2.0,
		},
		"steps": map[string]any{
			"list-writers": map[string]any{"ran": true, "result": map[string]any{"writers": []any{}}},
		},
		"params": map[string]any{"drive": "Z", "max": 3.0},
		"target": "fs01",
	}
}

func TestExprEval(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want any
	}{
		{"1 == 1", true},
		{"'a' != \"a\"", false},
		{"-1 < 0 && !(2 <= 1)", true},
		{"'abc' < 'abd'", true},
		{"count(result.writers)", 3.0},
		{"count(result.writers) > 0 || null", true},
		{"result.writers[1].name", "SqlServerWriter"},
		{"result.writers[7].name", nil},
		{"result.writers[0]['class']", "stable"},
		{"result.nothing.deeper", nil},
		{"steps.list-writers.ran", true},
		{"count(steps.list-writers.result.writers) > 0", false},
		{"all(result.writers, item.class == 'stable')", false},
		{"any(result.writers, item.class == 'failed')", true},
		{"all([])", true},
		{"any([false, true])", true},
		{"map(filter(result.writers, item.state != 1), item.name)", []any{"SqlServerWriter", "Microsoft Exchange Replica Writer"}},
		{"map(result.writers, service_for(item.writer_id, item.name))", []any{"CryptSvc", "SQLWriter", "MSExchangeRepl"}},
		{"service_for('', 'dhcp jet writer')", "DHCPServer"},
		{"service_for('{A65FAA63-5EA8-4EBC-9DBD-A0C4DB26912A}', 'renamed')", "SQLWriter"},
		{"service_for('76fe1ac4-15f7-4bcd-987e-8e1acb462fb7', 'Microsoft Exchange Writer')", "MSExchangeIS"},
		{"service_for('76fe1ac4-15f7-4bcd-987e-8e1acb462fb7', 'other')", ""},
		{"service_for('', 'MSMQ Writer (MSMQ$Clu1)')", "MSMQ$Clu1"},
		{"service_for('', 'Cluster Shared Volume VSS Writer')", ""},
		{"service_for(null, 'Unknown Writer')", ""},
		{"disruptive('NTDS') && disruptive('MSExchangeIS') && disruptive('SQLWriter') && !disruptive('VSS')", true},
		{"free_letter(['C', 'd:', 'Z:\\\\'])", "Y"},
		{"free_letter([])", "Z"},
		{"contains(['a', 'b'], 'b') && contains('hello', 'ell') && !contains(null, 1)", true},
		{"lower('SQLWriter') == 'sqlwriter' && upper('a') == 'A'", true},
		{"join(['a', 1, true], '+')", "a+1+true"},
		{"concat('x', 1, '-', null)", "x1-null"},
		{"unique(['a', 'b', 'a'])", []any{"a", "b"}},
		{"params.drive == 'Z' && params.max >= 3 && target == 'fs01'", true},
		{"result.JobState != 2", false},
		{"null == null && [1, 'a'] == [1, 'a']", true},
		{"1 == '1'", false},
	} {
		t.Run(tc.src, func(t *testing.T) {
			e, err := ParseExpr(tc.src)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := e.Eval(exprVars())
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestExprErrors(t *testing.T) {
	biglist := "[" + strings.Repeat("0,", 200) + "0]"
	for _, tc := range []struct {
		src, parseErr, evalErr string
	}{
		{src: "", parseErr: "empty"},
		{src: "1 +", parseErr: `unexpected character '+'`},
		{src: "a == b == c", parseErr: "do not chain"},
		{src: "exec('rm')", parseErr: `unknown function "exec"`},
		{src: "count()", parseErr: "count takes 1 arguments, got 0"},
		{src: "'open", parseErr: "unterminated string"},
		{src: "(1", parseErr: `want ")"`},
		{src: "a.", parseErr: "want a name"},
		{src: "1 2", parseErr: "after the expression"},
		{src: strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), parseErr: "nests deeper"},
		{src: strings.Repeat("x", maxExprLen+1), parseErr: "limit"},
		{src: "nosuch", evalErr: `unknown name "nosuch"`},
		{src: "1 && true", evalErr: "needs true or false"},
		{src: "'a' < 1", evalErr: "cannot compare"},
		{src: "count(1)", evalErr: "cannot count"},
		{src: "result.writers[0].name.x", evalErr: ".x of the string"},
		{src: "all(result.writers, item.name)", evalErr: "not true or false"},
		{src: "result.writers[0.5]", evalErr: "whole number"},
		{src: "join(map(" + biglist + ", join(map(" + biglist + ", '" + strings.Repeat("x", 200) + "'))))", evalErr: "bytes of text"},
		{src: "map(" + biglist + ", map(" + biglist + ", map(" + biglist + ", 0)))", evalErr: "more than"},
	} {
		t.Run(tc.src[:min(len(tc.src), 40)], func(t *testing.T) {
			e, err := ParseExpr(tc.src)
			if tc.parseErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.parseErr) {
					t.Fatalf("parse error %v, want %q", err, tc.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			_, err = e.Eval(exprVars())
			if err == nil || !strings.Contains(err.Error(), tc.evalErr) {
				t.Fatalf("eval error %v, want %q", err, tc.evalErr)
			}
		})
	}
}

func TestExprRefs(t *testing.T) {
	e, err := ParseExpr("all(steps.a-b.result.x, item.y == params.p) && writer.z == target")
	if err != nil {
		t.Fatal(err)
	}
	got := e.refs()
	want := []exprRef{{root: "steps", fields: []string{"a-b", "result", "x"}}, {root: "params", fields: []string{"p"}},
		{root: "writer", fields: []string{"z"}}, {root: "target"}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(exprRef{})); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
}

// FuzzExpr checks that no input crashes the parser or the evaluator, and
// that evaluation is deterministic.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		"count(result.writers) > 0",
		"all(result.writers, item.class == 'stable')",
		"map(filter(steps.list-writers.result.writers, item.state != 1), service_for(item.writer_id, item.name))",
		"free_letter(['C', 'D']) == 'Z' || !(1 < 2)",
		"concat('a', 1, [1, 2], null)",
		"result.writers[-1]['x']",
		"'\\'' == \"\\\"\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseExpr(src)
		if err != nil {
			return
		}
		a, errA := e.Eval(exprVars())
		b, errB := e.Eval(exprVars())
		if (errA == nil) != (errB == nil) || !cmp.Equal(a, b) {
			t.Fatalf("%q evaluates differently twice: %v/%v vs %v/%v", src, a, errA, b, errB)
		}
		_ = e.refs()
	})
}

// TestExprFuncsTable checks the one declaration of the functions: each has
// one implementation, a sane arity (a lazy function's second argument is
// the per-item expression) and a name of its own.
func TestExprFuncsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range exprFuncs {
		switch {
		case seen[f.name]:
			t.Errorf("%s declared twice", f.name)
		case (f.eager == nil) == (f.lazy == nil):
			t.Errorf("%s: want exactly one of eager and lazy", f.name)
		case f.min < 1 || f.max < f.min:
			t.Errorf("%s: arity %d..%d", f.name, f.min, f.max)
		case f.lazy != nil && f.max != 2:
			t.Errorf("%s: a lazy function takes a list and one per-item expression, not up to %d arguments", f.name, f.max)
		}
		seen[f.name] = true
		if _, err := ParseExpr(f.name + "()"); err == nil || !strings.Contains(err.Error(), f.name) {
			t.Errorf("%s(): %v, want an arity error naming it", f.name, err)
		}
	}
}
