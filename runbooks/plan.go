package runbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Plan is what a run will do: the runbook, the target, the bound parameters
// and every step rendered exactly as it would be sent, with what the dry
// run's read-only steps found. Approvals bind to its Hash.
type Plan struct {
	Runbook string `json:"runbook"`
	Version int    `json:"version"`
	// Digest is the runbook file's Digest when the plan was made.
	Digest string         `json:"digest"`
	Title  Text           `json:"title"`
	Target string         `json:"target"`
	Params map[string]any `json:"params"`
	// Given are the parameters as the requester gave them (Params.Given):
	// what binding again needs. They are not hashed: Params are.
	Given map[string]string `json:"given,omitempty"`
	Steps []RenderedStep    `json:"steps"`
	// Findings are the results of the read-only steps the dry run ran.
	Findings []StepResult `json:"findings"`
	// Refused is set when a precondition failed: a run now would be
	// refused.
	Refused bool `json:"refused"`
}

// planHashFormat versions the canonical encoding Hash uses.
const planHashFormat = 2

type (
	hashedPlan struct {
		Format  int            `json:"format"`
		Runbook string         `json:"runbook"`
		Version int            `json:"version"`
		Digest  string         `json:"digest"`
		Target  string         `json:"target"`
		Params  map[string]any `json:"params"`
		Steps   []hashedStep   `json:"steps"`
	}
	hashedStep struct {
		Phase       Phase  `json:"phase"`
		ID          string `json:"id"`
		Iteration   int    `json:"iteration"`
		Mode        Mode   `json:"mode"`
		Shell       Shell  `json:"shell"`
		Script      string `json:"script"`
		Params      string `json:"params"`
		TimeoutMS   int64  `json:"timeout_ms"`
		Skipped     bool   `json:"skipped"`
		Conditional bool   `json:"conditional"`
	}
)

// Hash returns the SHA-256 (hex) of a canonical JSON encoding of the
// runbook id and version, the target, the parameters and the rendered steps
// (not titles, findings or the time). Object keys are sorted, so map order
// never matters.
func (p *Plan) Hash() string {
	h := hashedPlan{Format: planHashFormat, Runbook: p.Runbook, Version: p.Version, Digest: p.Digest, Target: p.Target,
		Params: p.Params, Steps: make([]hashedStep, len(p.Steps))}
	if h.Params == nil {
		h.Params = map[string]any{}
	}
	for i, s := range p.Steps {
		h.Steps[i] = hashedStep{Phase: s.Phase, ID: s.ID, Iteration: s.Iteration, Mode: s.Mode, Shell: s.Shell,
			Script: s.Script, Params: s.Params, TimeoutMS: s.Timeout.Milliseconds(), Skipped: s.Skipped, Conditional: s.Conditional}
	}
	b, err := json.Marshal(h)
	if err != nil {
		// Params hold only strings and ints (Bind made them); nothing else
		// can fail to encode.
		panic("runbooks: encode plan for hashing: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
