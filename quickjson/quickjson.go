// Package quickjson decodes JSON as encoding/json does, for a process that
// decodes once and exits: xrt's create and init. encoding/json's first
// decode into a type builds its field tables and the encoders of every
// type reachable from it (some 80 for a runtime-spec Spec: 2 to 10 ms in a
// fresh process here, even for "{}"); Unmarshal here looks only at the
// fields the data names, through reflect, and caches nothing it does not
// use.
//
// It handles the part of encoding/json that the runtime-spec's types
// need: objects into structs (exact key match) and string-keyed maps,
// arrays into slices, strings (base64 into a []byte), integers, booleans
// and null. On anything
// else (an error of any kind, a key that only matches a field
// case-insensitively, a type with its own UnmarshalJSON or
// UnmarshalText, an interface, a float, a tagged or nested embedded
// struct, ",string") it starts again with encoding/json, so the result and
// the error are always encoding/json's: encoding/json is the rule, and
// quickjson_test holds the two together.
package quickjson

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
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

// decode fills v (settable) from data, or returns an error.
func decode(data []byte, v reflect.Value) error {
	d := &decoder{json.NewDecoder(bytes.NewReader(data))}
	d.dec.UseNumber()
	if err := d.value(v); err != nil {
		return err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return errBail // more than one value, or a syntax error after it
	}
	return nil
}

type decoder struct{ dec *json.Decoder }

func (d *decoder) value(v reflect.Value) error {
	tok, err := d.dec.Token()
	if err != nil {
		return err
	}
	if custom(v.Type()) {
		return errBail
	}
	if tok == nil {
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
			return errBail
		}
	}
	switch t := tok.(type) {
	case json.Delim:
		switch {
		case t == '{' && v.Kind() == reflect.Struct:
			return d.object(v)
		case t == '{' && v.Kind() == reflect.Map:
			return d.mapObject(v)
		case t == '[' && v.Kind() == reflect.Slice:
			return d.array(v)
		}
	case string:
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
	case bool:
		if v.Kind() == reflect.Bool {
			v.SetBool(t)
			return nil
		}
	case json.Number:
		return number(v, string(t))
	}
	return errBail
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

// object decodes the members of an object, its '{' read, into struct v.
// A key named twice decodes into the same field again, as encoding/json
// does.
func (d *decoder) object(v reflect.Value) error {
	fields, ok := structFields(v.Type())
	if !ok {
		return errBail
	}
	for d.dec.More() {
		key, err := d.key()
		if err != nil {
			return err
		}
		f := fields.find(key)
		if f == nil {
			if fields.folds(key) {
				return errBail
			}
			if err := d.skip(); err != nil {
				return err
			}
			continue
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
		if err := d.value(fv); err != nil {
			return err
		}
	}
	return d.end('}')
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
	for d.dec.More() {
		key, err := d.key()
		if err != nil {
			return err
		}
		elem.SetZero()
		if err := d.value(elem); err != nil {
			return err
		}
		v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
	}
	return d.end('}')
}

// array decodes an array into slice v the way encoding/json's does:
// into the elements already there, growing it, then cutting it to size;
// an empty array makes an empty, non-nil slice.
func (d *decoder) array(v reflect.Value) error {
	i := 0
	for ; d.dec.More(); i++ {
		if i >= v.Cap() {
			v.Grow(1)
		}
		if i >= v.Len() {
			v.SetLen(i + 1)
		}
		if err := d.value(v.Index(i)); err != nil {
			return err
		}
	}
	if i < v.Len() {
		v.SetLen(i)
	}
	if i == 0 {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	return d.end(']')
}

func (d *decoder) key() (string, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", errBail
	}
	return key, nil
}

func (d *decoder) end(want json.Delim) error {
	tok, err := d.dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return errBail
	}
	return nil
}

// skip reads one value that no field takes.
func (d *decoder) skip() error {
	depth := 0
	for {
		tok, err := d.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
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
