package main

import (
	"strings"
	"testing"
)

func TestSaw(t *testing.T) {
	tests := []struct {
		name    string
		saw     func([]byte) (string, error)
		in      string
		want    string
		wantErr string
	}{
		{
			name: "nscope snapshot",
			saw:  sawSnapshot,
			in:   `{"schema_version":1,"host":{},"processes":[{"pid":1},{"pid":2}],"namespaces":[{"type":"net"}],"cgroups":[{},{},{}]}`,
			want: "2 processes, 1 namespaces, 3 cgroups",
		},
		{name: "nscope printed an error instead", saw: sawSnapshot, in: "nscope: scan failed\n", wantErr: "nscope snapshot printed no JSON document"},
		{
			name: "lsns -J",
			saw:  sawLsns,
			in:   `{"namespaces": [{"ns": 4026531834, "type": "time"}, {"ns": 4026531835, "type": "cgroup"}]}`,
			want: "2 namespaces",
		},
		{name: "lsns printed nothing", saw: sawLsns, in: "", wantErr: "lsns -J printed no JSON document"},
		{name: "ps", saw: sawPs, in: "    PID    PPID CGROUP COMMAND\n      1       0 - init\n      2       0 - kthreadd\n", want: "2 processes"},
		{name: "ps printed nothing", saw: sawPs, in: "", wantErr: "ps printed nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.saw([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("saw %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompareCommandsNames(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	got := compareCommands(dir + "/bin/nscope")
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	want := []string{"bin/nscope snapshot", "lsns -J", "ps -e -o pid,ppid,cgroup,comm"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("names %q, want %q", names, want)
	}
	if got[0].Argv[0] != dir+"/bin/nscope" {
		t.Errorf("nscope runs as %q, want the absolute path", got[0].Argv[0])
	}
	if other := compareCommands("/opt/nscope"); other[0].Name != "/opt/nscope snapshot" {
		t.Errorf("a binary outside the working directory shows as %q", other[0].Name)
	}
}
