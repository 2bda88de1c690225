// Package quickjson decodes JSON as encoding/json does, for a process that
// decodes once and exits: xrt's create and init. encoding/json's first
// decode into a type builds its field tables and the encoders of every
// type reachable from it (some 80 for a runtime-spec Spec: 2 to 10 ms in a
// fresh process here, even for "{}"); Unmarshal here looks only at the
// fields the data names, through reflect, and caches nothing it does not
// use.
//
// It handles the part of encoding/json that the runtime-spec's types and
// xrt's state need: objects into structs (exact key match) and
// string-keyed maps, arrays into slices, strings (base64 into a []byte),
// integers, booleans, null, and a value whose pointer has UnmarshalJSON
// (time.Time, json.RawMessage). On anything else (an error of any kind, a
// key that only matches a field case-insensitively, a pointer type with
// its own UnmarshalJSON, UnmarshalText, an interface, a float, a tagged or
// nested embedded struct, ",string") it starts again with encoding/json,
// so the result and the error are always encoding/json's: encoding/json
// is the rule, and quickjson_test holds the two together.
package quickjson

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
)

// Unmarshal is json.Unmarshal(data, v) for v a pointer to a zero value
// (so that a decode abandoned half-way can start again from zero). A v
// that is not zero is handed to encoding/json at once.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || !rv.Elem().IsZero() {
		return json.Unmarshal(data, v)
	}
	if decode(data, rv.Elem()) == nil {
		return nil
	}
	rv.Elem().SetZero()
	return json.Unmarshal(data, v)
}

// errBail: not handled here; encoding/json decodes it instead.
var errBail = errors.New("quickjson: left to encoding/json")

// maxDepth bounds the nesting decoded here (encoding/json's own limit is
// 10000): deeper input is left to encoding/json.
const maxDepth = 1000

// decode fills v (settable) from data, or returns an error.
func decode(data []byte, v reflect.Value) error {
	d := &decoder{data: data}
	if err := d.value(v); err != nil {
		return err
	}
	if d.peek() != 0 || d.pos != len(d.data) {
		return errBail // more than one value, or a syntax error after it
	}
	return nil
}

// decoder reads JSON from data, from pos on. It takes only what is plainly
// valid JSON and bails on anything else, syntax errors included, which
// encoding/json then reports in its own words.
type decoder struct {
	data  []byte
	pos   int
	depth int
}

// peek skips JSON whitespace and returns the next byte, 0 at the end.
func (d *decoder) peek() byte {
	for ; d.pos < len(d.data); d.pos++ {
		switch c := d.data[d.pos]; c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// next reports whether the next byte after whitespace is c, and takes it.
func (d *decoder) next(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.pos++
	return true
}

func (d *decoder) literal(word string) bool {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(word)) {
		return false
	}
	d.pos += len(word)
	return true
}

// str reads the string that starts at pos. One that holds an escape, a
// control character or any non-ASCII byte is unquoted by encoding/json,
// whose rules (invalid UTF-8 made U+FFFD, surrogates) then hold.
func (d *decoder) str() (string, bool) {
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return string(d.data[start:i]), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return d.slowStr()
		}
	}
	return "", false
}

func (d *decoder) slowStr() (string, bool) {
	i := d.pos + 1
	for i < len(d.data) && d.data[i] != '"' {
		if d.data[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(d.data) {
		return "", false
	}
	var s string
	if json.Unmarshal(d.data[d.pos:i+1], &s) != nil {
		return "", false
	}
	d.pos = i + 1
	return s, true
}

// num reads the number that starts at pos, by JSON's grammar.
func (d *decoder) num() (string, bool) {
	b, i := d.data, d.pos
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return "", false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return "", false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return "", false
		}
	}
	s := string(b[d.pos:i])
	d.pos = i
	return s, true
}

// enter counts one more level of nesting; false past maxDepth.
func (d *decoder) enter() bool {
	d.depth++
	return d.depth <= maxDepth
}

func (d *decoder) value(v reflect.Value) error {
	c := d.peek()
	if c == 0 {
		return errBail
	}
	if custom(v.Type()) {
		return d.unmarshaler(v)
	}
	if c == 'n' {
		if !d.literal("null") {
			return errBail
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice:
			v.SetZero()
		case reflect.Interface:
			return errBail
		}
		return nil
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
		if custom(v.Type()) {
			return d.unmarshaler(v)
		}
	}
	switch c {
	case '{':
		switch v.Kind() {
		case reflect.Struct:
			d.pos++
			return d.object(v)
		case reflect.Map:
			d.pos++
			return d.mapObject(v)
		}
	case '[':
		if v.Kind() == reflect.Slice {
			d.pos++
			return d.array(v)
		}
	case '"':
		t, ok := d.str()
		if !ok {
			return errBail
		}
		if v.Kind() == reflect.String && v.Type() != numberType {
			v.SetString(t)
			return nil
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, base64.StdEncoding.DecodedLen(len(t)))
			n, err := base64.StdEncoding.Decode(b, []byte(t))
			if err != nil {
				return errBail
			}
			v.SetBytes(b[:n])
			return nil
		}
	case 't', 'f':
		if v.Kind() == reflect.Bool {
			switch {
			case d.literal("true"):
				v.SetBool(true)
				return nil
			case d.literal("false"):
				v.SetBool(false)
				return nil
			}
		}
	default:
		if s, ok := d.num(); ok {
			return number(v, s)
		}
	}
	return errBail
}

// unmarshaler hands the value at pos, as it is written (null included),
// to v's own UnmarshalJSON (time.Time's, json.RawMessage's), as
// encoding/json does for an addressable value whose pointer has one. Any
// other kind of custom decoding is left to encoding/json.
func (d *decoder) unmarshaler(v reflect.Value) error {
	t := v.Type()
	if t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface || !v.CanAddr() || !reflect.PointerTo(t).Implements(unmarshalerType) {
		return errBail
	}
	start := d.pos
	if err := d.skip(); err != nil {
		return err
	}
	if v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(d.data[start:d.pos]) != nil {
		return errBail
	}
	return nil
}

func number(v reflect.Value, s string) error {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return errBail
		}
		v.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v.OverflowUint(n) {
			return errBail
		}
		v.SetUint(n)
		return nil
	}
	return errBail
}

// members reads the members of an object, its '{' taken, calling member
// with each key once its ':' is taken; member reads the value.
func (d *decoder) members(member func(key string) error) error {
	if !d.enter() {
		return errBail
	}
	if d.next('}') {
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return errBail
		}
		key, ok := d.str()
		if !ok || !d.next(':') {
			return errBail
		}
		if err := member(key); err != nil {
			return err
		}
		if d.next('}') {
			d.depth--
			return nil
		}
		if !d.next(',') {
			return errBail
		}
	}
}

// elements reads the elements of an array, its '[' taken, calling elem
// with the index of each; elem reads the value. It returns the count.
func (d *decoder) elements(elem func(i int) error) (int, error) {
	if !d.enter() {
		return 0, errBail
	}
	if d.next(']') {
		d.depth--
		return 0, nil
	}
	for i := 0; ; i++ {
		if err := elem(i); err != nil {
			return 0, err
		}
		if d.next(']') {
			d.depth--
			return i + 1, nil
		}
		if !d.next(',') {
			return 0, errBail
		}
	}
}

// object decodes the members of an object, its '{' read, into struct v.
// A key named twice decodes into the same field again, as encoding/json
// does.
func (d *decoder) object(v reflect.Value) error {
	fields, ok := structFields(v.Type())
	if !ok {
		return errBail
	}
	return d.members(func(key string) error {
		f := fields.find(key)
		if f == nil {
			if fields.folds(key) {
				return errBail
			}
			return d.skip()
		}
		fv := v
		for k, i := range f.index {
			if k > 0 && fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					fv.Set(reflect.New(fv.Type().Elem()))
				}
				fv = fv.Elem()
			}
			fv = fv.Field(i)
		}
		return d.value(fv)
	})
}

// mapObject decodes an object into map v, each value into a fresh zero
// element, as encoding/json does.
func (d *decoder) mapObject(v reflect.Value) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String || custom(t.Key()) {
		return errBail
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	elem := reflect.New(t.Elem()).Elem()
	return d.members(func(key string) error {
		elem.SetZero()
		if err := d.value(elem); err != nil {
			return err
		}
		v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
		return nil
	})
}

// array decodes an array into slice v the way encoding/json's does:
// into the elements already there, growing it, then cutting it to size;
// an empty array makes an empty, non-nil slice.
func (d *decoder) array(v reflect.Value) error {
	n, err := d.elements(func(i int) error {
		if i >= v.Cap() {
			v.Grow(1)
		}
		if i >= v.Len() {
			v.SetLen(i + 1)
		}
		return d.value(v.Index(i))
	})
	if err != nil {
		return err
	}
	if n < v.Len() {
		v.SetLen(n)
	}
	if n == 0 {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	return nil
}

// skip reads one value that no field takes.
func (d *decoder) skip() error {
	switch c := d.peek(); c {
	case '{':
		d.pos++
		return d.members(func(string) error { return d.skip() })
	case '[':
		d.pos++
		_, err := d.elements(func(int) error { return d.skip() })
		return err
	case '"':
		if _, ok := d.str(); ok {
			return nil
		}
	case 't', 'f', 'n':
		if d.literal("true") || d.literal("false") || d.literal("null") {
			return nil
		}
	default:
		if _, ok := d.num(); ok {
			return nil
		}
	}
	return errBail
}

var (
	numberType          = reflect.TypeFor[json.Number]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// custom reports whether t decodes itself (or, through a pointer, would).
func custom(t reflect.Type) bool {
	if t.Kind() != reflect.Pointer && t.Name() != "" && t.PkgPath() == "" {
		return false // a predeclared type: string, int, bool, ...
	}
	pt := t
	if t.Kind() != reflect.Pointer {
		pt = reflect.PointerTo(t)
	}
	return pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) ||
		t.Implements(unmarshalerType) || t.Implements(textUnmarshalerType)
}
