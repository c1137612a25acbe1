package inspect

import (
	"bufio"
	"encoding/json"
	"io"
)

// WriteJSONCompact writes the snapshot as compact JSON, streaming one
// process, namespace and cgroup at a time so that memory stays low on big
// hosts. It produces the same document as WriteJSON without indentation.
func (s *Snapshot) WriteJSONCompact(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	put := func(str string) {
		_, _ = bw.WriteString(str)
	}
	// value writes v without the newline Encoder adds.
	value := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	}
	head := struct {
		SchemaVersion int         `json:"schema_version"`
		Time          any         `json:"time"`
		ScanDuration  int64       `json:"scan_duration_ns"`
		ScanMethod    string      `json:"scan_method,omitempty"`
		Host          Host        `json:"host"`
		CgroupMode    CgroupMode  `json:"cgroup_mode"`
		Hierarchies   []Hierarchy `json:"hierarchies"`
	}{s.SchemaVersion, s.Time, int64(s.ScanDuration), s.ScanMethod, s.Host, s.CgroupMode, s.Hierarchies}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	_, _ = bw.Write(b[:len(b)-1]) // without the closing brace
	put(`,"processes":[`)
	rec := make([]byte, 0, 4096)
	for i := range s.Processes {
		if i > 0 {
			put(",")
		}
		rec = appendProcessJSON(rec[:0], &s.Processes[i])
		_, _ = bw.Write(rec)
	}
	put(`],"namespaces":[`)
	for i := range s.Namespaces {
		if i > 0 {
			put(",")
		}
		rec = appendNamespaceJSON(rec[:0], &s.Namespaces[i])
		_, _ = bw.Write(rec)
	}
	put(`],"cgroups":[`)
	for i := range s.Cgroups {
		if i > 0 {
			put(",")
		}
		if err := value(&s.Cgroups[i]); err != nil {
			return err
		}
	}
	put("]")
	if len(s.Containers) > 0 {
		put(`,"containers":`)
		if err := value(s.Containers); err != nil {
			return err
		}
	}
	if len(s.ContainerSources) > 0 {
		put(`,"container_sources":`)
		if err := value(s.ContainerSources); err != nil {
			return err
		}
	}
	if len(s.Unreadable) > 0 {
		put(`,"unreadable":`)
		if err := value(s.Unreadable); err != nil {
			return err
		}
	}
	put("}\n")
	return bw.Flush()
}
