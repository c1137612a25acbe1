package record

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// knownFields are the Snapshot fields the diff handles one by one. Any
// other exported field (containers, once the snapshot has them) is
// carried whole in Delta.Other when it changes, so a recording never
// silently loses a part of the snapshot it was not taught about.
var knownFields = map[string]bool{
	"SchemaVersion": true, "Time": true, "ScanDuration": true, "ScanMethod": true, "Host": true,
	"CgroupMode": true, "Hierarchies": true, "Processes": true, "Namespaces": true, "Cgroups": true,
	"Unreadable": true,
}

// otherFields lists the indexes and JSON names of the Snapshot fields the
// diff does not know.
var otherFields = func() (out []struct {
	index int
	name  string
}) {
	t := reflect.TypeOf(inspect.Snapshot{})
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || knownFields[f.Name] {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, struct {
			index int
			name  string
		}{i, name})
	}
	return out
}()

// diffOther returns the unknown fields that differ, as JSON by name.
func diffOther(prev, cur *inspect.Snapshot) map[string]json.RawMessage {
	var out map[string]json.RawMessage
	pv, cv := reflect.ValueOf(prev).Elem(), reflect.ValueOf(cur).Elem()
	for _, f := range otherFields {
		a, b := pv.Field(f.index).Interface(), cv.Field(f.index).Interface()
		if reflect.DeepEqual(a, b) {
			continue
		}
		data, err := json.Marshal(b)
		if err != nil {
			continue
		}
		if out == nil {
			out = map[string]json.RawMessage{}
		}
		out[f.name] = data
	}
	return out
}

// applyOther sets the unknown fields of s from a delta's Other.
func applyOther(s *inspect.Snapshot, other map[string]json.RawMessage) error {
	v := reflect.ValueOf(s).Elem()
	for _, f := range otherFields {
		data, ok := other[f.name]
		if !ok {
			continue
		}
		fv := reflect.New(v.Field(f.index).Type())
		if err := json.Unmarshal(data, fv.Interface()); err != nil {
			return fmt.Errorf("%w: delta field %s: %w", ErrDamaged, f.name, err)
		}
		v.Field(f.index).Set(fv.Elem())
	}
	return nil
}
