package record

import (
	"reflect"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// changeField sets field i of the struct v points to to a value that
// differs from its zero value.
func changeField(t *testing.T, v reflect.Value, i int) {
	t.Helper()
	f := v.Field(i)
	switch f.Kind() {
	case reflect.Int, reflect.Int64:
		f.SetInt(7)
	case reflect.Uint64:
		f.SetUint(7)
	case reflect.String:
		f.SetString("x")
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Pointer:
		f.Set(reflect.New(f.Type().Elem()))
	case reflect.Slice:
		f.Set(reflect.MakeSlice(f.Type(), 1, 1))
	case reflect.Array:
		f.Index(0).Set(reflect.ValueOf(inspect.NSID{Ino: 7}))
	case reflect.Struct:
		switch f.Type() {
		case reflect.TypeOf(inspect.NSID{}):
			f.Set(reflect.ValueOf(inspect.NSID{Ino: 7}))
		case reflect.TypeOf(inspect.ContainerRef{}):
			f.Set(reflect.ValueOf(inspect.ContainerRef{Runtime: "docker", ID: "x"}))
		case reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(time.Unix(7, 0)))
		default:
			t.Fatalf("field %s of type %s: teach changeField about it", v.Type().Field(i).Name, f.Type())
		}
	default:
		t.Fatalf("field %s of kind %s: teach changeField about it", v.Type().Field(i).Name, f.Kind())
	}
}

// TestComparisonsSeeEveryField guards the hand-written comparisons the
// diff uses for speed: a field added to Limits, Usage or Process later
// must be compared (or, for a process, be a counter), or a recording
// would silently lose its changes.
func TestComparisonsSeeEveryField(t *testing.T) {
	for i := range reflect.TypeOf(inspect.Limits{}).NumField() {
		var a, b inspect.Limits
		changeField(t, reflect.ValueOf(&b).Elem(), i)
		if sameLimits(&a, &b) {
			t.Errorf("sameLimits misses Limits.%s", reflect.TypeOf(a).Field(i).Name)
		}
	}
	for i := range reflect.TypeOf(inspect.Usage{}).NumField() {
		var a, b inspect.Usage
		changeField(t, reflect.ValueOf(&b).Elem(), i)
		if sameUsage(&a, &b) {
			t.Errorf("sameUsage misses Usage.%s", reflect.TypeOf(a).Field(i).Name)
		}
	}
	counters := map[string]bool{"State": true, "Threads": true, "UTimeUS": true, "STimeUS": true, "RSSBytes": true}
	for i := range reflect.TypeOf(inspect.Process{}).NumField() {
		var a, b inspect.Process
		name := reflect.TypeOf(a).Field(i).Name
		if name == "PID" { // the key
			continue
		}
		changeField(t, reflect.ValueOf(&b).Elem(), i)
		if sameProcess(&a, &b) != counters[name] {
			t.Errorf("sameProcess and the counters disagree about Process.%s", name)
		}
	}
	for i := range reflect.TypeOf(inspect.Namespace{}).NumField() {
		var a, b inspect.Namespace
		name := reflect.TypeOf(a).Field(i).Name
		changeField(t, reflect.ValueOf(&b).Elem(), i)
		if sameNamespace(&a, &b) != (name == "Members" || name == "ID") {
			t.Errorf("sameNamespace misses Namespace.%s", name)
		}
	}
}

func TestSetDiffAndApply(t *testing.T) {
	tests := []struct {
		name         string
		a, b         []int
		added, remvd []int
	}{
		{"same", []int{1, 2}, []int{1, 2}, nil, nil},
		{"grow", []int{1, 3}, []int{1, 2, 3, 4}, []int{2, 4}, nil},
		{"shrink", []int{1, 2, 3}, []int{2}, nil, []int{1, 3}},
		{"both", []int{1, 5}, []int{2, 5, 9}, []int{2, 9}, []int{1}},
		{"from nothing", nil, []int{4}, []int{4}, nil},
		{"to nothing", []int{4}, nil, nil, []int{4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			added, removed := setDiff(tc.a, tc.b)
			if !reflect.DeepEqual(added, tc.added) || !reflect.DeepEqual(removed, tc.remvd) {
				t.Fatalf("setDiff = %v, %v; want %v, %v", added, removed, tc.added, tc.remvd)
			}
			if got := applySet(tc.a, added, removed); !reflect.DeepEqual(got, tc.b) && (len(got) != 0 || len(tc.b) != 0) {
				t.Fatalf("applySet = %v, want %v", got, tc.b)
			}
		})
	}
}
