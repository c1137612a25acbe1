package control

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testPasswd = "root:x:0:0:root:/root:/bin/sh\n# comment:x:1:1::/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
		"app:x:1000:1000::/home/app:/bin/sh\nbroken:x:notanumber:0::/:/bin/sh\nrel:x:1001:1001::relative:/bin/sh\n"
	testGroup = "root:x:0:\nwheel:x:10:app,root\ndocker:x:999:app\napp:x:1000:\nnogroup:x:65534:\nbad:x:-1:app\n"
)

func TestResolveUser(t *testing.T) {
	users, groups := parsePasswd([]byte(testPasswd)), parseGroup([]byte(testGroup))
	tests := []struct {
		name    string
		spec    string
		want    execUser
		wantErr error
	}{
		{name: "name: primary group, groups listing it, home", spec: "app",
			want: execUser{Name: "app", UID: 1000, GID: 1000, Groups: []int64{10, 999}, Home: "/home/app"}},
		{name: "uid known to passwd", spec: "65534", want: execUser{Name: "nobody", UID: 65534, GID: 65534, Home: "/nonexistent"}},
		{name: "uid unknown: group 0, home /, as runc", spec: "4242", want: execUser{UID: 4242, Home: "/"}},
		{name: "name:group", spec: "app:docker", want: execUser{Name: "app", UID: 1000, GID: 999, Groups: []int64{10, 999}, Home: "/home/app"}},
		{name: "uid:gid", spec: "4242:4243", want: execUser{UID: 4242, GID: 4243, Home: "/"}},
		{name: "relative home becomes /", spec: "rel", want: execUser{Name: "rel", UID: 1001, GID: 1001, Home: "/"}},
		{name: "unknown name", spec: "ghost", wantErr: errNoSuchUser},
		{name: "unknown group", spec: "app:ghosts", wantErr: errNoSuchGroup},
		{name: "a comment line is no user", spec: "# comment", wantErr: errNoSuchUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveUser(tc.spec, users, groups)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckUserSpec(t *testing.T) {
	for _, ok := range []string{"0", "app", "app:docker", "1000:1000", "nobody:nogroup"} {
		if err := checkUserSpec(ok); err != nil {
			t.Errorf("checkUserSpec(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ":", "app:", ":10", "a b", "a\nb", "a/b", "a:b:c", "\x1b[31m"} {
		if err := checkUserSpec(bad); err == nil {
			t.Errorf("checkUserSpec(%q) accepted", bad)
		}
	}
}

func FuzzParseAccounts(f *testing.F) {
	f.Add([]byte(testPasswd), "app")
	f.Add([]byte(testGroup), "0:wheel")
	f.Fuzz(func(t *testing.T, data []byte, spec string) {
		users, groups := parsePasswd(data), parseGroup(data)
		for _, u := range users {
			if u.UID < 0 || u.UID > 1<<32-1 || u.GID < 0 || u.GID > 1<<32-1 {
				t.Errorf("user %+v out of range", u)
			}
		}
		if checkUserSpec(spec) != nil {
			return
		}
		if u, err := resolveUser(spec, users, groups); err == nil && (u.UID < 0 || u.GID < 0 || u.Home == "") {
			t.Errorf("resolveUser(%q) = %+v", spec, u)
		}
	})
}
