package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/quickjson"
)

// Parse decodes config.json. Unknown fields are allowed (the spec permits
// extensions); errors give the byte offset, line and column of the problem.
func Parse(data []byte) (*specs.Spec, error) {
	var s specs.Spec
	if err := quickjson.Unmarshal(data, &s); err != nil {
		return nil, jsonError(data, err)
	}
	return &s, nil
}

// parseError keeps the decoder's error reachable (errors.As) under our text.
type parseError struct {
	msg string
	err error
}

func (e *parseError) Error() string { return e.msg }
func (e *parseError) Unwrap() error { return e.err }

func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &parseError{fmt.Sprintf("parse config.json: invalid JSON at offset %d: %s (%s)",
			syn.Offset, syn.Error(), position(data, syn.Offset)), err}
	case errors.As(err, &typ):
		where := fmt.Sprintf("field %q", typ.Field)
		if typ.Field == "" {
			where = "top-level value"
		}
		return &parseError{fmt.Sprintf("parse config.json: %s at offset %d: cannot unmarshal %s into %s, want %s (%s)",
			where, typ.Offset, typ.Value, typ.Type, jsonKind(typ.Type), position(data, typ.Offset)), err}
	}
	return fmt.Errorf("parse config.json: %w", err)
}

// position returns "line L, column C" (both from 1) of the last byte the
// decoder read, the one it failed on: the decoder's offsets count the bytes
// read, that byte included.
func position(data []byte, offset int64) string {
	i := min(max(offset-1, 0), int64(len(data)))
	before := data[:i]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// jsonKind names what JSON a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("an integer from 0 to %d", ^uint64(0)>>(64-t.Bits()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		low := int64(-1) << (t.Bits() - 1)
		return fmt.Sprintf("an integer from %d to %d", low, -(low + 1))
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}
