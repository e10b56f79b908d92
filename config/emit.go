package config

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Redacted returns the configuration as YAML, in the order of the Config
// type, with every secret shown as "[redacted]" (or "" when unset). It is
// what `wsbbot config check` prints, and it loads back with Load.
func (c Config) Redacted() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	return b.Bytes(), nil
}
