package quickjson

import (
	"reflect"
	"strings"
	"sync"
)

// field is one JSON member of a struct: its name and the path of field
// indices to it (two for a field of an embedded struct).
type field struct {
	name      string
	index     []int
	omitEmpty bool
}

type fieldList []field

func (l fieldList) find(key string) *field {
	for i := range l {
		if l[i].name == key {
			return &l[i]
		}
	}
	return nil
}

// folds reports whether key could match a field the way encoding/json
// matches when no name is equal (case-insensitively, with Unicode
// folding): then encoding/json decides.
func (l fieldList) folds(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 {
			return true
		}
	}
	for i := range l {
		if strings.EqualFold(l[i].name, key) {
			return true
		}
	}
	return false
}

type fieldsOf struct {
	fields fieldList
	ok     bool
}

var cache sync.Map // reflect.Type -> fieldsOf

// structFields lists the JSON members of struct type t as encoding/json
// sees them, or reports false for what is left to encoding/json: a tagged
// or non-struct embedded field, an embedded pointer to an unexported
// struct, an embedded struct that embeds another,
// two members of one name, ",string" or ",omitzero", a name encoding/json
// might not take as it is written.
func structFields(t reflect.Type) (fieldList, bool) {
	if c, ok := cache.Load(t); ok {
		f := c.(fieldsOf)
		return f.fields, f.ok
	}
	fields, ok := collect(t, nil)
	if ok {
		// Members of the outer struct hide those of an embedded one.
		var kept fieldList
		for _, f := range fields {
			if len(f.index) > 1 && hidden(fields, f) {
				continue
			}
			kept = append(kept, f)
		}
		fields = kept
		for i := range fields {
			for j := i + 1; j < len(fields); j++ {
				if fields[i].name == fields[j].name {
					ok = false
				}
			}
		}
	}
	cache.Store(t, fieldsOf{fields, ok})
	return fields, ok
}

func hidden(all fieldList, f field) bool {
	for _, g := range all {
		if len(g.index) == 1 && g.name == f.name {
			return true
		}
	}
	return false
}

func collect(t reflect.Type, outer []int) (fieldList, bool) {
	out := make(fieldList, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		if sf.Anonymous {
			// Promoted, as encoding/json promotes them: the exported
			// fields of an embedded struct, or of a pointer to an
			// exported struct.
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
				if !sf.IsExported() {
					return nil, false
				}
			}
			if hasTag || outer != nil || et.Kind() != reflect.Struct {
				return nil, false
			}
			inner, ok := collect(et, []int{i})
			if !ok {
				return nil, false
			}
			out = append(out, inner...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if !plainName(name) || hasOption(opts, "string") || hasOption(opts, "omitzero") {
			return nil, false
		}
		index := make([]int, len(outer)+1)
		copy(index, outer)
		index[len(outer)] = i
		out = append(out, field{name: name, index: index, omitEmpty: hasOption(opts, "omitempty")})
	}
	return out, true
}

// hasOption reports whether the comma-separated options of a json tag
// hold opt.
func hasOption(opts, opt string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == opt {
			return true
		}
	}
	return false
}

// plainName: letters, digits, '_', '-', '.': a name encoding/json takes
// as it is written.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}
