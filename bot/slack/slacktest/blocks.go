package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Block Kit limits from Slack's Block Kit reference (blocks, block
// elements, composition objects).
const (
	maxBlocks        = 50
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxMarkdownText  = 12000
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxURL           = 3000
	maxID            = 255 // action_id, block_id
	maxActions       = 25
	maxContextElems  = 10
	maxOptions       = 100
	maxOptionText    = 75
	maxOptionValue   = 150
	maxPlaceholder   = 150
	maxOverflowOpts  = 5
)

// blockCheck accumulates Block Kit problems in Slack's wording: a message
// followed by the JSON pointer of the offending field.
type blockCheck struct {
	problems []string
}

func (c *blockCheck) add(ptr, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// parseBlocks decodes a blocks argument. It answers the Slack error code
// ("" when valid), the problems behind invalid_blocks, and the blocks
// with a block_id filled in where the caller left it out, as Slack stores
// them.
func parseBlocks(raw string, newID func() string) (blocks []map[string]any, code string, problems []string) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var items []any
	if err := dec.Decode(&items); err != nil || dec.More() {
		return nil, "invalid_blocks_format", nil
	}
	var c blockCheck
	if len(items) > maxBlocks {
		c.add("/blocks", "must provide no more than %d items", maxBlocks)
	}
	for i, it := range items {
		ptr := fmt.Sprintf("/blocks/%d", i)
		b, ok := it.(map[string]any)
		if !ok {
			c.add(ptr, "expected an object")
			continue
		}
		c.block(ptr, b)
		if _, has := b["block_id"]; !has {
			b["block_id"] = newID()
		}
		blocks = append(blocks, b)
	}
	if len(c.problems) > 0 {
		return nil, "invalid_blocks", c.problems
	}
	return blocks, "", nil
}

func (c *blockCheck) str(ptr string, m map[string]any, key string, required bool, max int) (string, bool) {
	v, has := m[key]
	if !has {
		if required {
			c.add(ptr, "missing required field: %s", key)
		}
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		c.add(ptr+"/"+key, "expected a string")
		return "", false
	}
	if max > 0 && runes(s) > max {
		c.add(ptr+"/"+key, "must be less than %d characters", max+1)
	}
	return s, true
}

// text checks a text composition object; plainOnly refuses mrkdwn.
func (c *blockCheck) text(ptr string, v any, plainOnly bool, max int) {
	t, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "expected a text object")
		return
	}
	typ, _ := c.str(ptr, t, "type", true, 0)
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case typ != "":
		c.add(ptr+"/type", "must be one of the allowed values")
	}
	s, ok := c.str(ptr, t, "text", true, max)
	if ok && s == "" {
		c.add(ptr+"/text", "must be more than 0 characters")
	}
}

func (c *blockCheck) block(ptr string, b map[string]any) {
	typ, ok := c.str(ptr, b, "type", true, 0)
	if !ok {
		return
	}
	c.str(ptr, b, "block_id", false, maxID)
	switch typ {
	case "section":
		_, hasText := b["text"]
		fields, hasFields := b["fields"].([]any)
		if !hasText && !hasFields {
			c.add(ptr, "must provide text or fields")
		}
		if hasText {
			c.text(ptr+"/text", b["text"], false, maxSectionText)
		}
		if hasFields {
			if len(fields) > maxSectionFields {
				c.add(ptr+"/fields", "must provide no more than %d items", maxSectionFields)
			}
			for i, f := range fields {
				c.text(fmt.Sprintf("%s/fields/%d", ptr, i), f, false, maxFieldText)
			}
		}
		if acc, has := b["accessory"]; has {
			c.element(ptr+"/accessory", acc)
		}
	case "header":
		c.text(ptr+"/text", b["text"], true, maxHeaderText)
	case "actions":
		els, ok := b["elements"].([]any)
		if !ok || len(els) == 0 {
			c.add(ptr, "missing required field: elements")
			return
		}
		if len(els) > maxActions {
			c.add(ptr+"/elements", "must provide no more than %d items", maxActions)
		}
		for i, e := range els {
			c.element(fmt.Sprintf("%s/elements/%d", ptr, i), e)
		}
	case "context":
		els, ok := b["elements"].([]any)
		if !ok || len(els) == 0 {
			c.add(ptr, "missing required field: elements")
			return
		}
		if len(els) > maxContextElems {
			c.add(ptr+"/elements", "must provide no more than %d items", maxContextElems)
		}
		for i, e := range els {
			ep := fmt.Sprintf("%s/elements/%d", ptr, i)
			if m, ok := e.(map[string]any); ok && m["type"] == "image" {
				continue
			}
			c.text(ep, e, false, maxSectionText)
		}
	case "markdown":
		c.str(ptr, b, "text", true, maxMarkdownText)
	case "divider", "rich_text", "image", "input", "file", "video", "table", "context_actions":
		// Accepted as they come: the bot does not build these for messages
		// the fake has to interpret.
	default:
		c.add(ptr+"/type", "unsupported block type %q", typ)
	}
}

func (c *blockCheck) element(ptr string, v any) {
	e, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "expected an object")
		return
	}
	typ, ok := c.str(ptr, e, "type", true, 0)
	if !ok {
		return
	}
	c.str(ptr, e, "action_id", false, maxID)
	switch typ {
	case "button":
		c.text(ptr+"/text", e["text"], true, maxButtonText)
		c.str(ptr, e, "value", false, maxButtonValue)
		c.str(ptr, e, "url", false, maxURL)
		if st, ok := c.str(ptr, e, "style", false, 0); ok && st != "primary" && st != "danger" {
			c.add(ptr+"/style", "must be one of the allowed values")
		}
	case "external_select", "multi_external_select":
		// Options come from the app's answer to block_suggestion.
		if p, has := e["placeholder"]; has {
			c.text(ptr+"/placeholder", p, true, maxPlaceholder)
		}
		if _, has := e["options"]; has {
			c.add(ptr+"/options", "must not be provided for %s", typ)
		}
		if q, has := e["min_query_length"]; has {
			if n, ok := q.(json.Number); !ok || strings.Contains(n.String(), ".") || strings.HasPrefix(n.String(), "-") {
				c.add(ptr+"/min_query_length", "must be a non-negative integer")
			}
		}
	case "static_select", "overflow", "radio_buttons", "checkboxes", "multi_static_select":
		if p, has := e["placeholder"]; has {
			c.text(ptr+"/placeholder", p, true, maxPlaceholder)
		}
		opts, hasOpts := e["options"].([]any)
		groups, hasGroups := e["option_groups"].([]any)
		if !hasOpts && !hasGroups {
			c.add(ptr, "must provide options or option_groups")
		}
		limit := maxOptions
		if typ == "overflow" {
			limit = maxOverflowOpts
		}
		if len(opts) > limit {
			c.add(ptr+"/options", "must provide no more than %d items", limit)
		}
		for i, o := range opts {
			c.option(fmt.Sprintf("%s/options/%d", ptr, i), o)
		}
		for gi, g := range groups {
			gm, _ := g.(map[string]any)
			gopts, _ := gm["options"].([]any)
			for i, o := range gopts {
				c.option(fmt.Sprintf("%s/option_groups/%d/options/%d", ptr, gi, i), o)
			}
		}
	}
}

func (c *blockCheck) option(ptr string, v any) {
	o, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "expected an object")
		return
	}
	c.text(ptr+"/text", o["text"], false, maxOptionText)
	c.str(ptr, o, "value", true, maxOptionValue)
}

// encodeBlocks marshals stored blocks; nil stays nil.
func encodeBlocks(blocks []map[string]any) json.RawMessage {
	if blocks == nil {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(blocks) // maps of decoded JSON always encode
	return bytes.TrimSpace(buf.Bytes())
}

// control is an interactive element found in a stored message.
type control struct {
	blockID string
	elem    map[string]any
}

// findControls returns the interactive elements of stored blocks that
// match: in actions blocks and section accessories.
func findControls(raw json.RawMessage, match func(map[string]any) bool) []control {
	var blocks []map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if len(raw) == 0 || dec.Decode(&blocks) != nil {
		return nil
	}
	var out []control
	for _, b := range blocks {
		id, _ := b["block_id"].(string)
		var els []any
		switch b["type"] {
		case "actions":
			els, _ = b["elements"].([]any)
		case "section":
			if acc, ok := b["accessory"]; ok {
				els = []any{acc}
			}
		}
		for _, e := range els {
			if m, ok := e.(map[string]any); ok && match(m) {
				out = append(out, control{blockID: id, elem: m})
			}
		}
	}
	return out
}

func textOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["text"].(string)
	return s
}
