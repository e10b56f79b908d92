package oncall

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// ApprovalPolicy says who may approve a plan, how many of them must, and
// for how long the request stands.
type ApprovalPolicy struct {
	// Approvers are the user ids that may approve (user groups already
	// resolved by the adapter, which knows the chat's directory). The
	// requester never counts, even when listed.
	Approvers []string `json:"approvers"`
	// Anyone lets any user other than the requester approve: the console's
	// policy when no approvers are configured (its users may run the CLI
	// anyway). Chat adapters never set it.
	Anyone bool `json:"anyone,omitempty"`
	// Quorum is how many distinct approvers must approve (at least 1).
	Quorum int `json:"quorum"`
	// TTL is how long the request may be approved after it was made.
	TTL time.Duration `json:"ttl"`
}

// validate reports a policy under which nothing could ever be approved.
func (p ApprovalPolicy) validate(requester string) error {
	switch {
	case p.Quorum < 1:
		return fmt.Errorf("quorum %d: at least 1 approval is needed", p.Quorum)
	case p.TTL <= 0:
		return fmt.Errorf("approval time-to-live %v: must be positive", p.TTL)
	}
	if n := len(p.eligible(requester)); !p.Anyone && n < p.Quorum {
		return fmt.Errorf("%d approver(s) other than the requester, %d needed", n, p.Quorum)
	}
	return nil
}

// eligible are the approvers other than the requester, without repeats.
func (p ApprovalPolicy) eligible(requester string) []string {
	var out []string
	for _, a := range p.Approvers {
		if a != "" && a != requester && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// ApprovalState is where an approval request stands.
type ApprovalState string

// The states of an approval request. Only a pending request may be
// approved or denied; every other state is final.
const (
	ApprovalPending ApprovalState = "pending"
	// ApprovalApproved: the quorum was reached and the plan was checked
	// unchanged; the run that applies it follows (see ApplyApproved).
	ApprovalApproved ApprovalState = "approved"
	ApprovalDenied   ApprovalState = "denied"
	ApprovalExpired  ApprovalState = "expired"
	// ApprovalVoid: the plan changed (the runbook file, the server's state
	// the plan depends on, or the parameters) before it could run.
	ApprovalVoid ApprovalState = "void"
)

// ApprovalRequest is a plan waiting for (or past) its approvals, as the
// record tells it.
type ApprovalRequest struct {
	ID        string
	Plan      *runbooks.Plan
	PlanHash  string
	Requester string
	Policy    ApprovalPolicy
	Requested time.Time
	Expires   time.Time
	// Where is the adapter's note of where the request was shown (a chat
	// channel and thread), kept so that it can answer there after a
	// restart. The use cases do not read it.
	Where map[string]string
	// Granted are the approvers who approved, in order.
	Granted []string
	State   ApprovalState
	// Cleanup is the interrupted run whose cleanup Plan is ("" for a
	// runbook's plan): approving it runs Cleanup of that run.
	Cleanup string
	// ClosedBy and Reason say who ended the request and why (a deny's
	// reason, what changed in a void plan).
	ClosedBy string
	Reason   runbooks.Text
	Closed   time.Time
}

// Needed is how many more approvals the request needs.
func (r *ApprovalRequest) Needed() int { return max(r.Policy.Quorum-len(r.Granted), 0) }

// Eligible are the users who may still approve: the policy's approvers,
// not the requester and not those who already did.
func (r *ApprovalRequest) Eligible() []string {
	var out []string
	for _, a := range r.Policy.eligible(r.Requester) {
		if !slices.Contains(r.Granted, a) {
			out = append(out, a)
		}
	}
	return out
}

// The record's payloads of approval events. Every event of one request
// carries its id; the keys make a repeated click or a redelivered event
// a no-op, and the one "closed" key per request lets exactly one of
// several racing outcomes (the last approval, a deny, an expiry) win.
type (
	approvalRequested struct {
		Request   string            `json:"request"`
		Plan      *runbooks.Plan    `json:"plan"`
		PlanHash  string            `json:"plan_hash"`
		Policy    ApprovalPolicy    `json:"policy"`
		Requested time.Time         `json:"requested"`
		Expires   time.Time         `json:"expires"`
		Where     map[string]string `json:"where,omitempty"`
		Cleanup   string            `json:"cleanup,omitempty"`
	}
	approvalGranted struct {
		Request string `json:"request"`
	}
	approvalClosed struct {
		Request string        `json:"request"`
		State   ApprovalState `json:"state"`
		Reason  runbooks.Text `json:"reason"`
		// Nonce tells the appender whether its own event won the key.
		Nonce string `json:"nonce"`
	}
)

func approvalKey(id, what string) string { return "approval:" + id + ":" + what }

// RequestApproval records a request to apply plan, made by requester, under
// policy, and returns it pending. The plan is kept in the record as shown
// (without the dry run's findings), so the request survives a restart and
// the approval stays bound to exactly this plan.
func (s *Service) RequestApproval(ctx context.Context, plan *runbooks.Plan, requester string, policy ApprovalPolicy, where map[string]string) (*ApprovalRequest, error) {
	return s.requestApproval(ctx, plan, "", requester, policy, where)
}

// RequestCleanupApproval is RequestApproval for the cleanup of the
// interrupted run runID, whose plan PlanCleanup made: approved, it runs
// Cleanup of that run (with the same checks, and the plan made again and
// compared first, as for any approval).
func (s *Service) RequestCleanupApproval(ctx context.Context, runID string, plan *runbooks.Plan, requester string, policy ApprovalPolicy, where map[string]string) (*ApprovalRequest, error) {
	if runID == "" {
		return nil, errors.New("request cleanup approval: no run")
	}
	return s.requestApproval(ctx, plan, runID, requester, policy, where)
}

func (s *Service) requestApproval(ctx context.Context, plan *runbooks.Plan, cleanupOf, requester string, policy ApprovalPolicy, where map[string]string) (*ApprovalRequest, error) {
	if err := s.ready(true); err != nil {
		return nil, err
	}
	switch {
	case plan == nil:
		return nil, errors.New("request approval: no plan")
	case requester == "":
		return nil, errors.New("request approval: no requester")
	case plan.Refused:
		return nil, userErr(Refused,
			"a precondition failed in the dry run: there is nothing to approve",
			"ドライランで前提条件を満たしませんでした。承認するものはありません", nil)
	}
	if err := policy.validate(requester); err != nil {
		return nil, userErr(Refused,
			"no approval is possible under the configured policy: "+err.Error(),
			"設定された承認ポリシーでは承認できません: "+err.Error(), err)
	}
	id, err := newApprovalID()
	if err != nil {
		return nil, err
	}
	kept := *plan
	kept.Findings = nil
	now := s.now().UTC()
	p := approvalRequested{Request: id, Plan: &kept, PlanHash: plan.Hash(), Requested: now, Expires: now.Add(policy.TTL),
		Where: maps.Clone(where), Cleanup: cleanupOf, Policy: ApprovalPolicy{Approvers: policy.eligible(requester), Anyone: policy.Anyone, Quorum: policy.Quorum, TTL: policy.TTL}}
	ev, err := store.NewEvent(store.KindApprovalRequested, "", plan.Target, requester, p)
	if err != nil {
		return nil, err
	}
	ev.Key = approvalKey(id, "requested")
	if _, err := s.st.Append(ctx, ev); err != nil {
		return nil, fmt.Errorf("record approval request: %w", err)
	}
	s.lg.Info("approval requested", "request", id, "runbook", plan.Runbook, "target", plan.Target, "requester", requester,
		"plan", p.PlanHash, "quorum", policy.Quorum, "cleanup_of", cleanupOf)
	return s.Approval(ctx, id)
}

// Approval returns a request as the record tells it now, or a NotFound
// UserError.
func (s *Service) Approval(ctx context.Context, id string) (*ApprovalRequest, error) {
	all, err := s.approvals(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, userErr(NotFound, fmt.Sprintf("no approval request %q", id), fmt.Sprintf("承認依頼 %q はありません", id), nil)
	}
	return all[0], nil
}

// PendingApprovals returns the requests still pending, oldest first: after
// a restart the adapter finds them here and they can still be approved.
// Requests past their time are returned too (still pending in the record
// until someone clicks or the adapter expires them).
func (s *Service) PendingApprovals(ctx context.Context) ([]*ApprovalRequest, error) {
	if err := s.ready(false); err != nil {
		return nil, err
	}
	all, err := s.approvals(ctx, "")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(r *ApprovalRequest) bool { return r.State != ApprovalPending }), nil
}

// approvals folds the record's approval events into requests (only id's
// when id is not ""), in the order they were requested.
func (s *Service) approvals(ctx context.Context, id string) ([]*ApprovalRequest, error) {
	if err := s.ready(false); err != nil {
		return nil, err
	}
	evs, err := s.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindApprovalRequested, store.KindApprovalGranted,
		store.KindApprovalDenied, store.KindApprovalClosed}})
	if err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	byID := map[string]*ApprovalRequest{}
	var order []*ApprovalRequest
	for _, e := range evs {
		var ref approvalGranted
		if ref, err = store.Decode[approvalGranted](e); err != nil {
			return nil, err
		}
		if id != "" && ref.Request != id {
			continue
		}
		r := byID[ref.Request]
		if e.Kind == store.KindApprovalRequested {
			p, err := store.Decode[approvalRequested](e)
			if err != nil {
				return nil, err
			}
			r = &ApprovalRequest{ID: p.Request, Plan: p.Plan, PlanHash: p.PlanHash, Requester: e.Actor, Policy: p.Policy,
				Requested: p.Requested, Expires: p.Expires, Where: p.Where, Cleanup: p.Cleanup, State: ApprovalPending}
			byID[p.Request] = r
			order = append(order, r)
			continue
		}
		if r == nil || r.State != ApprovalPending {
			continue // an event of a request this record does not hold, or after its end
		}
		switch e.Kind {
		case store.KindApprovalGranted:
			if !slices.Contains(r.Granted, e.Actor) {
				r.Granted = append(r.Granted, e.Actor)
			}
		case store.KindApprovalDenied, store.KindApprovalClosed:
			c, err := store.Decode[approvalClosed](e)
			if err != nil {
				return nil, err
			}
			r.State, r.ClosedBy, r.Reason, r.Closed = c.State, e.Actor, c.Reason, e.Time
		}
	}
	return order, nil
}

// ApprovalDecision is what one approval did.
type ApprovalDecision struct {
	Request *ApprovalRequest
	// Ready is true for exactly one caller: the one whose approval
	// completed the quorum, after the plan was checked unchanged. That
	// caller applies Plan with ApplyApproved; nobody else does.
	Ready bool
	// Plan is the plan made again when the quorum was reached (its hash is
	// the request's); set when Ready.
	Plan *runbooks.Plan
	// Already is true when this user had approved before (a double click,
	// a redelivered event): nothing new was recorded.
	Already bool
}

// Approve records user's approval of request id. It is refused (a Refused
// UserError, recorded nowhere, nothing run) for the requester, for anyone
// the policy does not name, and for a request that is no longer pending:
// denied, expired (which this records), void or already approved. The
// approval that completes the quorum makes the plan again: when it comes
// out different (the runbook file, the parameters or the server's state
// the plan depends on changed) the request becomes void and says what
// changed; otherwise it becomes approved and the decision is Ready for
// exactly one caller, however many approvals race.
func (s *Service) Approve(ctx context.Context, id, user string) (*ApprovalDecision, error) {
	r, err := s.Approval(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.stillOpen(ctx, r, user); err != nil {
		return nil, err
	}
	switch {
	case user == r.Requester:
		return nil, userErr(Refused,
			"you requested this change, so your approval does not count: another approver must approve it",
			"この変更の依頼者はあなたなので、あなたの承認は数えられません。ほかの承認者の承認が必要です", nil)
	case !r.Policy.Anyone && !slices.Contains(r.Policy.Approvers, user):
		return nil, userErr(Refused,
			"you are not an approver of this request (approvers: "+strings.Join(r.Policy.Approvers, ", ")+")",
			"あなたはこの依頼の承認者ではありません (承認者: "+strings.Join(r.Policy.Approvers, "、")+")", nil)
	}
	already := slices.Contains(r.Granted, user)
	if !already {
		ev, err := store.NewEvent(store.KindApprovalGranted, "", r.Plan.Target, user, approvalGranted{Request: id})
		if err != nil {
			return nil, err
		}
		ev.Key = approvalKey(id, "granted:"+user)
		if _, err := s.st.Append(ctx, ev); err != nil {
			return nil, fmt.Errorf("record approval: %w", err)
		}
		s.lg.Info("approval granted", "request", id, "approver", user)
		if r, err = s.Approval(ctx, id); err != nil {
			return nil, err
		}
	}
	d := &ApprovalDecision{Request: r, Already: already}
	if r.State != ApprovalPending || r.Needed() > 0 {
		return d, nil
	}
	// The quorum is reached: make the plan again and compare.
	var plan *runbooks.Plan
	if r.Cleanup != "" {
		plan, err = s.PlanCleanup(ctx, r.Cleanup)
	} else {
		plan, err = s.Plan(ctx, RunRequest{Runbook: r.Plan.Runbook, Server: r.Plan.Target, Params: maps.Clone(r.Plan.Given), Actor: r.Requester})
	}
	var changed runbooks.Text
	switch {
	case err != nil && (Code(err) == Invalid || r.Cleanup != "" && Code(err) == Refused):
		// (A cleanup refused now, e.g. done already, voids its request
		// with the reason.)
		changed = runbooks.Text{EN: Message(err, runbooks.LangEN), JA: Message(err, runbooks.LangJA)}
	case err != nil:
		return nil, err // the dry run could not run: the request stays pending, approved
	default:
		changed = planChange(r.Plan, plan)
	}
	state := ApprovalApproved
	if changed.EN != "" {
		state = ApprovalVoid
	}
	won, err := s.closeApproval(ctx, r, user, state, changed)
	if err != nil {
		return nil, err
	}
	if d.Request, err = s.Approval(ctx, id); err != nil {
		return nil, err
	}
	if won && state == ApprovalApproved {
		d.Ready, d.Plan = true, plan
	}
	return d, nil
}

// Deny ends request id on the word of one approver: any deny ends it, and
// a later approval is refused. The requester may withdraw the request the
// same way.
func (s *Service) Deny(ctx context.Context, id, user, reason string) (*ApprovalRequest, error) {
	r, err := s.Approval(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.stillOpen(ctx, r, user); err != nil {
		return nil, err
	}
	if user != r.Requester && !r.Policy.Anyone && !slices.Contains(r.Policy.Approvers, user) {
		return nil, userErr(Refused,
			"only an approver of this request (or its requester) may deny it",
			"この依頼を却下できるのは承認者 (または依頼者) だけです", nil)
	}
	won, err := s.closeApproval(ctx, r, user, ApprovalDenied, runbooks.Text{EN: reason, JA: reason})
	if err != nil {
		return nil, err
	}
	if r, err = s.Approval(ctx, id); err != nil {
		return nil, err
	}
	if !won {
		return nil, s.closedErr(r)
	}
	return r, nil
}

// ExpireApprovals closes every pending request past its time, as expired,
// and returns them: the adapter says so where each was shown.
func (s *Service) ExpireApprovals(ctx context.Context) ([]*ApprovalRequest, error) {
	pending, err := s.PendingApprovals(ctx)
	if err != nil {
		return nil, err
	}
	var out []*ApprovalRequest
	for _, r := range pending {
		if s.now().Before(r.Expires) {
			continue
		}
		won, err := s.closeApproval(ctx, r, "wsbbot", ApprovalExpired, runbooks.Text{})
		if err != nil {
			return out, err
		}
		if won {
			if r, err = s.Approval(ctx, r.ID); err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// stillOpen returns nil for a pending request within its time, and
// otherwise a Refused UserError saying why it is closed (recording the
// expiry when this is the first to notice it).
func (s *Service) stillOpen(ctx context.Context, r *ApprovalRequest, user string) error {
	if r.State == ApprovalPending && !s.now().Before(r.Expires) {
		if _, err := s.closeApproval(ctx, r, "wsbbot", ApprovalExpired, runbooks.Text{}); err != nil {
			return err
		}
		fresh, err := s.Approval(ctx, r.ID)
		if err != nil {
			return err
		}
		*r = *fresh
	}
	if r.State == ApprovalPending {
		return nil
	}
	s.lg.Info("approval refused: request closed", "request", r.ID, "user", user, "state", string(r.State))
	return s.closedErr(r)
}

// closedErr explains, in both languages, why a closed request can no
// longer be approved or denied.
func (s *Service) closedErr(r *ApprovalRequest) error {
	when := r.Expires.UTC().Format("2006-01-02 15:04 MST")
	switch r.State {
	case ApprovalExpired:
		return userErr(Refused, "this request expired at "+when+": nothing ran; request the change again",
			"この依頼は "+when+" に期限切れになりました。何も実行していません。もう一度依頼してください", nil)
	case ApprovalDenied:
		en, ja := "this request was denied by "+r.ClosedBy, r.ClosedBy+" がこの依頼を却下しました"
		if r.Reason.EN != "" {
			en, ja = en+" ("+r.Reason.EN+")", ja+" ("+r.Reason.In(runbooks.LangJA)+")"
		}
		return userErr(Refused, en+": nothing ran", ja+"。何も実行していません", nil)
	case ApprovalVoid:
		return userErr(Refused, "this request is void because the plan changed ("+r.Reason.EN+"): nothing ran; request it again",
			"計画が変わったため、この依頼は無効です ("+r.Reason.In(runbooks.LangJA)+")。何も実行していません。もう一度依頼してください", nil)
	}
	return userErr(Refused, "this request was already approved and has run (or is running)",
		"この依頼は承認済みで、実行済み (または実行中) です", nil)
}

// closeApproval records the end of a request and reports whether this
// call's end is the one the record kept (exactly one end per request).
func (s *Service) closeApproval(ctx context.Context, r *ApprovalRequest, by string, state ApprovalState, reason runbooks.Text) (bool, error) {
	nonce, err := newApprovalID()
	if err != nil {
		return false, err
	}
	kind := store.KindApprovalClosed
	if state == ApprovalDenied {
		kind = store.KindApprovalDenied
	}
	ev, err := store.NewEvent(kind, "", r.Plan.Target, by, approvalClosed{Request: r.ID, State: state, Reason: reason, Nonce: nonce})
	if err != nil {
		return false, err
	}
	ev.Key = approvalKey(r.ID, "closed")
	got, err := s.st.Append(ctx, ev)
	if err != nil {
		return false, fmt.Errorf("record approval %s: %w", state, err)
	}
	c, err := store.Decode[approvalClosed](got)
	if err != nil {
		return false, err
	}
	won := c.Nonce == nonce
	if won {
		s.lg.Info("approval request closed", "request", r.ID, "state", string(state), "by", by, "reason", reason.EN)
	}
	return won, nil
}

// ApplyApproved runs the plan of an approved request, as the one caller
// whose Approve was Ready: exactly that plan (Apply's gate), recorded with
// the approvers and the request's id.
func (s *Service) ApplyApproved(ctx context.Context, d *ApprovalDecision, obs runbooks.Observer) (*runbooks.Result, error) {
	if d == nil || !d.Ready || d.Plan == nil {
		return nil, errors.New("apply approved: the decision is not ready to run")
	}
	r := d.Request
	a := Approval{By: slices.Clone(r.Granted), PlanHash: r.PlanHash, RequestedBy: r.Requester, Request: r.ID,
		How: "approved in chat (request " + r.ID + ")"}
	if r.Cleanup != "" {
		return s.Cleanup(ctx, r.Cleanup, a, obs)
	}
	return s.Apply(ctx, d.Plan, a, obs)
}

// planChange says what differs between the plan that was approved and the
// plan made now (empty when they hash the same), in both languages.
func planChange(was, now *runbooks.Plan) runbooks.Text {
	if was.Hash() == now.Hash() {
		return runbooks.Text{}
	}
	var en, ja []string
	if was.Digest != now.Digest || was.Version != now.Version {
		en = append(en, fmt.Sprintf("the runbook %s changed (v%d -> v%d, file %s -> %s)", was.Runbook, was.Version, now.Version, short(was.Digest), short(now.Digest)))
		ja = append(ja, fmt.Sprintf("ランブック %s が変更されました (v%d -> v%d、ファイル %s -> %s)", was.Runbook, was.Version, now.Version, short(was.Digest), short(now.Digest)))
	}
	if !maps.Equal(stringParams(was.Params), stringParams(now.Params)) {
		en = append(en, "the parameters changed")
		ja = append(ja, "パラメーターが変わりました")
	}
	if len(was.Steps) != len(now.Steps) {
		en = append(en, fmt.Sprintf("the server's state changed: the plan now has %d steps, not %d", len(now.Steps), len(was.Steps)))
		ja = append(ja, fmt.Sprintf("サーバーの状態が変わりました: 計画の手順が %d 個から %d 個になりました", len(was.Steps), len(now.Steps)))
	} else {
		for i := range was.Steps {
			a, b := was.Steps[i], now.Steps[i]
			if a.Script != b.Script || a.Params != b.Params || a.Skipped != b.Skipped || a.ID != b.ID {
				cmd := strings.TrimSpace(b.Script + " " + b.Params)
				en = append(en, fmt.Sprintf("the server's state changed: step %s would now run %q", b.ID, cmd))
				ja = append(ja, fmt.Sprintf("サーバーの状態が変わりました: 手順 %s は今なら %q を実行します", b.ID, cmd))
				break
			}
		}
	}
	if len(en) == 0 {
		en, ja = []string{"the plan's hash changed"}, []string{"計画のハッシュが変わりました"}
	}
	return runbooks.Text{EN: strings.Join(en, "; "), JA: strings.Join(ja, "、")}
}

// newApprovalID returns a short random id ("ap-" and 8 base32 letters).
func newApprovalID() (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("approval id: %w", err)
	}
	return "ap-" + strings.ToLower(base32.StdEncoding.EncodeToString(b[:])), nil
}
