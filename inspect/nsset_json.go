package inspect

import (
	"encoding/json"
	"strconv"
)

// MarshalJSON writes an NSSet as an object keyed by type name, in type
// order, leaving out unknown (zero) entries:
// {"mnt":{"dev":4,"ino":4026531841},...}. It appends by hand: there is one
// per process and a map-based encoding dominated the snapshot output.
func (s NSSet) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*40)
	b = append(b, '{')
	first := true
	for t, id := range s {
		if id.IsZero() {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, NSType(t).String()...)
		b = append(b, `":{"dev":`...)
		b = strconv.AppendUint(b, id.Dev, 10)
		b = append(b, `,"ino":`...)
		b = strconv.AppendUint(b, id.Ino, 10)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (s *NSSet) UnmarshalJSON(b []byte) error {
	var m map[string]NSID
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = NSSet{}
	for k, id := range m {
		t, err := ParseNSType(k)
		if err != nil {
			return err
		}
		s[t] = id
	}
	return nil
}
