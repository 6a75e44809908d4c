package config

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a configuration file, with where it is.
type Error struct {
	File string
	Line int
	Col  int
	Key  string // dotted path, e.g. accounts[2].client_secret
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the configuration:", len(es))
	for _, e := range es {
		b.WriteString("\n  " + e.Error())
	}
	return b.String()
}

// decoder turns a YAML node tree into Go values strictly: unknown keys, duplicate keys and
// wrong types are errors that name the file, line, key and what was expected.
type decoder struct {
	file   string
	errs   Errors
	getenv func(string) (string, bool)
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	e := &Error{File: d.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	if len(d.errs) < 50 {
		d.errs = append(d.errs, e)
	}
}

var durationType = reflect.TypeOf(time.Duration(0))

// nodeDecoder is implemented by values that decode themselves (a channel, whose settings
// depend on its type).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, key string)
}

// positioner is implemented by structs that want to know where they were defined.
type positioner interface{ setPos(line int) }

func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Tag == "!!null" && n.Kind == yaml.ScalarNode {
		return // leave the zero value
	}
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			nd.decodeNode(d, n, key)
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), key)
	case reflect.Struct:
		d.decodeStruct(n, v, key)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String && n.Kind == yaml.ScalarNode {
			// A list of words may be written on one line: "User.Read Mail.Read".
			s, ok := d.scalar(n, key)
			if !ok {
				return
			}
			out := reflect.MakeSlice(v.Type(), 0, 4)
			for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
				out = reflect.Append(out, reflect.ValueOf(f).Convert(v.Type().Elem()))
			}
			v.Set(out)
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, key, "expected a list, got %s", describe(n))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, out.Index(i), fmt.Sprintf("%s[%d]", key, i))
		}
		v.Set(out)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, key, "expected a mapping of names to values, got %s", describe(n))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				d.fail(k, join(key, k.Value), "the key appears twice")
				continue
			}
			seen[k.Value] = true
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, ev, join(key, k.Value))
			v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
		}
	case reflect.String:
		s, ok := d.scalar(n, key)
		if ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, key, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(strings.EqualFold(n.Value, "true"))
	case reflect.Int, reflect.Int64:
		if v.Type() == durationType {
			s, ok := d.scalar(n, key)
			if !ok {
				return
			}
			dur, err := ParseDuration(s)
			if err != nil {
				d.fail(n, key, "%v", err)
				return
			}
			v.SetInt(int64(dur))
			return
		}
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.fail(n, key, "expected a whole number, got %s", describe(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			d.fail(n, key, "expected a whole number, got %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
			d.fail(n, key, "expected a number, got %s", describe(n))
			return
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			d.fail(n, key, "expected a number, got %q", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		d.fail(n, key, "cannot be decoded (%s)", v.Type())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, key, "expected a mapping (key: value lines), got %s", describe(n))
		return
	}
	if p, ok := v.Addr().Interface().(positioner); ok {
		p.setPos(n.Line)
	}
	fields := map[string]int{}
	var names []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		names = append(names, tag)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.fail(k, join(key, k.Value), "the key appears twice")
			continue
		}
		seen[k.Value] = true
		fi, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest(k.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				sort.Strings(names)
				msg += "; the keys here are: " + strings.Join(names, ", ")
			}
			d.fail(k, key, "%s", msg)
			continue
		}
		d.decode(val, v.Field(fi), join(key, k.Value))
	}
}

// scalar reads a scalar as a string, expanding ${VAR} references.
func (d *decoder) scalar(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, key, "expected a single value, got %s", describe(n))
		return "", false
	}
	if d.getenv == nil { // literal values: no ${VAR} references (ParseAccounts of a secret)
		return n.Value, true
	}
	s, err := expandEnv(n.Value, d.getenv)
	if err != nil {
		d.fail(n, key, "%v", err)
		return "", false
	}
	return s, true
}

// expandEnv replaces ${NAME} with the environment variable NAME; "$$" is a literal "$".
// A missing or empty variable is an error, so a typo never becomes an empty secret.
func expandEnv(s string, getenv func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unclosed ${ in %q: write ${NAME}, or $$ for a literal $", s)
			}
			name := s[i+2 : i+2+end]
			if !validEnvName(name) {
				return "", fmt.Errorf("${%s} is not a valid environment variable name", name)
			}
			val, ok := getenv(name)
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set (set it, or write the value in the file)", name)
			}
			if val == "" {
				return "", fmt.Errorf("environment variable %s is empty", name)
			}
			b.WriteString(val)
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func validEnvName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func osGetenv(k string) (string, bool) { return os.LookupEnv(k) }

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// suggest returns the known key closest to k (a typo, other case, or - for _).
func suggest(k string, known []string) string {
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("-", "_", " ", "_").Replace(s)) }
	best, bestD := "", 3
	for _, c := range known {
		if norm(c) == norm(k) || norm(c) == strings.ReplaceAll(norm(k), "_", "") || strings.ReplaceAll(norm(c), "_", "") == norm(k) {
			return c
		}
		if dist := levenshtein(norm(k), norm(c)); dist < bestD {
			best, bestD = c, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// ParseDuration reads Go durations ("90s", "1h30m") and days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err == nil && n >= 0 {
			return time.Duration(n * 24 * float64(time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("expected a duration such as 90s, 15m, 2h or 7d, got %q", s)
	}
	return d, nil
}
