package quickjson

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
)

// Marshal is json.Marshal(v), byte for byte, without encoding/json's cold
// start (its first encode of a type builds the encoders of every type
// reachable from it, as its first decode does). It writes structs,
// string-keyed maps, slices, pointers, strings, integers
// and booleans; for anything else it hands v to encoding/json.
func Marshal(v any) ([]byte, error) {
	if b, err := appendValue(nil, reflect.ValueOf(v)); err == nil {
		return b, nil
	}
	return json.Marshal(v)
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// customEnc reports whether t (or *t) encodes itself.
func customEnc(t reflect.Type) bool {
	if t.Kind() != reflect.Pointer && t.Name() != "" && t.PkgPath() == "" {
		return false
	}
	pt := t
	if t.Kind() != reflect.Pointer {
		pt = reflect.PointerTo(t)
	}
	return pt.Implements(marshalerType) || pt.Implements(textMarshalerType) ||
		t.Implements(marshalerType) || t.Implements(textMarshalerType)
}

func appendValue(b []byte, v reflect.Value) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	if t := v.Type(); customEnc(t) {
		// encoding/json calls MarshalJSON when t itself has it; when only
		// *t does, whether it does depends on addressability: its call.
		if !t.Implements(marshalerType) || t.Kind() == reflect.Interface || !v.CanInterface() {
			return nil, errBail
		}
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendMarshaler(b, v.Interface().(json.Marshaler))
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendValue(b, v.Elem())
	case reflect.Struct:
		return appendStruct(b, v)
	case reflect.Map:
		return appendMap(b, v)
	case reflect.Slice:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if customEnc(v.Type().Elem()) {
				return nil, errBail
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, v.Bytes())
			return append(b, '"'), nil
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case reflect.String:
		return appendString(b, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	}
	return nil, errBail
}

func appendStruct(b []byte, v reflect.Value) ([]byte, error) {
	fields, ok := structFields(v.Type())
	if !ok {
		return nil, errBail
	}
	b = append(b, '{')
	first := true
	for i := range fields {
		f := &fields[i]
		fv := v.Field(f.index[0])
		if len(f.index) > 1 { // promoted from an embedded struct
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			fv = fv.Field(f.index[1])
		}
		if f.omitEmpty && empty(fv) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, '"', ':')
		var err error
		if b, err = appendValue(b, fv); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendMap writes a string-keyed map with its keys sorted, as
// encoding/json does.
func appendMap(b []byte, v reflect.Value) ([]byte, error) {
	if v.IsNil() {
		return append(b, "null"...), nil
	}
	if v.Type().Key().Kind() != reflect.String || customEnc(v.Type().Key()) {
		return nil, errBail
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(x, y reflect.Value) int {
		switch a, c := x.String(), y.String(); {
		case a < c:
			return -1
		case a > c:
			return 1
		}
		return 0
	})
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k.String())
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, v.MapIndex(k)); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendString quotes s as encoding/json does (HTML-safe): a string of
// printable ASCII that needs no escape is copied; any other goes through
// encoding/json, which has no cold start for a string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendMarshaler writes what a value's own MarshalJSON says (time.Time's,
// json.RawMessage's), compacted, as encoding/json does. Output that its
// HTML-safe compaction would change (<, >, &, U+2028 and U+2029), or that
// is not valid, is left to encoding/json with the rest.
func appendMarshaler(b []byte, m json.Marshaler) ([]byte, error) {
	out, err := m.MarshalJSON()
	if err != nil {
		return nil, errBail
	}
	for _, c := range []byte{'<', '>', '&', 0xe2} {
		if bytes.IndexByte(out, c) >= 0 {
			return nil, errBail
		}
	}
	buf := bytes.NewBuffer(b)
	if json.Compact(buf, out) != nil {
		return nil, errBail
	}
	return buf.Bytes(), nil
}

// empty is encoding/json's test for omitempty.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
