package runbooks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// RenderedStep is one step exactly as it is (or would be) sent to the
// server: for PowerShell the script text and the parameters that reach it
// as data in $P, for cmd the command line.
type RenderedStep struct {
	Phase       Phase  `json:"phase"`
	ID          string `json:"id"`
	Iteration   int    `json:"iteration"`
	Title       Text   `json:"title"`
	Description Text   `json:"description"`
	Mode        Mode   `json:"mode"`
	Shell       Shell  `json:"shell"`
	// Script is the cmd command line, or the PowerShell script text.
	Script string `json:"script"`
	// Params is the JSON object of parameters a PowerShell script reads as
	// $P ("" for cmd).
	Params  string        `json:"params,omitempty"`
	Timeout time.Duration `json:"timeout"`
	// Skipped is set when the step's condition was false in the dry run.
	Skipped bool `json:"skipped,omitempty"`
	// Conditional is set when the dry run could not decide the step (it
	// reads the outcome of a step the dry run did not run): it is rendered
	// once with the run's parameters, and decided when the run gets there.
	Conditional bool `json:"conditional,omitempty"`

	params map[string]any
}

// Command returns the command the step sends.
func (r RenderedStep) Command() Command {
	name := r.ID
	if r.Iteration > 0 {
		name += "#" + strconv.Itoa(r.Iteration)
	}
	c := Command{Shell: r.Shell, Script: r.Script, Timeout: r.Timeout, Name: name}
	if r.Shell == ShellPowerShell {
		c.Params = r.params
		if c.Params == nil {
			c.Params = map[string]any{}
		}
	}
	return c
}

// render renders st for one iteration with the given parameters.
func render(st *Step, iteration int, params Params) (RenderedStep, error) {
	r := RenderedStep{Phase: st.Phase, ID: st.ID, Iteration: iteration, Title: st.Title, Description: st.Description,
		Mode: st.Mode, Shell: st.Shell, Timeout: st.Timeout}
	switch st.Shell {
	case ShellCmd:
		var err error
		r.Script = placeholderRE.ReplaceAllStringFunc(st.Script, func(m string) string {
			name := placeholderRE.FindStringSubmatch(m)[1]
			v, ok := params.Get(name)
			s := ""
			switch v := v.(type) {
			case string:
				s = v
			case int:
				s = strconv.Itoa(v)
			}
			if !ok || s == "" {
				err = fmt.Errorf("render step %q: parameter %q has no value", st.ID, name)
			}
			return s
		})
		if err != nil {
			return RenderedStep{}, err
		}
	case ShellPowerShell:
		r.Script = st.Script
		r.params = params.Map()
		js, err := jsonMarshalCanonical(r.params)
		if err != nil {
			return RenderedStep{}, fmt.Errorf("render step %q: %w", st.ID, err)
		}
		r.Params = string(js)
	default:
		return RenderedStep{}, fmt.Errorf("render step %q: unknown shell %q", st.ID, st.Shell)
	}
	return r, nil
}

// jsonMarshalCanonical encodes v as encoding/json does (object keys
// sorted), which is also what the PowerShell transport sends.
func jsonMarshalCanonical(v any) ([]byte, error) { return json.Marshal(v) }

// jsonValue converts v to the JSON-like values expressions work on (nil,
// bool, float64, string, []any, map[string]any).
func jsonValue(v any) (any, error) {
	switch v.(type) {
	case nil, bool, float64, string:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
