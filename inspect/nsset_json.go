package inspect

import (
	"encoding/json"
)

// MarshalJSON writes an NSSet as an object keyed by type name, leaving out
// unknown (zero) entries: {"mnt":{"dev":4,"ino":4026531841},...}.
func (s NSSet) MarshalJSON() ([]byte, error) {
	m := make(map[string]NSID, NumNSTypes)
	for t, id := range s {
		if !id.IsZero() {
			m[NSType(t).String()] = id
		}
	}
	return json.Marshal(m)
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
