package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// claimNonceField is the Data field Claim adds to tell its own event from
// an earlier one appended under the same key.
const claimNonceField = "claim_nonce"

// Claim appends e, which must have a Key and a JSON object as Data, and
// reports whether this call's event is the one the store kept for that
// key: of any number of callers claiming the same key (a double click, two
// loops, two processes on one record, a restart that retries), exactly one
// gets won == true. got is the kept event either way. The claim rests on
// Append's idempotency: a random nonce is written into Data, and the
// caller won when the kept event carries its nonce.
func Claim(ctx context.Context, st Store, e Event) (got Event, won bool, err error) {
	if e.Key == "" {
		return Event{}, false, fmt.Errorf("%w: claim %s: no key", ErrInvalid, e.Kind)
	}
	data := map[string]json.RawMessage{}
	if len(e.Data) > 0 {
		if err := json.Unmarshal(e.Data, &data); err != nil {
			return Event{}, false, fmt.Errorf("%w: claim %s: data is not a JSON object: %v", ErrInvalid, e.Kind, err)
		}
	}
	if _, ok := data[claimNonceField]; ok {
		return Event{}, false, fmt.Errorf("%w: claim %s: data already has %q", ErrInvalid, e.Kind, claimNonceField)
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Event{}, false, fmt.Errorf("claim %s: nonce: %w", e.Kind, err)
	}
	nonce := hex.EncodeToString(b[:])
	data[claimNonceField] = json.RawMessage(`"` + nonce + `"`)
	if e.Data, err = json.Marshal(data); err != nil {
		return Event{}, false, fmt.Errorf("claim %s: %w", e.Kind, err)
	}
	got, err = st.Append(ctx, e)
	if err != nil {
		return Event{}, false, err
	}
	var kept struct {
		Nonce string `json:"claim_nonce"`
	}
	if err := json.Unmarshal(got.Data, &kept); err != nil {
		return Event{}, false, fmt.Errorf("claim %s: kept event: %w", e.Kind, err)
	}
	if kept.Nonce == "" {
		return got, false, errors.New("claim " + string(e.Kind) + ": key " + e.Key + " is held by an event that was not a claim")
	}
	return got, kept.Nonce == nonce, nil
}
