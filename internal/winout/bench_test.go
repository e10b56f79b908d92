package winout

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

func writersInput(n int) string {
	var b strings.Builder
	b.WriteString("vssadmin 1.1 - Volume Shadow Copy Service administrative command-line tool\r\n(C) Copyright 2001-2013 Microsoft Corp.\r\n\r\n")
	for i := 0; i < n; i++ {
		state, word, last := 1, "Stable", "No error"
		if i%10 == 7 {
			state, word, last = 9, "Failed", "Timed out"
		}
		fmt.Fprintf(&b, "Writer name: 'Writer %d'\r\n   Writer Id: {%08x-0000-4000-8000-%012x}\r\n   Writer Instance Id: {%08x-1111-4111-8111-%012x}\r\n   State: [%d] %s\r\n   Last error: %s\r\n\r\n",
			i, i, i, i, i, state, word, last)
	}
	return b.String()
}

func TestWritersInput(t *testing.T) {
	got, err := ParseVSSWriters(writersInput(200))
	if err != nil || len(got.Writers) != 200 || len(got.Failed()) != 20 || len(got.Warnings) != 0 {
		t.Fatalf("200 writers: %v, %d writers, %d failed, warnings %q", err, len(got.Writers), len(got.Failed()), got.Warnings)
	}
}

func BenchmarkParseVSSWriters200(b *testing.B) {
	text := writersInput(200)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseVSSWriters(text); err != nil {
			b.Fatal(err)
		}
	}
}

// adversarialInputs are shapes that would make a careless parser
// quadratic, repeated to about n bytes.
func adversarialInputs(n int) map[string]string {
	return map[string]string{
		"open braces":    strings.Repeat("{", n),
		"brace lines":    strings.Repeat("a: {0123\n0123\n", n/12),
		"quotes":         strings.Repeat("a: '", n/4),
		"brackets":       strings.Repeat("x: [1", n/5),
		"colons":         strings.Repeat(": ", n/2),
		"volume paths":   strings.Repeat(`a: \\?\Volume{`, n/14),
		"mountvol lines": strings.Repeat("\\\\?\\Volume{x}\\\nC:\\\n", n/20),
		"hex":            strings.Repeat("0x8000000", n/9),
		"versions":       strings.Repeat("x: 01/01/2024-00:00\n", n/20),
		"writers":        strings.Repeat("Writer name: 'a'\n", n/17),
		"props":          strings.Repeat("A : b\n   c\n", n/12),
		"stars":          strings.Repeat("*", n),
		"timestamps":     strings.Repeat("2024-03-15 11:16:38 [INFO] ", n/27),
		"host prefixes":  strings.Repeat("h: h: h:\n", n/9),
	}
}

// BenchmarkAdversarial runs every parser on adversarial inputs of 64 KiB and
// 1 MiB. Linear parsers show the same MB/s at both sizes; a quadratic one
// drops by about 16x. Compare with `make bench` (a speed target belongs in a
// benchmark, not in a timed unit test).
func BenchmarkAdversarial(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		inputs := adversarialInputs(size)
		names := make([]string, 0, len(inputs))
		for name := range inputs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			in := inputs[name]
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(in) * len(Kinds)))
				for i := 0; i < b.N; i++ {
					for _, k := range Kinds {
						parseAny(k, in)
					}
				}
			})
		}
	}
}
