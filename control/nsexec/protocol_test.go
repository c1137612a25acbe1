package nsexec

import (
	"errors"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequestEnv(t *testing.T) {
	tests := []struct {
		name    string
		req     Request
		want    []string
		wantErr bool
	}{
		{
			name: "everything",
			req:  Request{PID: 42, StartTicks: 777, NS: []string{"user", "mnt"}, Root: true, ConfigFD: 4, ErrFD: 3},
			want: []string{EnvMode + "=enter", EnvPID + "=42", EnvNS + "=user,mnt", EnvStart + "=777", EnvRoot + "=1",
				EnvConfigFD + "=4", EnvErrFD + "=3"},
		},
		{name: "minimal", req: Request{PID: 1}, want: []string{EnvMode + "=enter", EnvPID + "=1", EnvNS + "="}},
		{name: "bad pid", req: Request{PID: 0}, wantErr: true},
		{name: "unknown type", req: Request{PID: 1, NS: []string{"network"}}, wantErr: true},
		{name: "errfd on stderr", req: Request{PID: 1, ErrFD: 2}, wantErr: true},
		{name: "config on the error descriptor", req: Request{PID: 1, ErrFD: 3, ConfigFD: 3}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.Env()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFailure(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *Failure
		wantErr bool
	}{
		{name: "empty means started", in: ""},
		{name: "setns", in: "nsexec\t1\tsetns\tuser\n", want: &Failure{Errno: syscall.EPERM, Step: "setns", Detail: "user"}},
		{name: "verify", in: "nsexec\t0\tverify\tstarted=5 expected=6\n", want: &Failure{Step: "verify", Detail: "started=5 expected=6"}},
		{name: "first line only", in: "nsexec\t2\texec\tsh\nnoise\n", want: &Failure{Errno: syscall.ENOENT, Step: "exec", Detail: "sh"}},
		{name: "garbage", in: "hello\n", wantErr: true},
		{name: "bad errno", in: "nsexec\tx\texec\tsh\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFailure([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailureUnwrapsErrno(t *testing.T) {
	f := &Failure{Errno: syscall.EPERM, Step: "setns", Detail: "user"}
	if !errors.Is(f, syscall.EPERM) {
		t.Errorf("errors.Is(%v, EPERM) = false", f)
	}
	if (&Failure{Step: "verify"}).Unwrap() != nil {
		t.Error("a failure without errno unwraps to non-nil")
	}
}
