package emulator

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// LoadSeed reads a seed file (YAML or JSON, which is YAML) strictly: unknown keys are errors.
func LoadSeed(path string) (Seed, error) {
	var s Seed
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("read seed file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("seed file %s: %v", path, err)
	}
	if len(s.Tenants) == 0 {
		return s, fmt.Errorf("seed file %s: no tenants", path)
	}
	return s, nil
}
